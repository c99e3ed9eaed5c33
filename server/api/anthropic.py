"""The Anthropic Messages surface: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

Query strings are ignored (Claude Code posts to ``/v1/messages?beta=true``).

``count_tokens`` is forwarded when the model's provider speaks Anthropic
Messages; for any other upstream the gateway answers with a local estimate
(:func:`interlingua.server.tokens.estimate_input_tokens`), because a 404 or a
fake zero breaks Claude Code's context management.
"""

from __future__ import annotations

import orjson
from quart import Blueprint, Response

from interlingua.server.gateway import Gateway
from interlingua.server.proxy import forward_plain, generate, read_json
from interlingua.server.rewrite import replace_model
from interlingua.server.tokens import estimate_input_tokens
from interlingua.translate import Format

__all__ = ["blueprint"]

_FMT = Format.ANTHROPIC_MESSAGES


def blueprint(gw: Gateway) -> Blueprint:
    bp = Blueprint("anthropic", __name__)

    @bp.post("/v1/messages")
    async def messages() -> Response:
        return await generate(gw, _FMT)

    @bp.post("/v1/messages/count_tokens")
    async def count_tokens() -> Response:
        raw, body = await read_json(_FMT)
        route = gw.router.route(body["model"])
        upstream = gw.upstream(route.provider.name)
        if upstream.format is _FMT:
            return await forward_plain(
                upstream, "count_tokens", replace_model(raw, body, route.upstream_model), _FMT
            )
        count = estimate_input_tokens(body, _FMT.value)
        return Response(
            orjson.dumps({"input_tokens": count}),
            headers={
                "content-type": "application/json",
                "x-interlingua-warning": "input_tokens is a local estimate",
            },
        )

    return bp
