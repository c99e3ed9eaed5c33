"""``observability.tracing``: OpenTelemetry GenAI spans of every API request, over OTLP/HTTP.

One ``SERVER`` span per request (``POST /v1/messages``), continuing the client's W3C
``traceparent`` when it sent one, and under it one ``CLIENT`` span per upstream attempt
named ``{gen_ai.operation.name} {gen_ai.request.model}`` (``chat claude-sonnet-4``) with
the GenAI attributes (:mod:`interlingua.server.observability.semconv`): provider,
request and response model, stream flag, server address and port, finish reason, usage
(input including cache reads and writes, output, cache read, cache creation, reasoning),
``gen_ai.request.max_tokens``/``temperature``/``top_p`` as the client sent them,
``gen_ai.response.time_to_first_chunk`` and ``error.type``. Langfuse reads time to first
token only from ``langfuse.observation.completion_start_time`` (ISO 8601), set as well.

``capture_content: true`` adds ``gen_ai.input.messages``: the client's system prompt and
conversation in its own wire shape, as JSON text (not semconv's normalised message schema),
unless the key's ``content_logging`` attribute is false. The answer's content is not
captured.

Spans are batched and exported by the SDK's thread (:mod:`interlingua.server.observability.otlp`);
the hooks only create and end spans. The span times come from the request's timings, so
they measure the request, not when a hook happened to run.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from quart import has_request_context, request

from interlingua.server.observability.otlp import tracer_provider
from interlingua.server.observability.semconv import ATTR, operation_name, provider_name, request_params
from interlingua.server.pipeline.context import AttemptOutcome
from interlingua.server.pipeline.hooks import Feature
from interlingua.server.pipeline.response_id import response_id

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span

    from interlingua.server.config import Config
    from interlingua.server.config.observability import TracingConfig
    from interlingua.server.pipeline.context import Attempt, RequestContext
    from interlingua.server.services import Services
    from interlingua.server.surfaces import ClientSurface

__all__ = ["Tracing", "build"]

_KEY = "tracing"
_OTHER = "_OTHER"  # semconv's error.type when nothing better is known
_PROPAGATOR = TraceContextTextMapPropagator()


def _ns(ctx: RequestContext, moment: float) -> int:
    """A perf_counter reading of this request as wall-clock nanoseconds."""
    return int((ctx.timings.received_at + (moment - ctx.timings.received)) * 1e9)


def _iso(wall: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(wall)) + f".{int(wall * 1e6) % 1_000_000:06d}Z"


def _client_context() -> Any:
    """The client's trace context (``traceparent``/``tracestate``), if it sent one."""
    if not has_request_context():
        return None
    carrier = {
        name: request.headers[name] for name in ("traceparent", "tracestate") if name in request.headers
    }
    return _PROPAGATOR.extract(carrier) if carrier else None


class _Spans:
    __slots__ = ("client", "server")

    def __init__(self, server: Span) -> None:
        self.server = server
        self.client: Span | None = None


class Tracing(Feature):
    name: ClassVar[str] = _KEY

    def __init__(self, provider: TracerProvider, *, capture_content: bool = False) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("interlingua")
        self._content = capture_content

    async def stop(self) -> None:
        # Flushing waits on the exporter: off the event loop.
        await asyncio.to_thread(self._provider.shutdown)

    async def request_start(self, ctx: RequestContext) -> None:
        name = f"{request.method} {request.path}" if has_request_context() else "POST"
        span = self._tracer.start_span(
            name,
            context=_client_context(),
            kind=SpanKind.SERVER,
            start_time=_ns(ctx, ctx.timings.received),
            attributes={"interlingua.client_format": ctx.client_format.value},
        )
        ctx.extras[_KEY] = _Spans(span)

    async def before_attempt(self, ctx: RequestContext, attempt: Attempt) -> None:
        spans: _Spans | None = ctx.extras.get(_KEY)
        if spans is None or not spans.server.is_recording():
            return
        provider = attempt.target.provider
        url = urlsplit(provider.url)
        model = attempt.target.upstream_model
        operation = operation_name(provider.format)
        spans.client = self._tracer.start_span(
            f"{operation} {model}",
            context=trace.set_span_in_context(spans.server),
            kind=SpanKind.CLIENT,
            start_time=_ns(ctx, attempt.started),
            attributes={
                ATTR["operation"]: operation,
                ATTR["provider"]: provider_name(provider.format, provider.dialect.name),
                ATTR["request_model"]: model,
                ATTR["stream"]: ctx.stream,
                ATTR["server_address"]: url.hostname or "",
                ATTR["server_port"]: url.port or (443 if url.scheme == "https" else 80),
                "interlingua.attempt": attempt.number,
                "interlingua.target": provider.name,
                **self._request_attributes(ctx),
            },
        )

    def _request_attributes(self, ctx: RequestContext) -> dict[str, Any]:
        body = ctx.body
        if body is None:
            return {}
        out: dict[str, Any] = request_params(ctx.client_format, body)
        if self._content and ctx.principal.attributes.get("content_logging", True) is not False:
            out[ATTR["input_messages"]] = _input_messages(ctx.surface, body)
        return out

    async def after_attempt(self, ctx: RequestContext, attempt: Attempt) -> None:
        spans: _Spans | None = ctx.extras.get(_KEY)
        if spans is None or spans.client is None or attempt.outcome is AttemptOutcome.OK:
            return  # a successful attempt's span ends with the answer (complete)
        span, spans.client = spans.client, None
        _failed(span, attempt.error.kind if attempt.error is not None else _OTHER, attempt.status)
        span.end(_ns(ctx, attempt.ended or time.perf_counter()))

    async def complete(self, ctx: RequestContext) -> None:
        spans: _Spans | None = ctx.extras.pop(_KEY, None)
        if spans is None:
            return
        end = _ns(ctx, ctx.timings.last_byte or time.perf_counter())
        if spans.client is not None:
            _finish_client(spans.client, ctx)
            spans.client.end(end)
        _finish_server(spans.server, ctx)
        spans.server.end(end)


def _input_messages(surface: ClientSurface, body: dict[str, Any]) -> str:
    """The client's system prompt and conversation, in its own wire shape, as JSON text."""
    fields = [surface.conversation[0]]
    if surface.estimate_fields is not None:
        fields.insert(0, surface.estimate_fields[0])
    return orjson.dumps({name: body[name] for name in fields if name in body}).decode()


_ERROR = Status(StatusCode.ERROR)


def _failed(span: Span, error_type: str, status: int | None) -> None:
    attributes: dict[str, Any] = {ATTR["error_type"]: error_type}
    if status is not None:
        attributes["http.response.status_code"] = status
    span.set_attributes(attributes)
    span.set_status(_ERROR)


def _finish_client(span: Span, ctx: RequestContext) -> None:
    # One set_attributes call: the SDK validates and locks per call.
    out: dict[str, Any] = {}
    target = ctx.target
    if target is not None:
        out[ATTR["response_model"]] = target.upstream_model
    if ctx.finish_reason is not None:
        out[ATTR["finish_reasons"]] = (ctx.finish_reason,)
    if (answer_id := response_id(ctx)) is not None:
        out[ATTR["response_id"]] = answer_id
    usage = ctx.usage
    if usage.reported:
        out[ATTR["input_tokens"]] = usage.input_tokens + usage.cache_read_tokens + usage.cache_creation_tokens
        out[ATTR["output_tokens"]] = usage.output_tokens
        out[ATTR["cache_read_tokens"]] = usage.cache_read_tokens
        out[ATTR["cache_creation_tokens"]] = usage.cache_creation_tokens
        out[ATTR["reasoning_tokens"]] = usage.reasoning_tokens
    t = ctx.timings
    if t.first_byte is not None and t.upstream_sent is not None:
        out[ATTR["ttfc"]] = t.first_byte - t.upstream_sent
        out["langfuse.observation.completion_start_time"] = _iso(t.received_at + (t.first_byte - t.received))
    span.set_attributes(out)
    if ctx.error is not None:
        _failed(span, ctx.error.kind, ctx.status)


def _finish_server(span: Span, ctx: RequestContext) -> None:
    out: dict[str, Any] = {
        ATTR["request_model"]: ctx.client_model,
        "interlingua.key": ctx.principal.name,
        "interlingua.attempts": len(ctx.attempts),
    }
    if ctx.status is not None:
        out["http.response.status_code"] = ctx.status
    if ctx.outcome is not None:
        out["interlingua.outcome"] = ctx.outcome.value
    if ctx.error is not None:
        out[ATTR["error_type"]] = ctx.error.kind
    span.set_attributes(out)
    if ctx.error is not None and ctx.error.fault != "client":
        span.set_status(_ERROR)


def _provider(section: TracingConfig, services: Services) -> TracerProvider:
    return tracer_provider(section, services.metrics.spans_dropped)


def build(config: Config, services: Services) -> Feature | None:
    section = config.observability.tracing
    if section is None:
        return None
    return Tracing(_provider(section, services), capture_content=section.capture_content)
