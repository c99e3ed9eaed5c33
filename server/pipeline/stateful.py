"""Stateful Responses in the pipeline (``docs/design/stateful-responses.md``).

After routing, an OpenAI Responses client's generation call that a target of another
format may serve (the route's targets, fallbacks included) has its ``previous_response_id`` and ``item_reference`` items resolved
from the gateway's stored responses (:mod:`interlingua.server.responses`); what was
resolved is what gets translated, while ``call.body``/``call.raw`` stay as the client
sent them for a Responses upstream, which resolves its own ids (and stores its own
answers). When the answer is complete, the relay calls :func:`keep_response` before the
client's last bytes go out, so a follow-up request always finds it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from interlingua.errors import InvalidRequest
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.responses import ResponseService, owner_of
from interlingua.server.responses.resolve import has_references, resolve
from interlingua.translate import Format

__all__ = ["KEEP_KEY", "keep_response", "resolve_call"]

KEEP_KEY = "responses.keep"
_KEPT_STATUSES = ("completed", "incomplete")


async def resolve_call(ctx: RequestContext, call: ClientCall, service: ResponseService | None) -> None:
    """Set ``call.resolved`` (and the keeper on ``ctx``) for a Responses call that may be translated."""
    if call.fmt is not Format.OPENAI_RESPONSES or ctx.route is None:
        return
    formats = {t.provider.format for leg in (*ctx.route.legs, *ctx.route.context_legs) for t in leg.targets}
    if formats == {Format.OPENAI_RESPONSES}:
        return  # passed through untouched: the upstream resolves and stores
    wanted = call.body.get("store") is not False
    if service is None:
        if not has_references(call.body):  # with references: prepare refuses them, naming one
            call.resolved = {**call.body, "store": False}  # the echo says what happened
        return
    owner = owner_of(ctx.principal)
    try:
        resolved = await resolve(call.body, owner, service.repo)
    except InvalidRequest:
        if Format.OPENAI_RESPONSES in formats:
            return  # may be a Responses upstream's id: it goes there; a translated target refuses it
        raise
    call.resolved = {**resolved.body, "store": wanted}
    if wanted and ctx.operation == "generate":  # a count (input_tokens) reads, never stores
        ctx.extras[KEEP_KEY] = partial(service.save, owner, conversation=resolved.body["input"], own=resolved.own_items)


async def keep_response(ctx: RequestContext, response: dict[str, Any] | None) -> None:
    """Store the client's finished Response object, if this request keeps one (once)."""
    keep = ctx.extras.pop(KEEP_KEY, None)
    if keep is not None and response is not None and response.get("status") in _KEPT_STATUSES:
        await keep(response)
