"""``GET /admin/targets``: every routing target's state, and each provider's key pool.

Served only when ``admin.api_key`` is set, to the admin (:mod:`interlingua.server.admin_auth`:
the Bearer admin key or a dashboard session). The view is this gateway process's (with
Redis it has adopted the fleet's cooldowns; a target another instance probes shows as
``probing``): ``{"targets": [{"target",
"state": up | cooling | probe_due | probing, "cooling_for_s", "recent_failures",
"in_flight", "latency_ms", "requests", "errors"}], "providers": [{"provider", "keys":
[{"key": "#1", "state": up | resting, "resting_for_s", "reason"}]}]}``. Keys are named by
position only.
"""

from __future__ import annotations

from typing import Any

import orjson
from quart import Blueprint, Response

from interlingua.server.admin_auth import admin_check
from interlingua.server.state import StateHolder

__all__ = ["blueprint", "targets_report"]

_JSON = {"content-type": "application/json"}


def targets_report(holder: StateHolder) -> dict[str, Any]:
    state = holder.current
    resilience = state.router.resilience
    health = resilience.health
    for route in state.config.models:  # configured targets show even before their first request
        for target in route.all_targets:
            if target.upstream_model is not None:
                health[f"{target.provider}/{target.upstream_model}"]
    return {
        "targets": [health.describe(h) for h in sorted(health, key=lambda h: h.name)],
        "providers": [{"provider": name, "keys": pool.describe()} for name, pool in resilience.pools.items()],
    }


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("admin_targets", __name__)
    bp.before_request(admin_check(holder))  # 404 without admin.api_key (a reload may set it)

    @bp.get("/admin/targets")
    async def targets() -> Response:
        return Response(orjson.dumps(targets_report(holder)), headers=_JSON)

    return bp
