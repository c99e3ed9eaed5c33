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

from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from prometheus_client import Counter

from interlingua.server.config.observability import TracingConfig
from interlingua.server.observability.otlp_wire import Unsupported, encode_request

__all__ = ["CountingExporter", "WireExporter", "tracer_provider"]

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


def tracer_provider(
    section: TracingConfig, dropped: Counter, *, export_timeout_s: float = _EXPORT_TIMEOUT_S
) -> TracerProvider:
    """A provider exporting to ``section.endpoint``; sampled by ratio unless the client's
    ``traceparent`` already decided (a sampled parent is always continued)."""
    exporter = WireExporter(
        endpoint=section.endpoint,
        headers={name: value.get_secret_value() for name, value in section.headers.items()},
        timeout=export_timeout_s,
    )
    provider = TracerProvider(
        sampler=ParentBased(TraceIdRatioBased(section.sample_ratio)),
        resource=Resource.create({"service.name": section.service_name}),
    )
    provider.add_span_processor(BatchSpanProcessor(CountingExporter(exporter, dropped)))
    return provider
