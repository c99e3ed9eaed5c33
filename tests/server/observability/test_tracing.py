"""GenAI spans reach a real OTLP/HTTP collector: one SERVER span per request, one CLIENT span per attempt."""

from __future__ import annotations

import orjson
from pydantic import SecretStr

from interlingua.errors import UpstreamError
from interlingua.server.config.observability import TracingConfig
from interlingua.server.features.tracing import Tracing
from interlingua.server.observability.otlp import span_output
from interlingua.server.observability.prom import GatewayMetrics
from interlingua.server.pipeline.context import Principal, RequestContext
from interlingua.server.pipeline.inbound import Inbound

from .contexts import USAGE, finished
from .otlp_receiver import otlp_receiver

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"

_SERVER, _CLIENT = 2, 3  # OTLP SpanKind values


def tracing(endpoint: str, metrics: GatewayMetrics, **extra: object) -> Tracing:
    section = TracingConfig(endpoint=endpoint, **extra)  # type: ignore[arg-type]
    return Tracing(span_output(section, metrics.spans_dropped, export_timeout_s=0.5))


async def _no_body() -> bytes:
    return b""


async def run(feature: Tracing, ctx: RequestContext) -> None:
    await feature.request_start(ctx)
    for attempt in ctx.attempts:
        await feature.before_attempt(ctx, attempt)
        await feature.after_attempt(ctx, attempt)
    await feature.complete(ctx)


async def test_tracing_genai_spans_with_usage_and_ttft() -> None:
    async with otlp_receiver() as (endpoint, received):
        feature = tracing(endpoint, GatewayMetrics(), headers={"Authorization": SecretStr("Basic cGs6c2s=")})
        await run(feature, finished(usage=USAGE, stream=True))
        await feature.stop()
    assert received.headers[0]["Authorization"] == "Basic cGs6c2s="
    server = received.named("POST")
    client = received.named("chat claude-x-upstream")
    assert (server["kind"], client["kind"]) == (_SERVER, _CLIENT)
    assert client["parent_id"] == server["span_id"]
    assert client["trace_id"] == server["trace_id"]
    assert server["resource"]["service.name"] == "interlingua"
    assert client["attributes"] == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-x-upstream",
        "gen_ai.request.stream": True,
        "server.address": "api.example.test",
        "server.port": 8443,
        "interlingua.attempt": 1,
        "interlingua.target": "anthropic",
        "gen_ai.response.model": "claude-x-upstream",
        "gen_ai.response.finish_reasons": ["end_turn"],
        "gen_ai.usage.input_tokens": 131,
        "gen_ai.usage.output_tokens": 7,
        "gen_ai.usage.cache_read.input_tokens": 100,
        "gen_ai.usage.cache_creation.input_tokens": 20,
        "gen_ai.usage.reasoning.output_tokens": 3,
        "gen_ai.response.time_to_first_chunk": client["attributes"]["gen_ai.response.time_to_first_chunk"],
        "langfuse.observation.completion_start_time": "2023-11-14T22:13:20.211000Z",
    }
    assert abs(client["attributes"]["gen_ai.response.time_to_first_chunk"] - 0.2) < 1e-6
    assert server["start"] == 1_700_000_000 * 10**9
    assert server["end"] == 1_700_000_001 * 10**9
    assert server["attributes"]["interlingua.key"] == "team-a"
    assert server["attributes"]["http.response.status_code"] == 200


async def test_tracing_one_client_span_per_attempt_and_errors() -> None:
    async with otlp_receiver() as (endpoint, received):
        feature = tracing(endpoint, GatewayMetrics())
        await run(feature, finished(error=UpstreamError("down", status=503), status=503, attempts=2))
        await feature.stop()
    clients = [s for s in received.spans if s["name"] == "chat claude-x-upstream"]
    assert len(clients) == 2
    assert all(s["status"] == 2 for s in clients)  # STATUS_CODE_ERROR
    assert sorted(s["attributes"]["interlingua.attempt"] for s in clients) == [1, 2]
    server = received.named("POST")
    assert server["attributes"]["error.type"] == "api_error"
    assert server["status"] == 2


async def test_tracing_continues_the_clients_traceparent() -> None:
    traceparent = f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"
    scope = {"method": "POST", "path": "/v1/messages", "headers": [(b"traceparent", traceparent.encode())]}
    async with otlp_receiver() as (endpoint, received):
        feature = tracing(endpoint, GatewayMetrics(), sample_ratio=0.0)  # the parent's sampled flag wins
        ctx = finished(usage=USAGE)
        ctx.inbound = Inbound(scope, _no_body, "/v1/messages")
        await run(feature, ctx)
        await feature.stop()
    server = received.named("POST /v1/messages")
    assert server["trace_id"] == PARENT_TRACE
    assert server["parent_id"] == PARENT_SPAN


async def test_tracing_unsampled_requests_send_nothing() -> None:
    async with otlp_receiver() as (endpoint, received):
        feature = tracing(endpoint, GatewayMetrics(), sample_ratio=0.0)
        await run(feature, finished(usage=USAGE))
        await feature.stop()
    assert received.spans == []


async def test_tracing_unreachable_collector_drops_and_counts() -> None:
    async with otlp_receiver() as (endpoint, _):
        pass  # the receiver is gone: its port refuses connections
    metrics = GatewayMetrics()
    feature = tracing(endpoint, metrics)
    await run(feature, finished(usage=USAGE))  # the request is not slowed or failed
    await feature.stop()
    assert "interlingua_trace_spans_dropped_total 2.0" in metrics.render().decode()


async def test_tracing_request_parameters_and_opt_in_content() -> None:
    body = {
        "model": "claude-x",
        "max_tokens": 64,
        "temperature": 0.5,
        "messages": [{"role": "user", "content": "hi"}],
    }
    quiet = finished(usage=USAGE)
    quiet.body = body
    captured = finished(usage=USAGE)
    captured.body = body
    refused = finished(usage=USAGE, key="private")
    refused.body = body
    refused.principal = Principal("virtual_key", "private", "k2", {"content_logging": False})
    async with otlp_receiver() as (endpoint, received):
        plain = tracing(endpoint, GatewayMetrics())
        await run(plain, quiet)
        await plain.stop()
        capturing = Tracing(
            span_output(TracingConfig(endpoint=endpoint), GatewayMetrics().spans_dropped),
            capture_content=True,
        )
        await run(capturing, captured)
        await run(capturing, refused)
        await capturing.stop()
    first, second, third = (s["attributes"] for s in received.spans if s["kind"] == _CLIENT)
    assert first["gen_ai.request.max_tokens"] == 64
    assert first["gen_ai.request.temperature"] == 0.5
    assert "gen_ai.input.messages" not in first  # off by default
    assert orjson.loads(second["gen_ai.input.messages"]) == {"messages": body["messages"]}
    assert "gen_ai.input.messages" not in third  # the key's content_logging is off
