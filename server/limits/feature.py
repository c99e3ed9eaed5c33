"""Keys, limits and budgets in the request pipeline (a :class:`Feature`).

``admit``: the key's allowed models (403 naming only the model asked for), then one
reserve over every bucket the request is charged to (:mod:`.plan`): a refusal is 429 in
the client's envelope with ``retry-after``; an exhausted budget is the client's quota
error (OpenAI: 429 ``insufficient_quota``). ``response_headers``: the client's own
rate-limit headers on every response to a limited request. ``complete`` (exactly once,
whatever happened): settle with the usage the pipeline put on the context (a stream cut
by the client or the upstream: the output it delivered, :mod:`.delivered`; a failed
call: nothing, so the reservation is refunded),
free the concurrency slot, and queue the usage record of an issued key.

The counters, the store and the usage writer are long-lived services (they outlive a
config reload); the feature, one per config snapshot, only uses them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from interlingua.errors import PermissionDenied, RateLimited
from interlingua.server.config import Config
from interlingua.server.headers import OWN_RATE_LIMITS_KEY
from interlingua.server.keys.authenticator import VirtualKeyAuthenticator, principal_of
from interlingua.server.keys.model import VirtualKey
from interlingua.server.keys.periods import period_bounds
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.limits.buckets import Decision, Settle, retry_after_header
from interlingua.server.limits.counters import Counters, LocalCounters
from interlingua.server.limits.delivered import DeliveredText
from interlingua.server.limits.estimate import request_tokens
from interlingua.server.limits.headers import rate_limit_headers, shows_headers
from interlingua.server.limits.plan import Need, Planned, SlotPlan, plan_charges, plan_slots, realize
from interlingua.server.limits.pricing import Pricing
from interlingua.server.limits.usage import UsageRecorder
from interlingua.server.pipeline.context import RESPONSE_OPERATIONS, Outcome, RequestContext
from interlingua.server.pipeline.hooks import Feature
from interlingua.server.pipeline.relay import DELIVERED_KEY

__all__ = ["LimitsFeature", "Reservation", "key_headroom", "key_of"]

log = logging.getLogger("interlingua.limits")

_SEED_TTL_S = 10.0
_TOKEN_KINDS = frozenset({"tokens", "budget_tokens", "budget_usd"})
_REQUEST_KINDS = frozenset({"requests", "parallel"})
_NO_NEED = Need(0, 0.0)
_INTERRUPTED = (Outcome.CANCELLED, Outcome.INCOMPLETE)


@dataclass(slots=True)
class Reservation:
    planned: Planned
    decision: Decision
    need: Need
    key: VirtualKey | None


async def key_headroom(counters: Counters, key: VirtualKey) -> dict[str, Any]:
    """A key's own limits now (admin API): limit, remaining and seconds to full, per kind."""
    planned = plan_charges(principal_of(key), key, "", (), _NO_NEED)
    rows = await counters.peek(planned.charges)
    return {
        kind: {"limit": c.capacity, "remaining": round(left, 3), "reset_s": round(reset, 3)}
        for c, kind, (left, reset) in zip(planned.charges, planned.kinds, rows, strict=True)
        if not kind.startswith("budget")
    }


def key_of(ctx: RequestContext) -> VirtualKey | None:
    found = ctx.principal.attributes.get("key")
    return found if isinstance(found, VirtualKey) else None


def _body(ctx: RequestContext) -> tuple[dict[str, Any], int]:
    # The pipeline's parsed call (body and raw size), in the context's extras (a call on a
    # stored response has none). Not getattr with a default: each miss raised and caught
    # an AttributeError, on every limited request.
    call = ctx.extras.get("call")
    if call is None:
        return {}, 0
    body = call.body
    return (body if isinstance(body, dict) else {}), len(call.raw)


class LimitsFeature(Feature):
    name = "limits"

    def __init__(
        self,
        config: Config,
        counters: Counters,
        *,
        repo: KeyRepository | None = None,
        usage: UsageRecorder | None = None,
        authenticator: VirtualKeyAuthenticator | None = None,
    ) -> None:
        self.rules = config.limits
        self.counters = counters
        # In-process buckets are called directly: no coroutine per reserve and settle.
        self._buckets = counters.buckets if isinstance(counters, LocalCounters) else None
        self.repo = repo
        self.usage = usage
        self.authenticator = authenticator
        self.pricing = Pricing(config.pricing)
        self.default_cap = config.translation.default_max_tokens
        self._seeds: dict[tuple[str, datetime], tuple[float, tuple[int, float]]] = {}
        self._plans: dict[tuple[tuple[str, datetime | None], str], SlotPlan] = {}

    def dormant(self) -> bool:
        # No rule and no key issued yet: every hook would return at once (no key on any
        # request, nothing to reserve or record), so none is run until a key appears.
        return not self.rules and self.authenticator is not None and not self.authenticator.keys_seen

    def attach(self, wake: Callable[[], None]) -> None:
        if self.dormant() and self.authenticator is not None:
            self.authenticator.when_keys(wake)

    async def admit(self, ctx: RequestContext) -> None:
        key = key_of(ctx)
        model = ctx.client_model
        # A call on a stored response names no model (the id's owner check is its gate) and
        # costs no tokens: it counts against request and concurrency limits only.
        stored_call = ctx.operation in RESPONSE_OPERATIONS
        if key is not None and key.models and not stored_call and not key.allows(model):
            raise PermissionDenied(f"this API key may not use the model {model!r}", param="model")
        if key is None and not self.rules:
            return
        plan = self._slots(ctx, key)  # a stored call's has no token slot
        charged = None if stored_call else key  # whose budget is charged
        budget = charged is not None and charged.budget is not None
        need = _NO_NEED
        if plan.tokens or budget:
            # Only token limits and budgets pay for the estimate (and a budget for its seed).
            need = self._need(ctx)
            if budget:
                assert charged is not None
                need.spent = await self._spent(charged)
        planned = realize(plan, charged, need)
        if not planned.charges:
            return
        buckets = self._buckets
        if buckets is not None:
            decision = buckets.reserve(planned.charges)
        else:
            decision = await self.counters.reserve(planned.charges)
        ctx.extras[self.name] = Reservation(planned, decision, need, key)
        if shows_headers(ctx.client_format, planned.shown):  # the upstream's own are then dropped
            ctx.extras[OWN_RATE_LIMITS_KEY] = True
        if need.output_cap and ctx.stream:  # a cut stream is charged what it delivered
            ctx.extras[DELIVERED_KEY] = DeliveredText(ctx.client_format)
        if decision.refused:
            self._refused(ctx, planned, decision)

    def _refused(self, ctx: RequestContext, planned: Planned, decision: Decision) -> None:
        shadow = [i for i in decision.refused if not planned.charges[i].enforce]
        if shadow:  # what shadow mode is for: seeing who would be refused, before enforcing
            labels = ", ".join(f"{planned.labels[i]} ({planned.kinds[i]})" for i in shadow)
            log.info("limits: shadow limit would refuse request %s of %s: %s", ctx.request_id, ctx.principal.name, labels)
        if not decision.allowed:
            raise self._refusal(planned, decision)

    def _slots(self, ctx: RequestContext, key: VirtualKey | None) -> SlotPlan:
        # Cached per key version (updated_at), principal and model: planned once, not per request.
        version = (key.id, key.updated_at) if key is not None else (ctx.principal.name, None)
        cache_key = (version, ctx.client_model)
        plan = self._plans.get(cache_key)
        if plan is None:
            slots = plan_slots(ctx.principal, key, ctx.client_model, self.rules)
            if ctx.operation in RESPONSE_OPERATIONS:  # model "" (no generation names none): no tokens
                slots = tuple(s for s in slots if s.kind in _REQUEST_KINDS)
            plan = SlotPlan(slots)
            if len(self._plans) >= 10_000:
                self._plans.clear()
            self._plans[cache_key] = plan
        return plan

    def _need(self, ctx: RequestContext) -> Need:
        body, size = _body(ctx)
        estimate, cap = request_tokens(body, size, ctx.client_format, self.default_cap)
        usd = self.pricing.estimate(ctx.client_model, estimate, cap) if self.pricing.rules else 0.0
        return Need(estimate + cap, usd, None, cap)

    async def headroom(self, key: VirtualKey) -> dict[str, Any]:
        return await key_headroom(self.counters, key)

    async def _spent(self, key: VirtualKey) -> tuple[int, float] | None:
        """This budget period's recorded spend: the seed of a budget bucket met for the
        first time (cached briefly; once the bucket exists the seed is not used)."""
        assert key.budget is not None
        if self.repo is None:
            return None
        start, _ = period_bounds(key.budget.period, datetime.now(UTC), key.created_at)
        now = time.monotonic()
        cached = self._seeds.get((key.id, start))
        if cached is not None and now - cached[0] < _SEED_TTL_S:
            return cached[1]
        sums = await self.repo.usage(key.id, start)
        spent = (int(sums["total_tokens"]), float(sums["spend_usd"]))
        if len(self._seeds) > 10_000:
            self._seeds.clear()
        self._seeds[(key.id, start)] = (now, spent)
        return spent

    def _refusal(self, planned: Planned, decision: Decision) -> RateLimited:
        enforced = [i for i in decision.refused if planned.charges[i].enforce]
        kinds = {planned.kinds[i] for i in enforced}
        if kinds & {"budget_tokens", "budget_usd"}:
            reset = planned.budget_reset
            wait = (reset - datetime.now(reset.tzinfo)).total_seconds() if reset else 3600
            what = "USD" if "budget_usd" in kinds else "token"
            return RateLimited(
                f"this API key's {what} budget is exhausted for this period (or too small for this "
                "request's maximum cost)", code="insufficient_quota", retry_after=retry_after_header(wait),
            )
        kind = sorted(kinds)[0] if kinds else "requests"
        if decision.too_large:
            return RateLimited(
                f"this request needs more {kind} than the limit allows at once; lower max_tokens",
                code="rate_limit_exceeded", retry_after=retry_after_header(60),
            )
        return RateLimited(
            f"rate limit reached ({kind}); retry after the time in retry-after",
            code="rate_limit_exceeded", retry_after=retry_after_header(decision.retry_after_s),
        )

    def response_headers(self, ctx: RequestContext) -> Iterable[tuple[bytes, bytes]]:
        reservation = ctx.extras.get(self.name)
        if reservation is None:
            return ()
        return rate_limit_headers(ctx.client_format, reservation.planned.shown, reservation.decision)

    async def complete(self, ctx: RequestContext) -> None:
        reservation: Reservation | None = ctx.extras.get(self.name)
        if reservation is not None and reservation.decision.allowed:
            settles = self._settles(ctx, reservation)
            if settles:  # request counters only: nothing comes back (a request was made)
                if self._buckets is not None:
                    self._buckets.settle(settles)
                else:
                    await self.counters.settle(settles, reservation.decision)
        key = reservation.key if reservation is not None else key_of(ctx)
        if key is None or self.usage is None:
            return
        u = ctx.usage
        if u.reported:
            self.usage.record(
                key_id=key.id, model=ctx.client_model, request_id=ctx.request_id, status=ctx.status,
                tokens=(u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_creation_tokens),
                cost=self.pricing.cost(ctx.client_model, u) if self.pricing.rules else 0.0,
            )
        elif reservation is not None and self._was_cut(ctx):
            # No usage came, but the client was sent part of an answer: record what it was
            # charged, so a budget seeded from the store after a restart counts it too.
            need = reservation.need
            tokens, usd = self._cut(ctx, need, 0.0, 0.0)
            input_tokens = need.tokens - need.output_cap
            self.usage.record(
                key_id=key.id, model=ctx.client_model, request_id=ctx.request_id, status=ctx.status,
                tokens=(input_tokens, int(tokens) - input_tokens, 0, 0), cost=usd,
            )

    @staticmethod
    def _was_cut(ctx: RequestContext) -> bool:
        """A stream the client or the upstream cut after its first byte."""
        return ctx.outcome in _INTERRUPTED and ctx.timings.first_byte is not None

    def _used(self, ctx: RequestContext, need: Need) -> tuple[float, float]:
        """Tokens and USD to charge: the usage the upstream reported (a failed call: none),
        and for a stream cut after it started, what was delivered (:meth:`_cut`)."""
        usage = ctx.usage
        tokens = float(usage.total_tokens) if usage.reported else 0.0
        usd = self.pricing.cost(ctx.client_model, usage) if usage.reported and self.pricing.rules else 0.0
        if ctx.outcome in _INTERRUPTED and ctx.timings.first_byte is not None:  # _was_cut, inlined
            return self._cut(ctx, need, tokens, usd)
        return tokens, usd

    def _cut(self, ctx: RequestContext, need: Need, tokens: float, usd: float) -> tuple[float, float]:
        """A stream the client or the upstream cut: its output is what the client was sent
        (the upstream's own count if it reported a larger one), estimated from the text
        delivered, at most the output reserved; its input as reported, else the estimate."""
        usage, model = ctx.usage, ctx.client_model
        delivered = ctx.extras.get(DELIVERED_KEY)
        if isinstance(delivered, DeliveredText):
            extra = max(0, min(delivered.tokens, need.output_cap) - usage.output_tokens)
        else:  # nothing recorded what was sent: the output reserved, unless some was reported
            extra = 0 if usage.output_tokens else need.output_cap
        if not usage.reported:
            estimate = need.tokens - need.output_cap
            tokens, usd = estimate, self.pricing.estimate(model, estimate, 0)
        return tokens + extra, usd + self.pricing.estimate(model, 0, extra)

    def _settles(self, ctx: RequestContext, reservation: Reservation) -> list[Settle]:
        planned = reservation.planned
        used: tuple[float, float] | None = None
        settles = []
        for charge, kind in zip(planned.charges, planned.kinds, strict=True):
            if kind == "requests":
                continue  # a request was made, whatever happened
            if kind == "parallel":
                delta = charge.need
            else:
                if used is None:
                    used = self._used(ctx, reservation.need)
                delta = charge.need - (used[1] if kind == "budget_usd" else used[0])
            settles.append(Settle(charge.key, delta, charge.capacity, charge.rate, charge.initial))
        return settles
