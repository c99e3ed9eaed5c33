"""The request history's aggregates, computed by the database (SQLite and PostgreSQL alike).

Counts and sums are one ``GROUP BY`` per dimension (all, bucket, key, model, target).
Percentiles are nearest-rank (the value at rank ``ceil(p * n)`` of the group's sorted
values), found with the window functions ``ROW_NUMBER`` and ``COUNT`` that both
databases have: only the rows at the wanted ranks leave the database, however many
requests the window holds. Every query is bounded by the
indexed arrival time ``ts_ms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from interlingua.server.observability.history_store import TOKEN_COLUMNS
from interlingua.server.store.schema import request_history

__all__ = ["RANKS", "Group", "Span", "dimension", "group_stats"]

_T = request_history.c
# Tokens a request used (reasoning tokens are part of the output).
_TOKENS = (
    func.coalesce(_T.input_tokens, 0)
    + func.coalesce(_T.output_tokens, 0)
    + func.coalesce(_T.cache_read_tokens, 0)
    + func.coalesce(_T.cache_creation_tokens, 0)
)
RANKS = (50, 95)  # the percentiles the summary shows
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
    percentiles: dict[int, float] = field(default_factory=dict)


def dimension(name: str, span: Span) -> Sequence[ColumnElement[Any]]:
    """The columns a dimension groups by: ``total`` (none), ``bucket``, ``key``, ``model``, ``target``."""
    if name == "total":
        return ()
    if name == "bucket":
        return ((_T.ts_ms - span.start_ms) // span.bucket_ms,)
    if name == "target":
        return (_T.target, _T.upstream_model)
    return (_T.key if name == "key" else _T.model,)


async def group_stats(
    conn: AsyncConnection,
    dims: Sequence[ColumnElement[Any]],
    span: Span,
    *,
    value: ColumnElement[Any] = _T.latency_ms,
    where: ColumnElement[bool] | None = None,
    sums: bool = True,
) -> dict[tuple[Any, ...], Group]:
    """Per group: requests, errors, tokens, cost (unless not ``sums``), and the percentiles
    :data:`RANKS` of ``value`` (over the rows where it is not None, and ``where``). Two queries: a
    ``GROUP BY`` for the sums, window functions for the ranks (SQLite computes window sums
    far slower than a ``GROUP BY``, so the two are not folded into one)."""
    condition = and_(span.where(), *(() if where is None else (where,)))
    groups = await _sums(conn, dims, condition) if sums else {}
    ranked = and_(condition, value.is_not(None))
    for group, found in (await _percentiles(conn, dims, value, ranked, RANKS)).items():
        groups.setdefault(group, Group()).percentiles.update(found)
    return groups


async def _sums(
    conn: AsyncConnection, dims: Sequence[ColumnElement[Any]], condition: ColumnElement[bool]
) -> dict[tuple[Any, ...], Group]:
    labelled = [d.label(f"g{i}") for i, d in enumerate(dims)]
    stmt = select(
        *labelled,
        func.count().label("requests"),
        func.sum(case((_ERROR, 1), else_=0)).label("errors"),
        func.sum(_TOKENS).label("tokens"),
        func.sum(_T.cost_usd).label("cost_usd"),
        *(func.sum(getattr(_T, c)).label(c) for c in TOKEN_COLUMNS),
    ).where(condition)
    if dims:
        stmt = stmt.group_by(*labelled)
    out: dict[tuple[Any, ...], Group] = {}
    for row in (await conn.execute(stmt)).mappings():
        if row["requests"]:
            out[tuple(row[f"g{i}"] for i in range(len(dims)))] = Group(
                requests=int(row["requests"]),
                errors=int(row["errors"] or 0),
                tokens=int(row["tokens"] or 0),
                cost_usd=float(row["cost_usd"] or 0.0),
                by_type={c: int(row[c] or 0) for c in TOKEN_COLUMNS},
            )
    return out


async def _percentiles(
    conn: AsyncConnection,
    dims: Sequence[ColumnElement[Any]],
    value: ColumnElement[Any],
    condition: ColumnElement[bool],
    ranks: Sequence[int],
) -> dict[tuple[Any, ...], dict[int, float]]:
    labelled = [d.label(f"g{i}") for i, d in enumerate(dims)]
    part = list(dims) or None
    inner = (
        select(
            *labelled,
            value.label("v"),
            func.row_number().over(partition_by=part, order_by=value).label("rn"),
            func.count().over(partition_by=part).label("n"),
        )
        .where(condition)
        .subquery()
    )
    wanted = [inner.c.rn == (inner.c.n * p + literal(99)) // 100 for p in ranks]
    out: dict[tuple[Any, ...], dict[int, float]] = {}
    for row in (await conn.execute(select(inner).where(or_(*wanted)))).mappings():
        group = tuple(row[f"g{i}"] for i in range(len(dims)))
        n, rn = int(row["n"]), int(row["rn"])
        for p in ranks:
            if rn == (n * p + 99) // 100:
                out.setdefault(group, {})[p] = round(float(row["v"]), 3)
    return out
