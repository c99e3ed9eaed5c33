"""OpenAI Responses' stored-response endpoints for the fake upstream: ``GET`` and ``DELETE
/v1/responses/{id}`` and ``GET /v1/responses/{id}/input_items``.

The fake keeps no state (``openai_responses.py``): an id of the shape it issues
(``resp_demo<digits>``) is taken as one it stored, and answered with a completed response of
that id (no output), a deletion, or an empty page of input items; any other id is OpenAI's
404. Query parameters are checked as OpenAI checks them where it matters to a test
(``order``, ``limit``); the request itself (path, query) is recorded as every request.
https://platform.openai.com/docs/api-reference/responses/get
https://platform.openai.com/docs/api-reference/responses/delete
https://platform.openai.com/docs/api-reference/responses/input-items
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlingua.server.fake_upstream.openai_responses import CREATED, ISSUED
from interlingua.server.fake_upstream.plan import BadRequest

__all__ = ["stored_answer"]

JSON = dict[str, Any]


def stored_answer(method: str, rid: str, items: bool, query: Mapping[str, str]) -> JSON:
    """The answer to ``method`` on stored response ``rid`` (``items``: its input items)."""
    if not ISSUED.fullmatch(rid):
        raise BadRequest(f"Response with id '{rid}' not found.", status=404)
    if method == "DELETE":
        return {"id": rid, "object": "response", "deleted": True}
    if items:
        if query.get("order", "desc") not in ("asc", "desc"):
            raise BadRequest("Invalid value for 'order': expected 'asc' or 'desc'.", "order")
        if not query.get("limit", "20").isdigit() or not 1 <= int(query.get("limit", "20")) <= 100:
            raise BadRequest("Invalid 'limit': integer below minimum value or above maximum.", "limit")
        return {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    return {
        "id": rid,
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "model": "gpt-5",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }
