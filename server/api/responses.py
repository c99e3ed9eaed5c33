"""The OpenAI Responses surface: ``POST /v1/responses`` (streamed with ``"stream": true``)
and ``POST /v1/responses/input_tokens`` (forwarded to a Responses upstream, else a local
estimate, said so in ``x-interlingua-warning``).

Toward a Responses upstream the request passes through (``store`` and
``previous_response_id`` included). Toward any other upstream format the gateway is
stateless: ``store`` is ignored (an ``x-interlingua-warning`` header says so unless the
client sent ``store: false``) and ``previous_response_id`` is refused with a 400, because
the gateway keeps no conversation it could continue (:mod:`interlingua.server.pipeline.prepare`).
"""

from __future__ import annotations

from quart import Blueprint, Response

from interlingua.server.pipeline.execute import count_tokens, generate
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.OPENAI_RESPONSES)


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("responses", __name__)

    @bp.post("/v1/responses")
    async def responses() -> Response:
        return await generate(holder, _SURFACE)

    @bp.post("/v1/responses/input_tokens")
    async def input_tokens() -> Response:
        return await count_tokens(holder, _SURFACE)

    return bp
