"""The OpenAI Responses surface: ``POST /v1/responses`` (streamed with ``"stream": true``)
and ``POST /v1/responses/input_tokens`` (forwarded to a Responses upstream, else a local
estimate, said so in ``x-interlingua-warning``).

Toward a Responses upstream the request passes through (``store`` and
``previous_response_id`` included). Toward any other upstream format the gateway is
stateless: ``store`` is ignored (an ``x-interlingua-warning`` header says so unless the
client sent ``store: false``) and ``previous_response_id`` is refused with a 400, because
the gateway keeps no conversation it could continue (:mod:`interlingua.server.calls`).
"""

from __future__ import annotations

import orjson
from quart import Blueprint, Response

from interlingua.server.calls import read_call
from interlingua.server.gateway import Gateway
from interlingua.server.proxy import forward_plain, generate
from interlingua.server.rewrite import replace_model
from interlingua.server.tokens import estimate_input_tokens
from interlingua.translate import Format

__all__ = ["blueprint"]

_FMT = Format.OPENAI_RESPONSES


def blueprint(gw: Gateway) -> Blueprint:
    bp = Blueprint("responses", __name__)

    @bp.post("/v1/responses")
    async def responses() -> Response:
        return await generate(gw, _FMT)

    @bp.post("/v1/responses/input_tokens")
    async def input_tokens() -> Response:
        call = await read_call(_FMT, conversation=False)
        route = gw.router.route(call.model)
        upstream = gw.upstream(route.provider.name)
        if upstream.format is _FMT:
            payload = replace_model(call.raw, call.body, route.upstream_model)
            return await forward_plain(upstream, "count_tokens", payload, _FMT)
        count = estimate_input_tokens(call.body, _FMT.value)
        return Response(
            orjson.dumps({"object": "response.input_tokens", "input_tokens": count}),
            headers={
                "content-type": "application/json",
                "x-interlingua-warning": "input_tokens is a local estimate",
            },
        )

    return bp
