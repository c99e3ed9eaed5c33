"""The OpenAI Responses surface: ``POST /v1/responses`` (streamed with ``"stream": true``).

Toward a Responses upstream the request passes through (``store`` and
``previous_response_id`` included). Toward any other upstream format the gateway is
stateless: ``store`` is ignored (an ``x-interlingua-warning`` header says so unless the
client sent ``store: false``) and ``previous_response_id`` is refused with a 400, because
the gateway keeps no conversation it could continue (:mod:`interlingua.server.calls`).
"""

from __future__ import annotations

from quart import Blueprint, Response

from interlingua.server.gateway import Gateway
from interlingua.server.proxy import generate
from interlingua.translate import Format

__all__ = ["blueprint"]


def blueprint(gw: Gateway) -> Blueprint:
    bp = Blueprint("responses", __name__)

    @bp.post("/v1/responses")
    async def responses() -> Response:
        return await generate(gw, Format.OPENAI_RESPONSES)

    return bp
