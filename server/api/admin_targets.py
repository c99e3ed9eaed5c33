"""``GET /admin/targets``: every routing target's state, and each provider's key pool.

Served only when ``admin.api_key`` is set (:mod:`interlingua.server.admin_auth`). The view
is this gateway process's (with Redis it has adopted the fleet's cooldowns; a target
another instance probes shows as ``probing``): ``{"targets": [{"target",
"state": up | cooling | probe_due | probing, "cooling_for_s", "recent_failures",
"in_flight", "latency_ms", "requests", "errors"}], "providers": [{"provider", "keys":
[{"key": "#1", "state": up | resting, "resting_for_s", "reason"}]}]}``. Keys are named by
position only.
"""

from __future__ import annotations

from typing import Any

import orjson
from quart import Blueprint, Response, request

from interlingua.server.admin_auth import admin_authorized
from interlingua.server.state import StateHolder

__all__ = ["blueprint", "targets_report"]

_JSON = {"content-type": "application/json"}
_NOT_FOUND = orjson.dumps({"error": {"type": "not_found_error", "message": "no such endpoint"}})
_DENIED = orjson.dumps(
    {"error": {"type": "authentication_error", "message": "the admin API needs the admin key (Bearer)"}}
)


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

    @bp.get("/admin/targets")
    async def targets() -> Response:
        key = holder.config.admin.api_key
        if key is None:  # not served (a reload may turn it on)
            return Response(_NOT_FOUND, status=404, headers=_JSON)
        if not admin_authorized(request.scope["headers"], key):
            return Response(_DENIED, status=401, headers=_JSON)
        return Response(orjson.dumps(targets_report(holder)), headers=_JSON)

    return bp
