"""Reading the request history back: filtered pages for ``/admin/requests`` and the live tail.

Filters: ``key`` (a key's name), ``model`` (as the client asked), ``status`` (HTTP status)
and ``client_format``. Pages go newest first below an ``id`` cursor; the tail reads
oldest first above the last ``id`` it sent. Both walk the primary key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from interlingua.server.observability.history_store import public_record
from interlingua.server.store.schema import request_history

__all__ = ["BadFilter", "Filters", "by_ids", "ids_above", "int_arg", "last_id", "older"]

_T = request_history.c


class BadFilter(ValueError):
    """A query parameter that is not valid: ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


def int_arg(raw: str | None, name: str, low: int, high: int) -> int | None:
    """An optional integer query parameter in ``[low, high]``."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadFilter(name, f"must be an integer from {low} to {high}")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Filters:
    key: str | None = None
    model: str | None = None
    status: int | None = None
    client_format: str | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        return cls(
            key=args.get("key") or None,
            model=args.get("model") or None,
            status=int_arg(args.get("status"), "status", 100, 599),
            client_format=args.get("client_format") or None,
        )

    def where(self) -> list[ColumnElement[bool]]:
        out = []
        for name in ("key", "model", "status", "client_format"):
            value = getattr(self, name)
            if value is not None:
                out.append(_T[name] == value)
        return out


async def older(
    engine: AsyncEngine, filters: Filters, *, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` records, newest first, with ids below ``before``."""
    stmt = select(request_history).where(*filters.where()).order_by(_T.id.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(_T.id < before)
    async with engine.connect() as conn:
        return [public_record(row) for row in (await conn.execute(stmt)).mappings()]


async def ids_above(engine: AsyncEngine, filters: Filters, after: int, limit: int) -> list[int]:
    """Ids of matching records above ``after``, oldest first."""
    stmt = select(_T.id).where(_T.id > after, *filters.where()).order_by(_T.id).limit(limit)
    async with engine.connect() as conn:
        return [int(i) for i in (await conn.scalars(stmt))]


async def by_ids(engine: AsyncEngine, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The records ``ids``, oldest first."""
    stmt = select(request_history).where(_T.id.in_(ids)).order_by(_T.id)
    async with engine.connect() as conn:
        return [public_record(row) for row in (await conn.execute(stmt)).mappings()]


async def last_id(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.max(_T.id))) or 0)
