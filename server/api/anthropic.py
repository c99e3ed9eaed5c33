"""The Anthropic Messages surface: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

Query strings are ignored (Claude Code posts to ``/v1/messages?beta=true``).

``count_tokens`` is forwarded when the model's provider speaks Anthropic
Messages; for any other upstream the gateway answers with a local estimate
(:func:`interlingua.server.tokens.estimate_input_tokens`), because a 404 or a
fake zero breaks Claude Code's context management.
"""

from __future__ import annotations

from quart import Blueprint, Response

from interlingua.server.pipeline.execute import count_tokens, generate
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.ANTHROPIC_MESSAGES)


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("anthropic", __name__)

    @bp.post("/v1/messages")
    async def messages() -> Response:
        return await generate(holder, _SURFACE)

    @bp.post("/v1/messages/count_tokens")
    async def messages_count_tokens() -> Response:
        return await count_tokens(holder, _SURFACE)

    return bp
