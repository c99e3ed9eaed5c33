"""``GET /healthz`` (the process answers) and ``GET /readyz`` (config loaded, upstream clients made;
with the loaded config's hash and load time, which change on every hot reload; and, when
limits are on, where their counters live and whether that store is reachable)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from quart import Blueprint, Response

from interlingua.server.state import StateHolder

__all__ = ["blueprint"]

_JSON = {"content-type": "application/json"}


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', headers=_JSON)

    @bp.get("/readyz")
    async def readyz() -> Response:
        if not holder.ready:
            return Response(b'{"status":"starting"}', status=503, headers=_JSON)
        state = holder.current
        body = {
            "status": "ready",
            "providers": [p.name for p in state.config.providers],
            "models": len(state.config.models),
            "config": {
                "hash": state.config_hash,
                "loaded_at": datetime.fromtimestamp(state.loaded_at, UTC).isoformat(timespec="seconds"),
            },
        }
        status = 200
        if state.hooks.feature("limits") is not None:
            # Shared counters unreachable: degraded (counting per instance), or not ready
            # at all when limited requests are being refused (redis.on_error: fail_closed).
            limits = holder.services.counters.status()
            body["limits"] = limits
            if not limits.get("ok", True):
                body["status"] = "degraded"
                status = 503 if state.config.redis.on_error == "fail_closed" else 200
        return Response(orjson.dumps(body), status=status, headers=_JSON)

    return bp
