"""The OpenTelemetry tracer provider of the tracing feature: OTLP/HTTP, batched, counted drops.

Spans go to a :class:`BatchSpanProcessor`: ending a span only queues it, and a thread of
the SDK exports batches, so a slow or unreachable collector never slows a request. When
an export fails (collector down, refused, timed out after the exporter's retries), the
batch is dropped and counted in ``interlingua_trace_spans_dropped_total``; a full queue
drops too (the SDK logs it).

Requests are written by :mod:`.otlp_wire` (the SDK's encoder costs more CPU than the rest
of tracing together) and sent by the SDK exporter's HTTP client: its headers, timeout,
compression and retries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags, get_current_span
from prometheus_client import Counter

from interlingua.server.config.observability import TracingConfig
from interlingua.server.observability.otlp_wire import Unsupported, encode_request

__all__ = ["CountingExporter", "SpanOutput", "WireExporter", "span_output"]

_EXPORT_TIMEOUT_S = 5.0


class CountingExporter(SpanExporter):
    """Exports through ``inner``; counts the spans of every batch that could not be delivered."""

    def __init__(self, inner: SpanExporter, dropped: Counter) -> None:
        self._inner = inner
        self._dropped = dropped

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:
            result = SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            self._dropped.inc(len(spans))
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class WireExporter(OTLPSpanExporter):
    """The SDK's OTLP/HTTP exporter with requests written by :func:`encode_request`.

    Sending goes through the exporter's HTTP client (``_client`` of recent SDKs); an SDK
    without it, or a span the wire encoder does not write, takes the SDK's whole path.
    What this skips of it: the exporter's own metrics (off unless
    ``OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED``) and the 64 MiB request-size check (a
    batch of 512 gateway spans is well under 1 MiB)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        client = getattr(self, "_client", None)
        if client is None or getattr(self, "_shutdown", False):
            return super().export(spans)
        try:
            data = encode_request(spans)
        except Unsupported:
            return super().export(spans)
        return SpanExportResult.SUCCESS if client.export(data).success else SpanExportResult.FAILURE


_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_OK, _ERROR = Status(StatusCode.UNSET), Status(StatusCode.ERROR)


@dataclass(frozen=True, slots=True)
class SpanOutput:
    """Finished spans straight to the batch processor, from the SDK's parts: its sampler, id
    generator, resource, :class:`ReadableSpan` and :class:`BatchSpanProcessor`.

    The gateway knows a span's every attribute and both its times when it makes it (at the
    request's end), so the live span of ``Tracer.start_span`` (validating and locking per
    attribute, calling processors on start and end) buys nothing: made as finished
    ``ReadableSpan`` objects, a request's spans cost ~8 us instead of ~47 us. What that
    skips: span limits (the gateway sets ~25 attributes of plain types; the
    ``OTEL_SPAN_*``/``OTEL_ATTRIBUTE_*`` limit variables do not apply) and ``on_start``
    (the batch processor's does nothing). Sampling is the SDK's: a root decides by the
    sampler, with a client's ``traceparent`` as parent; its children follow it, as
    ``ParentBased`` decides for a sampled local parent.
    """

    processor: BatchSpanProcessor
    sampler: Sampler
    ids: IdGenerator
    resource: Resource
    scope: InstrumentationScope

    def root(self, parent: Context | None, name: str, attributes: Mapping[str, Any]) -> SpanContext | None:
        """A new SERVER span's context under ``parent`` (a client's trace context), or None
        when the sampler drops it."""
        remote = get_current_span(parent).get_span_context() if parent is not None else None
        trace_id = remote.trace_id if remote is not None and remote.is_valid else self.ids.generate_trace_id()
        result = self.sampler.should_sample(parent, trace_id, name, SpanKind.SERVER, attributes, ())
        if result.decision is not Decision.RECORD_AND_SAMPLE:
            return None
        return SpanContext(trace_id, self.ids.generate_span_id(), False, _SAMPLED, result.trace_state)

    def child(self, parent: SpanContext) -> SpanContext:
        return SpanContext(parent.trace_id, self.ids.generate_span_id(), False, _SAMPLED, parent.trace_state)

    def emit(
        self,
        span: tuple[str, SpanKind, SpanContext, SpanContext | None],
        attributes: dict[str, Any],
        times: tuple[int, int],
        *,
        error: bool = False,
    ) -> None:
        """A finished span (name, kind, context, parent) to the exporter's queue."""
        name, kind, context, parent = span
        self.processor.on_end(
            ReadableSpan(
                name,
                context,
                parent,
                self.resource,
                attributes,
                kind=kind,
                status=_ERROR if error else _OK,
                start_time=times[0],
                end_time=times[1],
                instrumentation_scope=self.scope,
            )
        )

    def shutdown(self) -> None:
        """Export what is queued (this waits on the collector: call it off the event loop)."""
        self.processor.shutdown()  # type: ignore[no-untyped-call]


def span_output(
    section: TracingConfig, dropped: Counter, *, export_timeout_s: float = _EXPORT_TIMEOUT_S
) -> SpanOutput:
    """Spans exported to ``section.endpoint``; sampled by ratio unless the client's
    ``traceparent`` already decided (a sampled parent is always continued)."""
    exporter = WireExporter(
        endpoint=section.endpoint,
        headers={name: value.get_secret_value() for name, value in section.headers.items()},
        timeout=export_timeout_s,
    )
    return SpanOutput(
        processor=BatchSpanProcessor(CountingExporter(exporter, dropped)),
        sampler=ParentBased(TraceIdRatioBased(section.sample_ratio)),
        ids=RandomIdGenerator(),
        resource=Resource.create({"service.name": section.service_name}),
        scope=InstrumentationScope("interlingua"),
    )
