"""The Anthropic Messages surface: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

Query strings are ignored (Claude Code posts to ``/v1/messages?beta=true``).

``count_tokens`` is forwarded when the model's provider speaks Anthropic
Messages; for any other upstream the gateway answers with a local estimate
(:func:`interlingua.server.tokens.estimate_input_tokens`), because a 404 or a
fake zero breaks Claude Code's context management.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from quart import Blueprint, Response

from interlingua.server.api.route import post
from interlingua.server.pipeline.execute import count_tokens, generate
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.ANTHROPIC_MESSAGES)


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("anthropic", __name__)

    @post(bp, "/v1/messages")
    def messages(inbound: Inbound) -> Coroutine[Any, Any, Response]:
        return generate(holder, _SURFACE, inbound)

    @post(bp, "/v1/messages/count_tokens")
    def messages_count_tokens(inbound: Inbound) -> Coroutine[Any, Any, Response]:
        return count_tokens(holder, _SURFACE, inbound)

    return bp
