"""``GET /metrics/summary?window=1h|1d|7d``: the dashboard's figures, from the request history.

Admin only (:mod:`.admin_gate`). The shape is documented in
:mod:`interlingua.server.observability.summary`; ``keys`` is each issued key's limit and
budget headroom (:mod:`interlingua.server.limits.headroom`).
"""

from __future__ import annotations

from functools import partial

from quart import Blueprint, Response, request

from interlingua.server.api.admin_gate import admin_gate, json_error, json_response
from interlingua.server.limits.headroom import keys_headroom
from interlingua.server.observability.summary import WINDOWS, history_summary
from interlingua.server.state import StateHolder

__all__ = ["PATH", "blueprint"]

PATH = "/metrics/summary"


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("metrics_summary", __name__)

    @bp.get(PATH)
    async def summary() -> Response:
        refused = admin_gate(holder)
        if refused is not None:
            return refused
        window = request.args.get("window", "1h")
        if window not in WINDOWS:
            return json_error(400, "invalid_request_error", f"window: one of {', '.join(WINDOWS)}", "window")
        services = holder.services
        keys = services.keys
        assert keys is not None  # the gate checked
        report = await history_summary(
            keys.store.engine, window, keys=partial(keys_headroom, services.counters, keys.repo)
        )
        return json_response(report)

    return bp
