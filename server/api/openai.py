"""The OpenAI Chat Completions surface: ``POST /v1/chat/completions``."""

from __future__ import annotations

from quart import Blueprint, Response

from interlingua.server.gateway import Gateway
from interlingua.server.proxy import generate
from interlingua.translate import Format

__all__ = ["blueprint"]


def blueprint(gw: Gateway) -> Blueprint:
    bp = Blueprint("openai", __name__)

    @bp.post("/v1/chat/completions")
    async def chat_completions() -> Response:
        return await generate(gw, Format.OPENAI_CHAT)

    return bp
