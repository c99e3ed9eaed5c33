"""A Responses request's references, resolved from the stored responses.

``previous_response_id``: the stored conversation (that response's input, then its output)
goes before this request's input; ``instructions`` are not carried over, as OpenAI
documents. ``{"type": "item_reference", "id": ...}``: the stored item takes its place.
An id the store does not hold for this owner is a 400 naming it (OpenAI's own message),
never a silent drop: the model would answer without the turn the client meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from interlingua.errors import InvalidRequest
from interlingua.server.responses.repository import StoredResponse

__all__ = ["Resolved", "has_references", "item_not_found", "previous_not_found", "references_refused", "resolve"]

JSON = dict[str, Any]


class Lookup(Protocol):
    async def get(self, owner: str, response_id: str) -> StoredResponse | None: ...

    async def items(self, owner: str, item_ids: list[str]) -> dict[str, JSON]: ...


@dataclass(slots=True)
class Resolved:
    """The body to translate, and the items of this request's own input that carry an id
    (kept addressable when the response is stored)."""

    body: JSON
    own_items: list[tuple[str, JSON]] = field(default_factory=list)


def input_items(value: Any) -> list[Any]:
    """``input`` as items (a string is one user message)."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return list(value) if isinstance(value, list) else []


def previous_not_found(ref: str) -> InvalidRequest:
    """OpenAI's own 400 for a ``previous_response_id`` it does not hold."""
    return InvalidRequest(
        f"Previous response with id '{ref}' not found.", param="previous_response_id", code="previous_response_not_found"
    )


def item_not_found(ref: str, param: str) -> InvalidRequest:
    """OpenAI's own 400 for an ``item_reference`` it does not hold."""
    return InvalidRequest(f"Item with id '{ref}' not found.", param=param, code="item_not_found")


def _is_reference(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "item_reference"


def has_references(body: JSON) -> bool:
    return body.get("previous_response_id") is not None or any(map(_is_reference, input_items(body.get("input"))))


def references_refused(body: JSON, why: str) -> InvalidRequest | None:
    """The 400 for a request whose references cannot be resolved (``why``: the reason), if it has any."""
    previous = body.get("previous_response_id")
    if previous is not None:
        return InvalidRequest(
            f"previous_response_id {previous!r} cannot be resolved: {why}",
            param="previous_response_id", code="previous_response_not_found",
        )
    for n, item in enumerate(input_items(body.get("input"))):
        if _is_reference(item):
            return InvalidRequest(
                f"item_reference {item.get('id')!r} cannot be resolved: {why}", param=f"input[{n}]", code="item_not_found"
            )
    return None


async def resolve(body: JSON, owner: str, lookup: Lookup) -> Resolved:
    """``body`` with its references replaced by what the owner's stored responses hold."""
    own = input_items(body.get("input"))
    earlier = await _previous(body.get("previous_response_id"), owner, lookup)
    wanted = [_reference_id(item, n) for n, item in enumerate(own) if _is_reference(item)]
    found = await lookup.items(owner, wanted) if wanted else {}
    items: list[Any] = []
    addressable: list[tuple[str, JSON]] = []
    for n, item in enumerate(own):
        if _is_reference(item):
            stored = found.get(item["id"])
            if stored is None:
                raise item_not_found(item["id"], f"input[{n}]")
            items.append(stored)
            continue
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            addressable.append((item["id"], item))
        items.append(item)
    return Resolved({**body, "input": [*earlier, *items]}, addressable)


async def _previous(previous: Any, owner: str, lookup: Lookup) -> list[Any]:
    if previous is None:
        return []
    if not isinstance(previous, str) or not previous:
        raise InvalidRequest("previous_response_id: must be a response id", param="previous_response_id")
    stored = await lookup.get(owner, previous)
    if stored is None:
        raise previous_not_found(previous)
    return stored.conversation()


def _reference_id(item: JSON, n: int) -> str:
    ref = item.get("id")
    if not isinstance(ref, str) or not ref:
        raise InvalidRequest("item_reference: id must be a non-empty string", param=f"input[{n}].id")
    return ref
