"""The OpenAI Chat Completions surface: ``POST /v1/chat/completions``."""

from __future__ import annotations

from quart import Blueprint, Response

from interlingua.server.pipeline.execute import generate
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.OPENAI_CHAT)


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("openai", __name__)

    @bp.post("/v1/chat/completions")
    async def chat_completions() -> Response:
        return await generate(holder, _SURFACE)

    return bp
