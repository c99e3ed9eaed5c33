"""Request contexts as the pipeline leaves them, for testing observability hooks alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlingua.errors import GatewayError, UpstreamError
from interlingua.server.config import ProviderConfig
from interlingua.server.pipeline.context import (
    Attempt,
    AttemptOutcome,
    Outcome,
    Principal,
    RequestContext,
)
from interlingua.server.routing import Route, Target
from interlingua.server.surfaces import SURFACES
from interlingua.translate import Format, Policy

__all__ = ["USAGE", "finished", "provider"]

# Every kind of token an upstream reports, distinct numbers.
USAGE = {
    "input_tokens": 11,
    "output_tokens": 7,
    "cache_read_tokens": 100,
    "cache_creation_tokens": 20,
    "reasoning_tokens": 3,
}


def provider(
    name: str = "anthropic", fmt: Format = Format.ANTHROPIC_MESSAGES, **extra: Any
) -> ProviderConfig:
    return ProviderConfig(name=name, format=fmt, base_url="https://api.example.test:8443/v1", **extra)


@dataclass(frozen=True)
class Scenario:
    client: Format = Format.OPENAI_CHAT
    upstream: ProviderConfig | None = None
    model: str = "claude-x"
    stream: bool = False
    usage: dict[str, int] | None = None
    error: GatewayError | None = None
    status: int = 200
    attempts: int = 1
    key: str = "team-a"
    routed: bool = True


def finished(**options: Any) -> RequestContext:
    """A request that went through every stage: received at t=100 s, first attempt at 100.01 s
    (failed ones take 100 ms, the next starts 1 ms later), the last one sent 1 ms after it
    started, first bytes 200 ms later, last byte at 101 s."""
    sc = Scenario(**options)
    client, model, stream, usage, error, status = sc.client, sc.model, sc.stream, sc.usage, sc.error, sc.status
    attempts, key, routed, upstream = sc.attempts, sc.key, sc.routed, sc.upstream
    ctx = RequestContext("req_test", SURFACES[client], "generate", state=None)  # type: ignore[arg-type]
    ctx.principal = Principal("virtual_key", key, key_id="k1")
    ctx.client_model, ctx.stream = model, stream
    t = ctx.timings
    t.received, t.received_at = 100.0, 1_700_000_000.0
    upstream = upstream or provider()
    if routed:
        target = Target(upstream, f"{model}-upstream", Policy())
        ctx.route = Route(model, (target,), legs=())  # the walk is not replayed here
        start = 100.01
        for n in range(1, attempts + 1):
            last = n == attempts
            attempt = Attempt(target, n, started=start)
            attempt.status = 200 if last and error is None else 500
            attempt.outcome = AttemptOutcome.OK if last and error is None else AttemptOutcome.FAILOVER
            if not last:
                attempt.error = UpstreamError("upstream failed", status=500)
            elif error is not None:
                attempt.status, attempt.error, attempt.outcome = error.status, error, AttemptOutcome.ERROR
            attempt.ended = attempt.started + (0.5 if last else 0.1)
            start = attempt.ended + 0.001
            ctx.attempts.append(attempt)
        t.upstream_sent = ctx.attempts[-1].started + 0.001
        if error is None:
            ctx.upstream_format = upstream.format
            t.first_byte = t.upstream_sent + 0.2
    if usage:
        ctx.usage.update(usage)
        ctx.finish_reason = "end_turn"
    t.last_byte = 101.0
    ctx.outcome = Outcome.OK if error is None else Outcome.UPSTREAM_ERROR
    ctx.status, ctx.error = status, error
    return ctx
