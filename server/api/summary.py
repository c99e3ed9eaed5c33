"""``GET /metrics/summary?window=1h|1d|7d``: the dashboard's figures, from the request history.

Admin only (:mod:`.admin_gate`). The shape is documented in
:mod:`interlingua.server.observability.summary`; ``keys`` is each issued key's limit and
budget headroom (:mod:`interlingua.server.limits.headroom`); ``targets`` the router's live
view of target health (:func:`live_targets`). A summary is computed at most
once per :data:`FRESH_S` per process and window (concurrent requests share it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from quart import Blueprint, Response, request

from interlingua.server.api.admin_gate import admin_gate, json_error, json_response
from interlingua.server.api.admin_targets import targets_report
from interlingua.server.limits.headroom import keys_headroom
from interlingua.server.observability.history_store import iso_ms
from interlingua.server.observability.summary import WINDOWS, Groups, history_summary, targets_from_history
from interlingua.server.state import StateHolder

__all__ = ["PATH", "blueprint"]

PATH = "/metrics/summary"


# How long one computed summary is served again (per process and window): a dashboard
# open in several tabs, or several dashboards, cost one computation per interval.
FRESH_S = {"1h": 2.0, "1d": 15.0, "7d": 60.0}


class _Recent:
    """The last summary per window, and the computation under way (single flight)."""

    def __init__(self) -> None:
        self._done: dict[str, tuple[float, dict[str, Any]]] = {}
        self._running: dict[str, asyncio.Task[dict[str, Any]]] = {}

    async def get(self, window: str, compute: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        done = self._done.get(window)
        if done is not None and time.monotonic() - done[0] < FRESH_S[window]:
            return done[1]
        task = self._running.get(window)
        if task is None:
            task = asyncio.ensure_future(compute())
            self._running[window] = task
            task.add_done_callback(lambda _: self._running.pop(window, None))
        report = await asyncio.shield(task)
        self._done[window] = (time.monotonic(), report)
        return report


_STATES = {"up": "up", "probe_due": "up", "cooling": "cooling", "probing": "cooling"}


def live_targets(holder: StateHolder, groups: Groups) -> list[dict[str, Any]]:
    """``targets``: the router's view of each target (this process's cooldowns, failures and
    requests in flight, as ``GET /admin/targets``), latency falling back to the history's
    median. ``probe_due`` (cooled down, the next request tries it) shows as ``up``,
    ``probing`` (one trial request under way) as ``cooling``."""
    from_history = {(row["provider"], row["upstream_model"]): row for row in targets_from_history(groups)}
    now = time.time()
    out = []
    for live in targets_report(holder)["targets"]:
        provider, _, upstream_model = live["target"].partition("/")
        seen = from_history.get((provider, upstream_model), {})
        cooling_s = live["cooling_for_s"]
        out.append(
            {
                "provider": provider,
                "upstream_model": upstream_model,
                "state": _STATES.get(live["state"], "unknown"),
                "cooling_until": iso_ms(int((now + cooling_s) * 1000)) if cooling_s else None,
                "recent_failures": live["recent_failures"],
                "in_flight": live["in_flight"],
                "latency_ms": live["latency_ms"]
                if live["latency_ms"] is not None
                else seen.get("latency_ms"),
            }
        )
    return out


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("metrics_summary", __name__)
    recent = _Recent()

    @bp.get(PATH)
    async def summary() -> Response:
        refused = await admin_gate(holder)
        if refused is not None:
            return refused
        window = request.args.get("window", "1h")
        if window not in WINDOWS:
            return json_error(400, "invalid_request_error", f"window: one of {', '.join(WINDOWS)}", "window")
        services = holder.services
        keys = services.keys
        assert keys is not None  # the gate checked
        keys_now = partial(keys_headroom, services.counters, keys.repo)
        compute = partial(
            history_summary, keys.store.engine, window, keys=keys_now, targets=partial(live_targets, holder)
        )
        report = await recent.get(window, compute)
        return json_response(report)

    return bp
