"""The account stage: close a request's books exactly once, whatever happened.

Sets the outcome, status and last-byte time on the context, then runs the features'
``complete`` hooks (settle limits, metrics, logs). Called by the execute stage for plain
answers and errors, and by the stream relays when a stream ends (done, cut by the
upstream, or abandoned by the client).
"""

from __future__ import annotations

import time
from typing import Any

from interlingua.errors import GatewayError
from interlingua.server.pipeline.context import Outcome, RequestContext

__all__ = [
    "CONTEXTS_KEY",
    "RELEASE_KEY",
    "UPSTREAM_RESPONSE_KEY",
    "abandon",
    "account",
    "outcome_of",
    "unaccounted",
]

# The scope key listing a request's contexts, and the extras key of an unread upstream answer.
CONTEXTS_KEY = "interlingua.contexts"
UPSTREAM_RESPONSE_KEY = "pipeline.upstream_response"
# The extras key of a callable run once when the request is accounted (the routing
# target's in-flight slot is given back then, whenever and however the answer ended).
RELEASE_KEY = "pipeline.release"


def outcome_of(err: GatewayError) -> Outcome:
    if err.fault == "client":
        return Outcome.CLIENT_ERROR
    if err.fault == "upstream":
        return Outcome.UPSTREAM_ERROR
    return Outcome.GATEWAY_ERROR


async def account(
    ctx: RequestContext, outcome: Outcome, status: int | None = None, error: GatewayError | None = None
) -> None:
    if ctx.outcome is not None:
        return  # already accounted
    ctx.outcome = outcome
    ctx.status = status if status is not None else (error.status if error is not None else ctx.status)
    ctx.error = error
    if ctx.timings.last_byte is None:
        ctx.timings.last_byte = time.perf_counter()
    release = ctx.extras.pop(RELEASE_KEY, None)
    if release is not None:
        release()
    hooks = ctx.state.hooks
    if hooks.complete_hooks:
        await hooks.complete(ctx)


def unaccounted(scope: Any) -> list[RequestContext]:
    """The request's contexts no stage accounted (the edge calls this when the ASGI call ends).

    A stream's generator accounts its request when it ends; but if the client leaves
    before the response body was ever iterated, the generator never runs and its
    ``finally`` never happens: such a context is :func:`abandon`-ed."""
    contexts: list[RequestContext] | None = scope.get(CONTEXTS_KEY)
    left: list[RequestContext] = []
    if contexts:
        for ctx in contexts:  # (a loop: a list comprehension is one more call per request)
            if ctx.outcome is None:
                left.append(ctx)
    return left


async def abandon(ctx: RequestContext) -> None:
    """Account ``ctx`` as cancelled and close its upstream response, which nobody will read."""
    pending = ctx.extras.pop(UPSTREAM_RESPONSE_KEY, None)
    if pending is not None:
        await pending.aclose()
    await account(ctx, Outcome.CANCELLED, 499)
