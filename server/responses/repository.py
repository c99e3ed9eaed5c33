"""Stored responses in the store: save, get, the items that references name, delete, expire.

Every read filters on the owner (a key never sees another key's responses) and on
``expires_at`` (an expired row is gone for clients even before the sweeper deletes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select

from interlingua.server.store import Store
from interlingua.server.store.schema import response_items, stored_responses

__all__ = ["ResponseRepository", "StoredResponse"]

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """One kept answer: the Response object as its client received it, and the input items
    of its request with earlier turns and references resolved (the whole conversation)."""

    id: str
    owner: str
    response: JSON
    input: list[JSON]

    def conversation(self) -> list[JSON]:
        """What a follow-up with ``previous_response_id`` continues: its input, then its output."""
        output = self.response.get("output")
        return [*self.input, *(output if isinstance(output, list) else [])]


class ResponseRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def save(self, record: StoredResponse, expires_at: datetime, items: Sequence[tuple[str, JSON]]) -> None:
        """The response and its addressable items, in one transaction (a reference never
        finds an item whose response is not there yet)."""
        rows = [
            {"response_id": record.id, "position": n, "owner": record.owner, "item_id": item_id, "item": item}
            for n, (item_id, item) in enumerate(items)
        ]
        async with self.store.engine.begin() as conn:
            # The same id again (a client replaying a request whose id the upstream repeats): the newer wins.
            await conn.execute(delete(response_items).where(response_items.c.response_id == record.id))
            await conn.execute(delete(stored_responses).where(stored_responses.c.id == record.id))
            await conn.execute(
                insert(stored_responses).values(
                    id=record.id, owner=record.owner, created_at=datetime.now(UTC), expires_at=expires_at,
                    response=record.response, input=record.input,
                )
            )
            if rows:
                await conn.execute(insert(response_items), rows)

    async def get(self, owner: str, response_id: str) -> StoredResponse | None:
        r = stored_responses.c
        query = select(r.response, r.input).where(r.id == response_id, r.owner == owner, r.expires_at > _now())
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return StoredResponse(response_id, owner, dict(row.response), list(row.input))

    async def items(self, owner: str, item_ids: Sequence[str]) -> dict[str, JSON]:
        """The owner's live items among ``item_ids`` (an id kept twice: the newest copy)."""
        i, r = response_items.c, stored_responses.c
        query = (
            select(i.item_id, i.item)
            .join(stored_responses, r.id == i.response_id)
            .where(i.owner == owner, i.item_id.in_(set(item_ids)), r.expires_at > _now())
            .order_by(r.created_at, i.position)
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row.item_id: dict(row.item) for row in rows}

    async def delete(self, owner: str, response_id: str) -> bool:
        r = stored_responses.c
        async with self.store.engine.begin() as conn:
            result = await conn.execute(delete(stored_responses).where(r.id == response_id, r.owner == owner))
            if result.rowcount == 0:
                return False
            await conn.execute(delete(response_items).where(response_items.c.response_id == response_id))
        return True

    async def sweep(self) -> int:
        """Delete expired responses and their items; how many responses went."""
        r, now = stored_responses.c, _now()
        expired = select(r.id).where(r.expires_at <= now).scalar_subquery()
        async with self.store.engine.begin() as conn:
            await conn.execute(delete(response_items).where(response_items.c.response_id.in_(expired)))
            result = await conn.execute(delete(stored_responses).where(r.expires_at <= now))
        return int(result.rowcount or 0)


def _now() -> datetime:
    return datetime.now(UTC)
