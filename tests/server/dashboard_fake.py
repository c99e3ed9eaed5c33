"""A stand-in for the history endpoints the dashboard reads (``/metrics/summary``,
``/admin/requests``, ``/admin/requests/tail``), in the agreed shapes, fed by a pipeline
feature that keeps each finished request's access-log record. Registered only where the
app has no such routes yet, behind the same admin guard; tests use it through
:func:`dashboard_app`, which returns the real app untouched once history is on main."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from quart import Blueprint, Quart, Response, request

from interlingua.server.admin_auth import admin_check
from interlingua.server.app import create_app
from interlingua.server.config import Config
from interlingua.server.observability.record import request_record
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.hooks import Feature
from interlingua.server.state import StateHolder

__all__ = ["HistoryStandIn", "dashboard_app"]


class HistoryStandIn(Feature):
    name = "history_stand_in"

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.listeners: set[asyncio.Queue[dict[str, Any]]] = set()

    async def complete(self, ctx: RequestContext) -> None:
        record = {"id": len(self.records) + 1, **request_record(ctx)}
        self.records.append(record)
        for queue in self.listeners:
            queue.put_nowait(record)


def _tokens(records: list[dict[str, Any]]) -> dict[str, int]:
    totals = dict.fromkeys(("input", "output", "cache_read", "cache_creation", "reasoning"), 0)
    for record in records:
        for name, value in (record["tokens"] or {}).items():
            short = name.removesuffix("_tokens")
            if short in totals and isinstance(value, int):
                totals[short] += value
    return totals


def _pct(values: list[float], share: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else None


def _group(records: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    rows = []
    for name in sorted({str(r[field]) for r in records}):
        mine = [r for r in records if str(r[field]) == name]
        rows.append({
            field: name, "requests": len(mine), "errors": sum(r["status"] >= 400 for r in mine),
            "tokens": sum(_tokens(mine).values()), "cost_usd": 0.0,
            "latency_p95_ms": _pct([r["latency_ms"] for r in mine], 0.95),
        })
    return rows


def summary(records: list[dict[str, Any]], window: str) -> dict[str, Any]:
    errors = sum(r["status"] >= 400 for r in records)
    latencies = [r["latency_ms"] for r in records]
    ttfts = [r["ttfb_ms"] for r in records if r["ttfb_ms"] is not None]
    now = time.time()
    return {
        "window": window, "generated_at": now,
        "totals": {
            "requests": len(records), "errors": errors, "error_rate": errors / len(records) if records else 0.0,
            "latency_ms": {"p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95)},
            "ttft_ms": {"p50": _pct(ttfts, 0.5), "p95": _pct(ttfts, 0.95)},
            "tokens": _tokens(records), "cost_usd": 0.0,
        },
        "series": [
            {"t": now - 60 * (2 - i), "requests": n, "errors": 0, "tokens": 10 * n, "cost_usd": 0.0,
             "latency_p95_ms": _pct(latencies, 0.95)}
            for i, n in enumerate((0, len(records) // 2, len(records)))
        ],
        "by_key": _group(records, "key"), "by_model": _group(records, "model"),
        "by_target": _group(records, "target"),
        "keys": [], "targets": [],
    }


def _filters() -> dict[str, str]:
    return {name: request.args[name] for name in ("key", "model", "status", "client_format") if request.args.get(name)}


def _matches(record: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(str(record.get(name)) == value for name, value in filters.items())


def _blueprint(holder: StateHolder, history: HistoryStandIn) -> Blueprint:
    bp = Blueprint("history_stand_in", __name__)
    bp.before_request(admin_check(holder))

    @bp.get("/metrics/summary")
    async def metrics_summary() -> Response:
        body = summary(history.records, request.args.get("window", "1h"))
        return Response(orjson.dumps(body), headers={"content-type": "application/json"})

    @bp.get("/admin/requests")
    async def recent() -> Response:
        found = [r for r in reversed(history.records) if _matches(r, _filters())][: int(request.args.get("limit", "50"))]
        return Response(orjson.dumps(found), headers={"content-type": "application/json"})

    @bp.get("/admin/requests/tail")
    async def tail() -> Response:
        filters = _filters()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        history.listeners.add(queue)

        async def events() -> AsyncIterator[bytes]:
            try:
                yield b": live\n\n"
                while True:
                    record = await queue.get()
                    if _matches(record, filters):
                        yield b"data: " + orjson.dumps(record) + b"\n\n"
            finally:
                history.listeners.discard(queue)

        response = Response(events(), headers={"content-type": "text/event-stream", "cache-control": "no-store"})
        response.timeout = None
        return response

    return bp


def dashboard_app(config: Config) -> Quart:
    """The gateway app, plus the stand-in while the real history endpoints are missing."""
    history = HistoryStandIn()
    app = create_app(config, features=[history])
    if not any(rule.rule == "/metrics/summary" for rule in app.url_map.iter_rules()):
        app.register_blueprint(_blueprint(app.extensions["interlingua"], history))
    return app
