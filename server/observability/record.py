"""One request's record: what the access log writes and the request history keeps.

Built from the request context once the request ended. It names the key (never the
key itself), the route and the outcome, tokens by type and timings in milliseconds; no
message content, no header, no URL query (a Gemini client's ``?key=`` lives there).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlingua.server.limits.pricing import Pricing
    from interlingua.server.pipeline.context import RequestContext

__all__ = ["gateway_ms", "request_record", "upstream_ms"]


def _ms(seconds: float) -> float:
    """``round(seconds * 1000, 3)``, the same float, mostly without ``round``: its decimal
    conversions cost ~2,700 instructions, and a request takes five readings. Rounding the
    microseconds as an integer gives round's result (``N / 1000`` is the float nearest to
    N/1000, as round's is) unless they lie within the product's rounding error (< 2**-13
    below 2**40 us) of a half, where round decides (ties to even)."""
    ms = seconds * 1000
    us = ms * 1000
    whole = int(us)
    frac = us - whole
    if 0.0 < us < 1e12 and not 0.499 < frac < 0.501:
        return (whole + 1 if frac > 0.5 else whole) / 1000
    return round(ms, 3)


# The formatted second of the latest record: requests arrive many per second, and
# strftime(gmtime()) costs ~8,600 instructions.
_second: tuple[int, str] = (-1, "")


def _iso(wall: float) -> str:
    global _second
    second, text = _second
    if int(wall) != second:
        second = int(wall)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second = (second, text)
    return f"{text}.{int(wall * 1000) % 1000:03d}Z"


def gateway_seconds(ctx: RequestContext) -> float | None:
    """The gateway's own time before the (last) upstream call went out, earlier attempts excluded;
    None when no upstream was called."""
    sent = ctx.timings.upstream_sent
    if sent is None:
        return None
    attempts = ctx.attempts
    waited = sum(a.ended - a.started for a in attempts[:-1] if a.ended is not None) if len(attempts) > 1 else 0.0
    seconds = sent - ctx.timings.received - waited
    return 0.0 if seconds < 0.0 else seconds  # max(seconds, 0.0) without the call


def gateway_ms(ctx: RequestContext) -> float | None:
    seconds = gateway_seconds(ctx)
    return None if seconds is None else _ms(seconds)


def upstream_ms(ctx: RequestContext) -> float | None:
    """Time from the last upstream call going out to its answer's first bytes (a plain answer:
    to the whole answer read)."""
    sent, first = ctx.timings.upstream_sent, ctx.timings.first_byte
    return None if sent is None or first is None else _ms(first - sent)


def request_record(ctx: RequestContext, pricing: Pricing | None = None) -> dict[str, Any]:
    """The access-log fields of a finished request (``complete`` hook time); ``cost_usd`` at
    ``pricing``'s prices (None without usage, or 0.0 for a model the table does not price).
    Enums by ``_value_``: ``.value`` is two Python calls each."""
    timings = ctx.timings
    target = ctx.target
    end = timings.last_byte if timings.last_byte is not None else time.perf_counter()
    first = timings.first_byte
    error = ctx.error
    cost = pricing.cost(ctx.client_model, ctx.usage) if pricing is not None and ctx.usage.reported else None
    return {
        "time": _iso(timings.received_at),
        "request_id": ctx.request_id,
        "key": ctx.principal.name,
        "client_format": ctx.surface.format._value_,
        "operation": ctx.operation,
        "model": ctx.client_model,
        "stream": ctx.stream,
        "target": target.provider.name if target is not None else None,
        "upstream_model": target.upstream_model if target is not None else None,
        "upstream_format": ctx.upstream_format._value_ if ctx.upstream_format is not None else None,
        "status": ctx.status,
        "outcome": ctx.outcome._value_ if ctx.outcome is not None else None,
        "error_type": error.kind if error is not None else None,
        "attempts": len(ctx.attempts),
        "tokens": ctx.usage.as_dict() if ctx.usage.reported else None,
        "finish_reason": ctx.finish_reason,
        "latency_ms": _ms(end - timings.received),
        "ttfb_ms": _ms(first - timings.received) if first is not None else None,
        "gateway_ms": gateway_ms(ctx),
        "cost_usd": cost,
        # The response cache's verdict (pipeline.cached.CACHE_KEY): "hit", "miss", or None
        # when the route has no cache.
        "cache": ctx.extras.get("cache"),
    }
