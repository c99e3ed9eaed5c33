"""Who each id a Responses upstream issued belongs to (passthrough owner isolation).

Toward an OpenAI Responses upstream the gateway passes requests through and the upstream
stores its own answers, under the one account all the gateway's keys share: it would let
any key continue (``previous_response_id``) or reference (``item_reference``) any other
key's response. So the gateway records, for each answer passed through with ``store`` on,
its response id and output item ids with the owner (:func:`..service.owner_of`), and a
request naming an id recorded for another owner is refused with OpenAI's own "not found"
400, as the translated path refuses an id it does not hold for the caller.

An id with no record (issued before this record existed, or by a direct call to the
provider, or whose write failed) is not the gateway's to refuse: it goes to the upstream,
which decides. The record is written after the upstream's last event and before the
client's, like stored responses (``service.py``), so a follow-up never races it.

The record also says where the answer came from (provider and pool key, :class:`Issuer`)
and which response each item id belongs to, so that the owner's ``GET``/``DELETE`` of a
response id go to that upstream (``forward.py``) and a ``DELETE`` forgets all its ids.

A Conversations API id (``conversation`` in a request, echoed in the answer) is the
upstream's too: the first key whose answer the gateway sees in a conversation owns it (each
later answer in it renews the record), and another key naming it is refused with the 404 of
an unknown conversation. The gateway does not serve the Conversations API itself, so it sees
a conversation only when a response uses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select

from interlingua.errors import GatewayError, NotFound
from interlingua.server.responses.resolve import input_items, item_not_found, previous_not_found
from interlingua.server.store import Store
from interlingua.server.store.schema import upstream_ids

__all__ = [
    "UNRECORDED",
    "Issuer",
    "UpstreamIds",
    "conversation_not_found",
    "conversation_of",
    "issued_ids",
    "refuse_foreign",
]

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Issuer:
    """Where a passed-through answer came from: the provider and the key of its pool."""

    provider: str
    key: int


# The issuer of an id recorded before migration 0005, which did not note where it came from.
UNRECORDED = Issuer("", -1)


class UpstreamIds:
    """The ``il_upstream_ids`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def claim(self, owner: str, response: Mapping[str, Any], issuer: Issuer, expires_at: datetime) -> None:
        """Record ``owner`` and ``issuer`` for the ids of ``response`` (its own and its items'),
        and for the conversation it belongs to (outside its group: deleting one response
        leaves the conversation)."""
        ids = issued_ids(response)
        if not ids:
            return
        where = {"owner": owner, "expires_at": expires_at, "provider": issuer.provider, "key_index": issuer.key}
        group = ids[0] if ids[0] == response.get("id") else None  # an over-long id is not recorded
        rows = [{"id": i, "response_id": group, **where} for i in dict.fromkeys(ids)]
        conversation = conversation_of(response)
        if conversation is not None and conversation not in ids:
            rows.append({"id": conversation, "response_id": None, **where})
        async with self.store.engine.begin() as conn:
            # The same id again (a replayed answer): the newer record wins.
            await conn.execute(delete(upstream_ids).where(upstream_ids.c.id.in_([r["id"] for r in rows])))
            await conn.execute(insert(upstream_ids), rows)

    async def owners(self, ids: Iterable[str]) -> dict[str, str]:
        """The recorded, unexpired owner of each of ``ids`` that has one."""
        u = upstream_ids.c
        query = select(u.id, u.owner).where(u.id.in_(set(ids)), u.expires_at > datetime.now(UTC))
        async with self.store.engine.connect() as conn:
            return {row.id: row.owner for row in (await conn.execute(query)).all()}

    async def issuer(self, owner: str, response_id: str) -> Issuer | None:
        """Where ``owner``'s unexpired response ``response_id`` lives; None when it is not a
        response id recorded for ``owner`` (another key's, an item id, unknown);
        :data:`UNRECORDED` for one recorded before migration 0005 (no provider noted)."""
        u = upstream_ids.c
        # A row from before 0005 has neither provider nor response_id (it may be an item's).
        grouped = or_(u.response_id == response_id, u.provider.is_(None))
        query = select(u.provider, u.key_index).where(
            u.id == response_id, grouped, u.owner == owner, u.expires_at > datetime.now(UTC)
        )
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        if row.provider is None:
            return UNRECORDED
        return Issuer(row.provider, row.key_index or 0)

    async def release(self, response_id: str) -> None:
        """Forget a deleted response's ids (its own and its output items')."""
        u = upstream_ids.c
        async with self.store.engine.begin() as conn:
            await conn.execute(delete(upstream_ids).where(or_(u.response_id == response_id, u.id == response_id)))

    async def sweep(self) -> int:
        async with self.store.engine.begin() as conn:
            result = await conn.execute(delete(upstream_ids).where(upstream_ids.c.expires_at <= datetime.now(UTC)))
        return int(result.rowcount or 0)


def issued_ids(response: Mapping[str, Any]) -> list[str]:
    """The ids an upstream Response object issued: its own and its output items'."""
    output = response.get("output")
    items = output if isinstance(output, list) else []
    found = [response.get("id"), *(item.get("id") for item in items if isinstance(item, dict))]
    return [i for i in found if isinstance(i, str) and 0 < len(i) <= 128]


def conversation_of(data: Mapping[str, Any]) -> str | None:
    """The Conversations API id a request or a Response object names (``conversation``: the id,
    or an object with it)."""
    conversation = data.get("conversation")
    if isinstance(conversation, dict):
        conversation = conversation.get("id")
    return conversation if isinstance(conversation, str) and 0 < len(conversation) <= 128 else None


def conversation_not_found(ref: str) -> NotFound:
    """OpenAI's answer to a conversation id it does not hold for the caller."""
    return NotFound(f"Conversation with id '{ref}' not found.", param="conversation")


def _references(body: JSON) -> list[tuple[str, str]]:
    """(id, param) of every id the request names."""
    named: list[tuple[str, str]] = []
    conversation = conversation_of(body)
    if conversation is not None:
        named.append((conversation, "conversation"))
    previous = body.get("previous_response_id")
    if isinstance(previous, str):
        named.append((previous, "previous_response_id"))
    for n, item in enumerate(input_items(body.get("input"))):
        if isinstance(item, dict) and item.get("type") == "item_reference" and isinstance(item.get("id"), str):
            named.append((item["id"], f"input[{n}]"))
    return named


async def refuse_foreign(body: JSON, owner: str, ids: UpstreamIds) -> None:
    """Raise OpenAI's 400 for the first id ``body`` names that is recorded for another owner."""
    named = _references(body)
    if not named:
        return
    owners = await ids.owners(i for i, _ in named)
    for ref, param in named:
        if owners.get(ref, owner) != owner:
            raise _not_found(ref, param)


def _not_found(ref: str, param: str) -> GatewayError:
    if param == "conversation":
        return conversation_not_found(ref)
    return previous_not_found(ref) if param == "previous_response_id" else item_not_found(ref, param)
