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

Spans are made when the request ended, as finished spans with all their attributes, and
batched and exported by the SDK's thread (:mod:`interlingua.server.observability.otlp`).
The span times come from the request's timings, so they measure the request, not when a
hook happened to run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import orjson
from opentelemetry.trace import SpanContext, SpanKind, get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from interlingua.server.observability.otlp import SpanOutput, span_output
from interlingua.server.observability.semconv import ATTR, operation_name, provider_name, request_params
from interlingua.server.pipeline.context import RESPONSE_OPERATIONS, AttemptOutcome
from interlingua.server.pipeline.hooks import Feature
from interlingua.server.pipeline.response_id import response_id

if TYPE_CHECKING:
    from interlingua.server.config import Config, ProviderConfig
    from interlingua.server.pipeline.context import RequestContext
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


_TRACE_HEADERS = {b"traceparent": "traceparent", b"tracestate": "tracestate"}


def _client_context(headers: Iterable[tuple[bytes, bytes]]) -> Any:
    """The client's trace context (``traceparent``/``tracestate``), if it sent one. Read from
    the ASGI headers: a werkzeug ``Headers`` lookup of an absent name raises (and builds) an
    HTTP exception, and most requests carry neither header."""
    carrier = {
        _TRACE_HEADERS[name.lower()]: value.decode("latin-1")
        for name, value in headers
        if name.lower() in _TRACE_HEADERS
    }
    return _PROPAGATOR.extract(carrier) if carrier else None


class Tracing(Feature):
    """Spans are made when the request ended (``complete``), all at once, as finished spans
    (:class:`~interlingua.server.observability.otlp.SpanOutput`): their times come from the
    request's timings anyway. Only what must be read inside the request (the span name, the
    client's ``traceparent``) is taken at ``request_start``."""

    name: ClassVar[str] = _KEY

    def __init__(self, output: SpanOutput, *, capture_content: bool = False) -> None:
        self._out = output
        self._content = capture_content
        # Per (provider, upstream model): the span name and the attributes naming the target.
        # Keyed by identity: providers are objects of this feature's config snapshot.
        self._targets: dict[tuple[int, str], tuple[str, dict[str, Any]]] = {}

    async def stop(self) -> None:
        # Flushing waits on the exporter: off the event loop.
        await asyncio.to_thread(self._out.shutdown)

    async def request_start(self, ctx: RequestContext) -> None:
        inbound = ctx.inbound
        if inbound is not None:
            scope = inbound.scope
            ctx.extras[_KEY] = (
                f"{scope['method'].upper()} {inbound.path}",
                _client_context(scope["headers"]),
            )

    async def complete(self, ctx: RequestContext) -> None:
        name, parent = ctx.extras.pop(_KEY, _NO_REQUEST)
        attributes = _server_attributes(ctx)
        server = self._out.root(parent, name, attributes)
        if server is None:
            return  # not sampled
        t = ctx.timings
        end = _ns(ctx, t.last_byte or time.perf_counter())
        if ctx.attempts:
            self._client_spans(ctx, server, end)
        remote = get_current_span(parent).get_span_context() if parent is not None else None
        self._out.emit(
            (name, SpanKind.SERVER, server, remote if remote is not None and remote.is_valid else None),
            attributes,
            (_ns(ctx, t.received), end),
            error=ctx.error is not None and ctx.error.fault != "client",
        )

    def _client_spans(self, ctx: RequestContext, parent: SpanContext, end: int) -> None:
        """One CLIENT span per attempt: failed ones end when the attempt did, the last
        (answered, or cut short) one with the answer."""
        request = self._request_attributes(ctx)
        for attempt in ctx.attempts:
            target = attempt.target
            key = (id(target.provider), target.upstream_model)
            found = self._targets.get(key)
            if found is None:
                found = self._targets[key] = _target_attributes(target.provider, target.upstream_model)
            name, attributes = found
            if ctx.operation in RESPONSE_OPERATIONS:
                name, attributes = _stored_call(ctx.operation, attributes)
            out = {**attributes, **request, ATTR["stream"]: ctx.stream, "interlingua.attempt": attempt.number}
            failed = attempt.outcome is not None and attempt.outcome is not AttemptOutcome.OK
            if failed:
                _failed(out, attempt.error.kind if attempt.error is not None else _OTHER, attempt.status)
            else:
                _finished(out, ctx)
            self._out.emit(
                (name, SpanKind.CLIENT, self._out.child(parent), parent),
                out,
                (
                    _ns(ctx, attempt.started),
                    _ns(ctx, attempt.ended or time.perf_counter()) if failed else end,
                ),
                error=failed or ctx.error is not None,
            )

    def _request_attributes(self, ctx: RequestContext) -> dict[str, Any]:
        body = ctx.body
        if body is None:
            return {}
        out: dict[str, Any] = request_params(ctx.client_format, body)
        if self._content and ctx.principal.attributes.get("content_logging", True) is not False:
            out[ATTR["input_messages"]] = _input_messages(ctx.surface, body)
        return out


_NO_REQUEST: tuple[str, Any] = ("POST", None)


def _target_attributes(provider: ProviderConfig, model: str) -> tuple[str, dict[str, Any]]:
    """The span name and the attributes naming an upstream, built once per target."""
    url = urlsplit(provider.url)
    operation = operation_name(provider.format)
    return f"{operation} {model}", {
        ATTR["operation"]: operation,
        ATTR["provider"]: provider_name(provider.format, provider.dialect.name),
        ATTR["request_model"]: model,
        ATTR["server_address"]: url.hostname or "",
        ATTR["server_port"]: url.port or (443 if url.scheme == "https" else 80),
        "interlingua.target": provider.name,
    }


def _stored_call(operation: str, attributes: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A call on a stored response (forwarded retrieve, input items, delete) generates
    nothing: named by what it does, without GenAI's operation and request model."""
    kept = {k: v for k, v in attributes.items() if k not in _GENERATION_ONLY}
    return f"responses.{operation}", kept


_GENERATION_ONLY = (ATTR["operation"], ATTR["request_model"])


def _input_messages(surface: ClientSurface, body: dict[str, Any]) -> str:
    """The client's system prompt and conversation, in its own wire shape, as JSON text."""
    fields = [surface.conversation[0]]
    if surface.estimate_fields is not None:
        fields.insert(0, surface.estimate_fields[0])
    return orjson.dumps({name: body[name] for name in fields if name in body}).decode()


def _failed(out: dict[str, Any], error_type: str, status: int | None) -> None:
    out[ATTR["error_type"]] = error_type
    if status is not None:
        out["http.response.status_code"] = status


def _finished(out: dict[str, Any], ctx: RequestContext) -> None:
    """The answer's attributes on the last attempt's span."""
    target = ctx.target
    if target is not None and target.upstream_model:  # a call on a stored response names none
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
    if ctx.error is not None:
        _failed(out, ctx.error.kind, ctx.status)


def _server_attributes(ctx: RequestContext) -> dict[str, Any]:
    out: dict[str, Any] = {
        "interlingua.client_format": ctx.client_format.value,
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
    return out


def build(config: Config, services: Services) -> Feature | None:
    section = config.observability.tracing
    if section is None:
        return None
    return Tracing(
        span_output(section, services.metrics.spans_dropped), capture_content=section.capture_content
    )
