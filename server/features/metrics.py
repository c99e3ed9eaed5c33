"""``observability.metrics``: Prometheus counters and histograms of every API request.

The instruments (:mod:`interlingua.server.observability.prom`) live in the long-lived
services, so a config reload keeps counting; this feature only feeds them from the hooks.
Labels name keys (``Principal.name``), never a secret; ``key_label: false`` leaves the
``key`` label empty so that many keys do not make many series. A client model the router
did not accept is labelled ``_OTHER`` (clients choose that string; it must not make series).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from interlingua.errors import Overloaded, RateLimited
from interlingua.server.limits.pricing import Pricing
from interlingua.server.observability.prom import GatewayMetrics
from interlingua.server.observability.record import gateway_seconds
from interlingua.server.observability.semconv import operation_name, provider_name
from interlingua.server.pipeline.cached import CACHE_KEY
from interlingua.server.pipeline.context import RESPONSE_OPERATIONS, Outcome
from interlingua.server.pipeline.hooks import Feature

if TYPE_CHECKING:
    from interlingua.server.config import Config
    from interlingua.server.observability.series import CounterSeries, HistogramSeries
    from interlingua.server.pipeline.context import Attempt, RequestContext
    from interlingua.server.routing import Target
    from interlingua.server.services import Services
    from interlingua.translate import Format

__all__ = ["MetricsFeature", "build"]

_OTHER = "_OTHER"
_TOKEN_TYPES = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "reasoning_tokens",
)
_TOKEN_LABELS = {name: name.removesuffix("_tokens") for name in _TOKEN_TYPES}


class _GenAISeries:
    """The GenAI series of one (operation, provider, request model, response model): looked
    up once per label set, not five ``labels()`` per request."""

    __slots__ = ("durations", "input", "labels", "m", "output", "tpot", "ttft")

    def __init__(self, m: GatewayMetrics, labels: tuple[str, str, str, str]) -> None:
        self.m, self.labels = m, labels
        self.input = m.child(m.token_usage, *labels, "input")
        self.output = m.child(m.token_usage, *labels, "output")
        self.ttft = m.child(m.ttft, *labels)
        self.tpot = m.child(m.tpot, *labels)
        self.durations: dict[str, HistogramSeries] = {}

    def duration(self, error: str) -> HistogramSeries:
        found = self.durations.get(error)
        if found is None:
            found = self.durations[error] = self.m.child(self.m.duration, *self.labels, error)
        return found


class MetricsFeature(Feature):
    """Series are looked up through caches keyed by their label values (never by config
    objects), so a reload's new feature, with ``key_label`` on or off, finds the right ones;
    the caches hold no more entries than the registry holds series."""

    name: ClassVar[str] = "metrics"

    def __init__(
        self, metrics: GatewayMetrics, *, key_label: bool = True, pricing: Pricing | None = None
    ) -> None:
        self.m = metrics
        self.key_label = key_label
        self.pricing = pricing or Pricing(())
        self._tokens: dict[str, tuple[CounterSeries, ...]] = {}
        self._genai: dict[tuple[Format, str, str, str], _GenAISeries] = {}

    async def start(self) -> None:
        self.m.config_started()

    async def request_start(self, ctx: RequestContext) -> None:
        self.m.enter()

    async def after_attempt(self, ctx: RequestContext, attempt: Attempt) -> None:
        outcome = attempt.outcome._value_ if attempt.outcome is not None else "error"
        error = attempt.error.kind if attempt.error is not None else ""
        self.m.child(self.m.attempts, attempt.target.provider.name, outcome, error).inc()

    async def complete(self, ctx: RequestContext) -> None:
        m = self.m
        m.leave()
        key = ctx.principal.name if self.key_label else ""
        target = ctx.target
        model = ctx.route.client_model if ctx.route is not None else _unrouted(ctx)
        target_name = target.provider.name if target is not None else ""
        m.child(m.requests, ctx.surface.format._value_, model, target_name, key, str(ctx.status)).inc()
        overhead = gateway_seconds(ctx)
        if overhead is not None:
            m.overhead.observe(overhead)
        cache = ctx.extras.get(CACHE_KEY)
        if cache is not None:
            m.child(m.cache, model, cache).inc()
        if target is None:
            if isinstance(ctx.error, RateLimited | Overloaded):
                m.child(m.limited, ctx.error.code or ctx.error.kind).inc()
            return
        usage = ctx.usage
        if usage.reported:
            counters = self._tokens.get(key) or self._token_counters(key)
            counts = (
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_creation_tokens,
                usage.reasoning_tokens,
            )
            for counter, count in zip(counters, counts, strict=True):
                # The series exists (made with the tuple) whatever the count; a zero (most
                # requests have no cache or reasoning tokens) skips the locked no-op increment.
                if count:
                    counter.inc(count)
            cost = self.pricing.cost(ctx.client_model, usage)
            if cost > 0:
                m.child(m.cost, key, model).inc(cost)
        if ctx.operation == "generate":
            self._observe_genai(ctx, target)

    def _token_counters(self, key: str) -> tuple[CounterSeries, ...]:
        m = self.m
        counters = self._tokens[key] = tuple(m.child(m.tokens, _TOKEN_LABELS[t], key) for t in _TOKEN_TYPES)
        return counters

    def _genai_series(self, ctx: RequestContext, target: Target) -> _GenAISeries:
        provider = target.provider
        index = (provider.format, provider.dialect.name, ctx.client_model, target.upstream_model)
        series = self._genai.get(index)
        if series is None:
            labels = (
                operation_name(provider.format),
                provider_name(provider.format, provider.dialect.name),
                ctx.client_model,
                target.upstream_model,
            )
            series = self._genai[index] = _GenAISeries(self.m, labels)
        return series

    def _observe_genai(self, ctx: RequestContext, target: Target) -> None:
        series = self._genai_series(ctx, target)
        t, usage = ctx.timings, ctx.usage
        end = t.last_byte if t.last_byte is not None else t.received
        series.duration(ctx.error.kind if ctx.error is not None else "").observe(end - t.received)
        if usage.reported:
            cached = usage.cache_read_tokens + usage.cache_creation_tokens
            series.input.observe(usage.input_tokens + cached)
            series.output.observe(usage.output_tokens)
        if not (ctx.stream and ctx.outcome is Outcome.OK and t.first_byte is not None):
            return
        series.ttft.observe(t.first_byte - t.received)
        if usage.output_tokens > 1:
            series.tpot.observe((end - t.first_byte) / (usage.output_tokens - 1))


def _unrouted(ctx: RequestContext) -> str:
    """The model label of a request without a route: none for a call on a stored response
    (it names no model), else ``_OTHER`` (a model the router refused, or none was read)."""
    return "" if ctx.operation in RESPONSE_OPERATIONS else _OTHER


def build(config: Config, services: Services) -> Feature | None:
    section = config.observability.metrics
    if section is None:
        return None
    return MetricsFeature(services.metrics, key_label=section.key_label, pricing=Pricing(config.pricing))
