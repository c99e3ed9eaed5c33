"""``GET /healthz`` (the process answers) and ``GET /readyz`` (config loaded, upstream clients made;
with the loaded config's hash and load time, which change on every hot reload)."""

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
        return Response(orjson.dumps(body), headers=_JSON)

    return bp
