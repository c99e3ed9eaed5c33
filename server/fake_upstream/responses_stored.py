"""OpenAI Responses' stored-response endpoints for the fake upstream: ``GET`` and ``DELETE
/v1/responses/{id}`` and ``GET /v1/responses/{id}/input_items``.

The fake keeps no state (``openai_responses.py``): an id of the shape it issues
(``resp_demo<digits>``) is taken as one it stored, and answered with a completed response of
that id (no output), a deletion, or an empty page of input items; any other id is OpenAI's
404. A retrieve with ``stream=true`` replays the response's events (created, in progress,
completed) after ``starting_after``, paced and faultable like every fake stream. Query parameters are checked as OpenAI checks them where it matters to a test
(``order``, ``limit``); the request itself (path, query) is recorded as every request.
https://platform.openai.com/docs/api-reference/responses/get
https://platform.openai.com/docs/api-reference/responses/delete
https://platform.openai.com/docs/api-reference/responses/input-items
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlingua.server.fake_upstream.openai_responses import CREATED, ISSUED, sse_frames
from interlingua.server.fake_upstream.plan import BadRequest

__all__ = ["stored_answer"]

JSON = dict[str, Any]


def stored_answer(method: str, rid: str, items: bool, query: Mapping[str, str]) -> JSON | list[bytes]:
    """The answer to ``method`` on stored response ``rid`` (``items``: its input items); a
    retrieve with ``stream=true``: the response's events (SSE frames)."""
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
    response = _stored(rid)
    if query.get("stream", "false").lower() not in ("false", "0"):
        return _replayed(response, query.get("starting_after", "-1"))
    return response


def _replayed(response: JSON, starting_after: str) -> list[bytes]:
    """A stored response as the events of its stream (``stream=true``), those after
    ``starting_after`` (a sequence number), as OpenAI replays a background response."""
    try:
        after = int(starting_after)
    except ValueError:
        raise BadRequest("Invalid 'starting_after': expected an integer.", "starting_after") from None
    start = {**response, "status": "in_progress"}
    events = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
        {"type": "response.completed", "response": response},
    ]
    return sse_frames(events, after)


def _stored(rid: str) -> JSON:
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
