"""The OpenAI Chat Completions surface: ``POST /v1/chat/completions``."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from quart import Blueprint, Response

from interlingua.server.api.route import post
from interlingua.server.pipeline.execute import generate
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.OPENAI_CHAT)


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("openai", __name__)

    @post(bp, "/v1/chat/completions")
    def chat_completions(inbound: Inbound) -> Coroutine[Any, Any, Response]:
        return generate(holder, _SURFACE, inbound)

    return bp
