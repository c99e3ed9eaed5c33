"""``GET /v1/responses/{id}/input_items``: a stored response's input items, OpenAI's list shape.

The items are the stored conversation's input (earlier turns of a ``previous_response_id``
chain and resolved ``item_reference`` items included: what the model was shown), as OpenAI
lists them: every item has a ``type`` and an ``id``, and a message's text content is a list
of parts. Items the client sent without an id get one derived from the response id and the
item's position, so the same item has the same id on every call (``after`` cursors work).
Paging: ``order`` (``desc`` by default, as OpenAI), ``limit`` (1-100, default 20), ``after``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from interlingua.errors import InvalidRequest

__all__ = ["input_items_page"]

_MAX_LIMIT = 100


def input_items_page(items: list[Any], response_id: str, args: Mapping[str, str]) -> dict[str, Any]:
    """One page of ``items`` (the stored input of ``response_id``) for the query ``args``."""
    order = args.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidRequest("order: must be 'asc' or 'desc'", param="order")
    limit = _limit(args.get("limit"))
    listed = [_listed(item, response_id, n) for n, item in enumerate(items)]
    if order == "desc":
        listed.reverse()
    after = args.get("after")
    if after is not None:
        position = next((n for n, item in enumerate(listed) if item["id"] == after), None)
        if position is None:
            raise InvalidRequest(f"after: no input item '{after}' in response '{response_id}'", param="after")
        listed = listed[position + 1 :]
    page = listed[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(listed) > limit,
    }


def _limit(raw: str | None) -> int:
    if raw is None:
        return 20
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= _MAX_LIMIT:
        raise InvalidRequest(f"limit: must be an integer from 1 to {_MAX_LIMIT}", param="limit")
    return value


def _listed(item: Any, response_id: str, position: int) -> dict[str, Any]:
    """``item`` as OpenAI lists it: typed, with an id, message text as parts."""
    out: dict[str, Any] = dict(item) if isinstance(item, dict) else {"role": "user", "content": str(item)}
    if "type" not in out and "role" in out:
        out["type"] = "message"
    if out.get("type") == "message" and isinstance(out.get("content"), str):
        part = "output_text" if out.get("role") == "assistant" else "input_text"
        out["content"] = [{"type": part, "text": out["content"]}]
    if not isinstance(out.get("id"), str) or not out["id"]:
        digest = hashlib.sha256(f"{response_id}/{position}".encode()).hexdigest()[:32]
        out = {"id": f"msg_{digest}", **out}
    return out
