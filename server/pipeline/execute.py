"""One API request through the stages: ingress, authenticate, admit, route, attempt, relay, account.

``docs/design/pipeline.md`` describes the stages, the context and the hook points. The
blueprints in ``server/api/`` only say which surface and operation a route is and where
the model and stream flag come from; everything else happens here, in the same order
for every client format and operation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from quart import Response

from interlingua.errors import GatewayError
from interlingua.server.edge import add_response_headers, latin1
from interlingua.server.errors import UpstreamRefused, error_response, warning_headers
from interlingua.server.features.auth import principal_of
from interlingua.server.features.request_id import request_id_of
from interlingua.server.headers import OWN_RATE_LIMITS_KEY, without_rate_limits
from interlingua.server.pipeline.account import CONTEXTS_KEY, account, outcome_of
from interlingua.server.pipeline.cached import CACHE_KEY, cache_hit, recorded, recorder_for
from interlingua.server.pipeline.context import AttemptOutcome, Operation, Outcome, RequestContext
from interlingua.server.pipeline.counting import count
from interlingua.server.pipeline.failover import walk
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.pipeline.ingress import ClientCall, read_call
from interlingua.server.pipeline.relay import relay
from interlingua.server.pipeline.stateful import resolve_call
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import ClientSurface
from interlingua.translate import Format

__all__ = ["Stages", "count_tokens", "generate", "serve_stored"]

# The stages after ``request_start``: the answer, and whether it is a stream (whose
# generator accounts the request when it ends).
Stages = Callable[[RequestContext, dict[str, Any]], Awaitable[tuple[Response, bool]]]


# generate, count_tokens and _serve hand back _run's coroutine rather than await it in one of
# their own: the view awaits two coroutines less, which every suspension of the request resumes.
def generate(
    holder: StateHolder, surface: ClientSurface, inbound: Inbound, **read: Any
) -> Coroutine[Any, Any, Response]:
    """Serve a generation call; ``read``: what the URL says (``model``, ``stream``, ``sse``)."""
    return _serve(holder, surface, "generate", inbound, read)


def count_tokens(
    holder: StateHolder, surface: ClientSurface, inbound: Inbound, **read: Any
) -> Coroutine[Any, Any, Response]:
    """Serve a count-tokens call: counted by the upstream where its format has a counting
    endpoint (translated if need be), else a local estimate (``pipeline/counting.py``)."""
    return _serve(holder, surface, "count_tokens", inbound, {"conversation": False, **read})


def _serve(
    holder: StateHolder, surface: ClientSurface, op: Operation, inbound: Inbound, read: dict[str, Any]
) -> Coroutine[Any, Any, Response]:
    async def stages(ctx: RequestContext, scope: dict[str, Any]) -> tuple[Response, bool]:
        call = await read_call(surface, inbound, **read)
        ctx.client_model, ctx.stream, ctx.body = call.model, call.stream, call.body
        ctx.extras["call"] = call  # admit hooks estimate the request's size from it
        await _admit(ctx, scope)
        ctx.route = ctx.state.router.route(call.model)
        if call.fmt is Format.OPENAI_RESPONSES:  # stored state (no coroutine for the others)
            await resolve_call(ctx, call, holder.services.responses)
        return await _attempt_and_relay(ctx, call, op, scope)

    return _run(holder, surface, op, inbound, stages)


async def serve_stored(
    holder: StateHolder, surface: ClientSurface, inbound: Inbound, op: Operation, stages: Stages
) -> Response:
    """Serve a call on one stored response (``RESPONSE_OPERATIONS``): authenticated and
    admitted like any call (no model: the key's request and concurrency limits), then
    ``stages`` (answered from the gateway's store, or forwarded to the upstream that holds
    it), accounted once like any other call."""

    async def admitted(ctx: RequestContext, scope: dict[str, Any]) -> tuple[Response, bool]:
        await _admit(ctx, scope)
        return await stages(ctx, scope)

    return await _run(holder, surface, op, inbound, admitted)


async def _admit(ctx: RequestContext, scope: dict[str, Any]) -> None:
    ctx.principal = principal_of(scope)
    hooks = ctx.state.hooks
    if hooks.admit_hooks:
        await hooks.admit(ctx)


async def _run(
    holder: StateHolder, surface: ClientSurface, op: Operation, inbound: Inbound, stages: Stages
) -> Response:
    """The context made, ``request_start``, ``stages``, and the account: an error in the
    client's envelope, a plain answer here, a stream by its generator when it ends."""
    state = holder.acquire()
    scope = inbound.scope
    ctx = RequestContext(request_id_of(scope), surface, op, state, inbound=inbound)
    scope.setdefault(CONTEXTS_KEY, []).append(ctx)  # accounted by the edge if no stage does
    hooks = state.hooks
    try:
        if hooks.request_start_hooks:
            await hooks.request_start(ctx)
        try:
            response, streaming = await stages(ctx, scope)
        except GatewayError as err:
            if OWN_RATE_LIMITS_KEY in ctx.extras and isinstance(err, UpstreamRefused):
                err.headers = without_rate_limits(err.headers)  # the key's own are shown
            response = error_response(err, surface.format)
            add_response_headers(scope, _headers(ctx))
            await account(ctx, outcome_of(err), response.status_code, err)
            return response
        add_response_headers(scope, _headers(ctx))
        if not streaming:
            await account(ctx, Outcome.OK, response.status_code)
        return response
    finally:
        holder.release(state)


async def _attempt_and_relay(
    ctx: RequestContext, call: ClientCall, op: Operation, scope: dict[str, Any]
) -> tuple[Response, bool]:
    assert ctx.route is not None
    if op == "count_tokens":
        return await count(ctx, call, scope["headers"]), False
    headers = scope["headers"]
    recorder = recorder_for(ctx, call, headers, scope["query_string"])
    if recorder is not None and (hit := await cache_hit(ctx, call, recorder)) is not None:
        return hit, False
    landing = await walk(ctx, call, headers)
    sent = landing.result
    strip = sent.prepared.strip_usage_chunk
    response, streaming = await relay(
        ctx, call, landing.target, sent.upstream, sent.response, strip_usage_chunk=strip
    )
    if recorder is not None:
        response = await recorded(response, streaming, call, recorder)
    return response, streaming


def _headers(ctx: RequestContext) -> list[tuple[bytes, bytes]]:
    """The headers the pipeline adds, as bytes for the edge (routing's own are built as bytes:
    every answer has them)."""
    headers = [] if not ctx.warnings else latin1(warning_headers(ctx.warnings))
    hooks = ctx.state.hooks
    if hooks.response_headers_hooks:
        headers += hooks.response_headers(ctx)  # bytes already
    attempts = ctx.attempts
    if attempts and ctx.operation == "generate":
        last = attempts[-1]
        if last.outcome is AttemptOutcome.OK:
            headers.append((b"x-interlingua-target", last.target.name_header))
        headers.append((b"x-interlingua-attempts", b"%d" % len(attempts)))
    if CACHE_KEY in ctx.extras:
        headers += latin1([("x-interlingua-cache", ctx.extras[CACHE_KEY])])
    return headers
