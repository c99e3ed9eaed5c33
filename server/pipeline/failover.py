"""The walk over a route's targets: one :func:`~.attempt.attempt` per target, each with the
body built for that target's format (:func:`~.prepare.prepare_generate`), until one
answers (:func:`~interlingua.server.resilience.plan.run_plan`: balancing, failover before
the first byte, retries with backoff, key rotation, cooldowns).

A request served by a target of another format than an earlier attempt's is translated
for it from the client's body, so failover across formats is invisible to the client:
the relay answers in the client's format under the model name it asked for. Only the
answering attempt's translation notes reach ``x-interlingua-warning``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from interlingua.errors import GatewayError
from interlingua.server.pipeline.account import RELEASE_KEY
from interlingua.server.pipeline.attempt import attempt
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.pipeline.prepare import Prepared, prepare_generate
from interlingua.server.resilience.plan import Landing, Unfit, run_plan
from interlingua.server.routing import Target
from interlingua.server.upstream import Upstream

__all__ = ["Sent", "walk"]


@dataclass(slots=True)
class Sent:
    """The answering attempt: its upstream, its 2xx response and what was sent."""

    upstream: Upstream
    response: httpx.Response
    prepared: Prepared


Prepare = Callable[[ClientCall, Target, Upstream], Prepared]


async def walk(
    ctx: RequestContext,
    call: ClientCall,
    client_headers: Iterable[tuple[bytes, bytes]],
    prepare: Prepare = prepare_generate,
    unfit: Callable[[GatewayError], bool] | None = None,
) -> Landing[Target, Sent]:
    """The first target's answer; raises the last failure when every attempt failed.
    ``prepare`` builds what goes to a target (it raises :class:`~.plan.Unfit` to pass a
    target over: count_tokens does for targets that cannot count); ``unfit`` says which
    failed attempts pass their target over too (a Bedrock model without CountTokens: the
    next target may count), neither counted against its health nor ending the walk.
    With every target passed over, :class:`~.plan.Unfit` is raised."""
    route = ctx.route
    assert route is not None
    resilience = ctx.state.router.resilience
    limit = resilience.config.timeouts.first_byte_ms
    # A whole answer's first byte comes when it is complete: read_ms bounds those.
    first_byte_s = limit / 1000 if call.stream and limit is not None else None

    async def one(target: Target, key: int) -> Sent:
        upstream = ctx.state.upstreams[target.provider.name]
        prepared = prepare(call, target, upstream)
        prepared.outgoing.key, prepared.outgoing.first_byte_s = key, first_byte_s
        try:
            resp = await attempt(ctx, target, upstream, prepared.outgoing, client_headers)
        except GatewayError as err:
            if unfit is not None and unfit(err):
                raise Unfit from None
            raise
        return Sent(upstream, resp, prepared)

    landing = await run_plan(
        route.legs, one, resilience.config, resilience.health, context_legs=route.context_legs
    )
    ctx.extras[RELEASE_KEY] = landing.done  # the target's in-flight slot, until the answer ends
    ctx.warnings.extend(landing.result.prepared.warnings)
    return landing
