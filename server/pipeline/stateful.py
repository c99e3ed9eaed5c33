"""Stateful Responses in the pipeline (``docs/design/stateful-responses.md``).

After routing, an OpenAI Responses client's generation call that a target of another
format may serve (the route's targets, fallbacks included) has its ``previous_response_id`` and ``item_reference`` items resolved
from the gateway's stored responses (:mod:`interlingua.server.responses`); what was
resolved is what gets translated, while ``call.body``/``call.raw`` stay as the client
sent them for a Responses upstream, which resolves its own ids (and stores its own
answers). When the answer is complete, the relay calls :func:`keep_response` before the
client's last bytes go out, so a follow-up request always finds it.

When a Responses target may serve the call, the ids it names are checked against the owners
recorded for a Responses upstream's ids, and the relay records the owner of the ids of a
passed-through answer (:func:`claim_passthrough`, :func:`claim_streamed`;
:mod:`interlingua.server.responses.claims`), so one key cannot continue another's.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import orjson

from interlingua.errors import InvalidRequest
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.responses import ResponseService, owner_of
from interlingua.server.responses.claims import Issuer, refuse_foreign
from interlingua.server.responses.resolve import has_references, resolve
from interlingua.streams.sse import SSEParser
from interlingua.translate import Format

__all__ = ["CLAIM_KEY", "KEEP_KEY", "claim_passthrough", "claim_streamed", "keep_response", "resolve_call"]

KEEP_KEY = "responses.keep"
CLAIM_KEY = "responses.claim"
_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
_KEPT_STATUSES = ("completed", "incomplete")


async def resolve_call(ctx: RequestContext, call: ClientCall, service: ResponseService | None) -> None:
    """Set ``call.resolved`` (and the keeper on ``ctx``) for a Responses call that may be translated."""
    if call.fmt is not Format.OPENAI_RESPONSES or ctx.route is None:
        return
    formats = {t.provider.format for leg in (*ctx.route.legs, *ctx.route.context_legs) for t in leg.targets}
    wanted = call.body.get("store") is not False
    if service is None:  # no record of upstream ids either: a passthrough goes as sent
        if formats != {Format.OPENAI_RESPONSES} and not has_references(call.body):
            call.resolved = {**call.body, "store": False}  # the echo says what happened
        return  # with references: prepare refuses them toward a translated target, naming one
    owner = owner_of(ctx.principal)
    generating = ctx.operation == "generate"  # a count (input_tokens) reads, never stores
    if Format.OPENAI_RESPONSES in formats and wanted and generating:
        ctx.extras[CLAIM_KEY] = partial(service.claim, owner)  # if a Responses target answers
    if formats == {Format.OPENAI_RESPONSES}:  # passed through: the upstream resolves and stores
        await refuse_foreign(call.body, owner, service.upstream_ids)
        return
    if Format.OPENAI_RESPONSES in formats and "conversation" in call.body:
        # A mixed route: the Responses target gets the conversation (a translated one refuses it).
        await refuse_foreign(call.body, owner, service.upstream_ids)
    try:
        resolved = await resolve(call.body, owner, service.repo)
    except InvalidRequest:
        if Format.OPENAI_RESPONSES in formats:  # may be a Responses upstream's id: it goes
            await refuse_foreign(call.body, owner, service.upstream_ids)  # there (a translated
            return  # target refuses it), unless it is another key's
        raise
    call.resolved = {**resolved.body, "store": wanted}
    if wanted and generating:
        ctx.extras[KEEP_KEY] = partial(service.save, owner, conversation=resolved.body["input"], own=resolved.own_items)


async def keep_response(ctx: RequestContext, response: dict[str, Any] | None) -> None:
    """Store the client's finished Response object, if this request keeps one (once)."""
    keep = ctx.extras.pop(KEEP_KEY, None)
    if keep is not None and response is not None and response.get("status") in _KEPT_STATUSES:
        await keep(response)


async def claim_passthrough(ctx: RequestContext, response: Any) -> None:
    """Record the caller as the owner of the ids in a Responses upstream's answer passed
    through (``responses/claims.py``), if this request records them (once)."""
    claim = ctx.extras.pop(CLAIM_KEY, None)
    attempt = ctx.attempt
    if claim is not None and attempt is not None and isinstance(response, dict) and isinstance(response.get("id"), str):
        await claim(response, Issuer(attempt.target.provider.name, attempt.key))


async def claim_streamed(ctx: RequestContext, events: bytes) -> None:
    """:func:`claim_passthrough` for a passed-through stream: ``events`` are whole SSE
    events, the terminal one among them (its response object holds every output item)."""
    if CLAIM_KEY not in ctx.extras:
        return
    for name, data in SSEParser().feed(events):
        if name in _TERMINAL or name is None:  # an event without a name line: its data says
            try:
                event = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            if isinstance(event, dict) and event.get("type") in _TERMINAL:
                await claim_passthrough(ctx, event.get("response"))
