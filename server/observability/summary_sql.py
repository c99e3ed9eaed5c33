"""The request history's aggregates, computed by the database (SQLite and PostgreSQL alike).

Counts and sums are one ``GROUP BY`` per dimension. Percentiles are nearest-rank (the
value at rank ``ceil(p * n)`` of the group's sorted values), found with the window
functions ``ROW_NUMBER`` and ``COUNT`` that both databases have: only the chosen rows
leave the database, however many requests the window holds. Every query is bounded by
the indexed arrival time ``ts_ms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from interlingua.server.observability.history_store import TOKEN_COLUMNS
from interlingua.server.store.schema import request_history

__all__ = ["Group", "Span", "dimension", "group_percentiles", "group_totals"]

_T = request_history.c
# Tokens a request used (reasoning tokens are part of the output).
_TOKENS = (
    func.coalesce(_T.input_tokens, 0)
    + func.coalesce(_T.output_tokens, 0)
    + func.coalesce(_T.cache_read_tokens, 0)
    + func.coalesce(_T.cache_creation_tokens, 0)
)
_ERROR = or_(_T.error_type.is_not(None), _T.status >= 400)


@dataclass(frozen=True, slots=True)
class Span:
    """``[start_ms, end_ms)`` of arrival times, cut into buckets of ``bucket_ms``."""

    start_ms: int
    end_ms: int
    bucket_ms: int

    def where(self) -> ColumnElement[bool]:
        return and_(_T.ts_ms >= self.start_ms, _T.ts_ms < self.end_ms)


@dataclass(slots=True)
class Group:
    """One group's figures (a bucket, a key, a model, a target, or everything)."""

    requests: int = 0
    errors: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)
    percentiles: dict[str, float] = field(default_factory=dict)


def dimension(name: str, span: Span) -> Sequence[ColumnElement[Any]]:
    """The columns a dimension groups by: ``total`` (none), ``bucket``, ``key``, ``model``, ``target``."""
    if name == "total":
        return ()
    if name == "bucket":
        return ((_T.ts_ms - span.start_ms) // span.bucket_ms,)
    if name == "target":
        return (_T.target, _T.upstream_model)
    return (_T.key if name == "key" else _T.model,)


async def group_totals(
    conn: AsyncConnection, dims: Sequence[ColumnElement[Any]], span: Span
) -> dict[tuple[Any, ...], Group]:
    """Requests, errors, tokens (in all, and by type) and cost per group."""
    labelled = [d.label(f"g{i}") for i, d in enumerate(dims)]
    sums = [func.sum(getattr(_T, c)).label(c) for c in TOKEN_COLUMNS]
    stmt = select(
        *labelled,
        func.count().label("requests"),
        func.sum(case((_ERROR, 1), else_=0)).label("errors"),
        func.sum(_TOKENS).label("tokens"),
        func.sum(_T.cost_usd).label("cost_usd"),
        *sums,
    ).where(span.where())
    if dims:
        stmt = stmt.group_by(*labelled)
    out: dict[tuple[Any, ...], Group] = {}
    for row in (await conn.execute(stmt)).mappings():
        if not row["requests"]:
            continue
        group = tuple(row[f"g{i}"] for i in range(len(dims)))
        out[group] = Group(
            requests=int(row["requests"]),
            errors=int(row["errors"] or 0),
            tokens=int(row["tokens"] or 0),
            cost_usd=float(row["cost_usd"] or 0.0),
            by_type={c: int(row[c] or 0) for c in TOKEN_COLUMNS},
        )
    return out


async def group_percentiles(
    conn: AsyncConnection,
    dims: Sequence[ColumnElement[Any]],
    value: ColumnElement[Any],
    span: Span,
    ranks: Sequence[int] = (50, 95),
    where: ColumnElement[bool] | None = None,
) -> dict[tuple[Any, ...], dict[int, float]]:
    """Nearest-rank percentiles ``ranks`` of ``value`` (None values left out) per group."""
    labelled = [d.label(f"g{i}") for i, d in enumerate(dims)]
    partition = labelled and [*dims]
    condition = and_(span.where(), value.is_not(None), *(() if where is None else (where,)))
    inner = (
        select(
            *labelled,
            value.label("v"),
            func.row_number().over(partition_by=partition or None, order_by=value).label("rn"),
            func.count().over(partition_by=partition or None).label("n"),
        )
        .where(condition)
        .subquery()
    )
    groups = [inner.c[f"g{i}"] for i in range(len(dims))]
    wanted = [inner.c.rn == (inner.c.n * p + literal(99)) // 100 for p in ranks]
    stmt = select(*groups, inner.c.rn, inner.c.n, inner.c.v).where(or_(*wanted))
    out: dict[tuple[Any, ...], dict[int, float]] = {}
    for row in (await conn.execute(stmt)).mappings():
        group = tuple(row[f"g{i}"] for i in range(len(dims)))
        n, rn = int(row["n"]), int(row["rn"])
        for p in ranks:
            if rn == (n * p + 99) // 100:
                out.setdefault(group, {})[p] = round(float(row["v"]), 3)
    return out
