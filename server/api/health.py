"""``GET /healthz`` (the process answers) and ``GET /readyz`` (config loaded, upstream clients made)."""

from __future__ import annotations

import orjson
from quart import Blueprint, Response

from interlingua.server.gateway import Gateway

__all__ = ["blueprint"]

_JSON = {"content-type": "application/json"}


def blueprint(gw: Gateway) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', headers=_JSON)

    @bp.get("/readyz")
    async def readyz() -> Response:
        if not gw.ready:
            return Response(b'{"status":"starting"}', status=503, headers=_JSON)
        body = {
            "status": "ready",
            "providers": [p.name for p in gw.config.providers],
            "models": len(gw.config.models),
        }
        return Response(orjson.dumps(body), headers=_JSON)

    return bp
