"""``GET /metrics/summary``: the request history of the last hour, day or week, as JSON.

Read from the store (not this process's memory), so every worker and every instance on
one store answers the same. The window ends at the end of the bucket holding "now"
(``1h``: 60 buckets of a minute, ``1d``: 48 of 30 minutes, ``7d``: 84 of 2 hours), so the
series adds up to the totals. An error is a request with an error type or a status of
400 or more. Latency is the whole request (streams: to the last byte); time to first
token is the time to the first byte of streamed answers (a plain answer's first byte
is the whole answer). Percentiles are nearest-rank (:mod:`.summary_sql`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from interlingua.server.observability.history_store import TOKEN_COLUMNS, iso_ms
from interlingua.server.observability.summary_sql import Group, Span, dimension, group_stats
from interlingua.server.store.schema import request_history

__all__ = ["WINDOWS", "Groups", "history_summary", "targets_from_history", "window_span"]

# window -> (length in ms, buckets)
WINDOWS = {"1h": (3_600_000, 60), "1d": (86_400_000, 48), "7d": (604_800_000, 84)}
_TOP = 100  # rows per table (by_key, by_model, by_target), busiest first
_T = request_history.c

Groups = Mapping[tuple[Any, ...], Group]
Targets = Callable[[Groups], list[dict[str, Any]]]


def window_span(window: str, now_ms: int) -> Span:
    length, buckets = WINDOWS[window]
    width = length // buckets
    end = (now_ms // width + 1) * width
    return Span(end - length, end, width)


def _row(group: Group) -> dict[str, Any]:
    return {
        "requests": group.requests,
        "errors": group.errors,
        "tokens": group.tokens,
        "cost_usd": round(group.cost_usd, 6),
        "latency_p95_ms": group.percentiles.get(95),
    }


def _ranked(label: str, groups: Groups) -> list[dict[str, Any]]:
    busiest = sorted(groups.items(), key=lambda item: (-item[1].requests, str(item[0])))[:_TOP]
    return [{label: _label(group), **_row(g)} for group, g in busiest]


def _label(group: tuple[Any, ...]) -> Any:
    if len(group) == 2:  # target: provider/upstream model, as routing names targets
        return f"{group[0]}/{group[1]}" if group[0] is not None else None
    return group[0]


def _series(span: Span, groups: Groups) -> list[dict[str, Any]]:
    out = []
    for index in range((span.end_ms - span.start_ms) // span.bucket_ms):
        row = _row(groups.get((index,), Group()))
        out.append({"t": iso_ms(span.start_ms + index * span.bucket_ms), **row})
    return out


async def _totals(conn: AsyncConnection, span: Span) -> dict[str, Any]:
    total = (await group_stats(conn, (), span)).get((), Group())
    streamed = await group_stats(conn, (), span, value=_T.ttfb_ms, where=_T.stream.is_(True), sums=False)
    ttft = streamed.get((), Group())
    latency = total.percentiles
    return {
        "requests": total.requests,
        "errors": total.errors,
        "error_rate": round(total.errors / total.requests, 4) if total.requests else 0.0,
        "latency_ms": {"p50": latency.get(50), "p95": latency.get(95)},
        "ttft_ms": {"p50": ttft.percentiles.get(50), "p95": ttft.percentiles.get(95)},
        "tokens": {c.removesuffix("_tokens"): total.by_type.get(c, 0) for c in TOKEN_COLUMNS},
        "cost_usd": round(total.cost_usd, 6),
    }


def targets_from_history(groups: Groups) -> list[dict[str, Any]]:
    """Target health as far as the history knows it: errors in the window and median latency,
    state ``unknown`` (cooldowns and requests in flight live in the routing layer; the
    endpoint passes the router's view, :func:`interlingua.server.api.summary.live_targets`)."""
    out = []
    for (provider, upstream_model), g in sorted(groups.items(), key=lambda item: str(item[0])):
        if provider is None:
            continue  # refused before a target was chosen
        out.append(
            {
                "provider": provider,
                "upstream_model": upstream_model,
                "state": "unknown",
                "cooling_until": None,
                "recent_failures": g.errors,
                "in_flight": 0,
                "latency_ms": g.percentiles.get(50),
            }
        )
    return out


async def history_summary(
    engine: AsyncEngine,
    window: str,
    *,
    keys: Callable[[], Awaitable[list[dict[str, Any]]]],
    targets: Targets = targets_from_history,
    now: float | None = None,
) -> dict[str, Any]:
    """The summary of ``window`` (one of :data:`WINDOWS`); ``keys`` lists the keys' headroom."""
    wall = time.time() if now is None else now
    span = window_span(window, int(wall * 1000))
    async with engine.connect() as conn:
        totals = await _totals(conn, span)
        series, by_key, by_model, by_target = [
            await group_stats(conn, dimension(name, span), span)
            for name in ("bucket", "key", "model", "target")
        ]
    return {
        "window": window,
        "generated_at": datetime.fromtimestamp(wall, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "totals": totals,
        "series": _series(span, series),
        "by_key": _ranked("key", by_key),
        "by_model": _ranked("model", by_model),
        "by_target": _ranked("target", by_target),
        "keys": await keys(),
        "targets": targets(by_target),
    }
