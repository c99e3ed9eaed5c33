"""The hand-written OTLP encoder writes what the SDK's encoder writes (parsed and compared)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)

from interlingua.server.observability.otlp import WireExporter
from interlingua.server.observability.otlp_wire import Unsupported, encode_request

from .otlp_receiver import otlp_receiver


class _Keep(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Any) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def _spans(make: Callable[[trace.Tracer], None], resource: Resource | None = None) -> list[ReadableSpan]:
    kept = _Keep()
    provider = TracerProvider(resource=resource or Resource.create({"service.name": "interlingua"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    make(provider.get_tracer("interlingua", "1.2.3"))
    return kept.spans


def _gateway_like(tracer: trace.Tracer) -> None:
    server = tracer.start_span(
        "POST /v1/messages", kind=SpanKind.SERVER, attributes={"interlingua.attempts": 2}
    )
    parent = trace.set_span_in_context(server)
    for number, status in ((1, 503), (2, 200)):
        client = tracer.start_span(
            "chat claude-x",
            context=parent,
            kind=SpanKind.CLIENT,
            start_time=1_700_000_000_000_000_000 + number,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.stream": number == 2,
                "gen_ai.request.temperature": 0.0 if number == 1 else 0.7,
                "gen_ai.request.max_tokens": 0 if number == 1 else 64,
                "gen_ai.response.finish_reasons": ("end_turn", ""),
                "gen_ai.response.id": "",
                "http.response.status_code": status,
                "negative": -5,
                "big": 2**62,
                "ratios": (0.5, 1.25),
                "flags": (True, False),
                "counts": (1, -2),
                "unicode": "héllo ✓",
            },
        )
        if status != 200:
            client.set_status(Status(StatusCode.ERROR, "upstream failed"))
        client.end(1_700_000_001_000_000_000)
    server.set_status(Status(StatusCode.OK))
    server.end()


def _remote_parent(tracer: trace.Tracer) -> None:
    remote = SpanContext(
        0x4BF92F3577B34DA6A3CE929D0E0E4736,
        0x00F067AA0BA902B7,
        is_remote=True,
        trace_flags=TraceFlags(1),
        trace_state=TraceState([("vendor", "value"), ("other", "x")]),
    )
    context = trace.set_span_in_context(NonRecordingSpan(remote))
    tracer.start_span("continued", context=context, kind=SpanKind.SERVER).end()
    tracer.start_span("", kind=SpanKind.INTERNAL).end()  # no name, no attributes


def _parsed(data: bytes) -> ExportTraceServiceRequest:
    message = ExportTraceServiceRequest()
    message.ParseFromString(data)
    return message


@pytest.mark.parametrize("make", [_gateway_like, _remote_parent])
def test_otlp_wire_encodes_as_the_sdk_does(make: Callable[[trace.Tracer], None]) -> None:
    spans = _spans(make)
    ours = _parsed(encode_request(spans))
    assert ours == encode_spans(spans)
    assert _parsed(encode_request(spans)) == ours  # the second time from the attribute cache


def test_otlp_wire_groups_resources_and_scopes() -> None:
    first = _spans(_gateway_like)
    second = _spans(
        _remote_parent, Resource.create({"service.name": "other", "weight": 1.5}, "https://schema")
    )
    spans = first[:1] + second + first[1:]
    assert _parsed(encode_request(spans)) == encode_spans(spans)


def test_otlp_wire_refuses_span_events() -> None:
    def with_event(tracer: trace.Tracer) -> None:
        span = tracer.start_span("evented")
        span.add_event("chunk")
        span.end()

    with pytest.raises(Unsupported):
        encode_request(_spans(with_event))


async def test_otlp_wire_exporter_sends_and_falls_back_for_events() -> None:
    def mixed(tracer: trace.Tracer) -> None:
        _gateway_like(tracer)
        span = tracer.start_span("evented")
        span.add_event("chunk")
        span.end()

    gateway, evented = _spans(_gateway_like), _spans(mixed)
    async with otlp_receiver() as (endpoint, received):
        exporter = WireExporter(endpoint=endpoint, timeout=5)
        assert await _export(exporter, gateway) is SpanExportResult.SUCCESS
        assert await _export(exporter, evented) is SpanExportResult.SUCCESS  # through the SDK's encoder
        exporter.shutdown()
    names = [s["name"] for s in received.spans]
    assert names.count("chat claude-x") == 4
    assert "evented" in names
    assert received.headers[0]["Content-Type"] == "application/x-protobuf"


async def _export(exporter: WireExporter, spans: list[ReadableSpan]) -> SpanExportResult:
    return await asyncio.to_thread(exporter.export, spans)
