"""Metrics, access log, server-timing and traces of the real gateway, driven by the official SDKs."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import orjson
import yaml
from prometheus_client.parser import text_string_to_metric_families
from server_helpers import OPENAI_BODY, formats_config, make_config, serving

from interlingua.server.app import create_app
from interlingua.server.config import load_config
from interlingua.server.fake_upstream import FakeUpstream, demo_config
from interlingua.server.features import build_hooks
from interlingua.server.services import Services
from interlingua.server.testing import running_app, running_gateway

from .otlp_receiver import otlp_receiver

SPAN_KIND_CLIENT = 3  # opentelemetry.proto.trace.v1.Span.SpanKind

GATEWAY_KEY = "sk-gateway-secret-1"


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


async def _traffic(url: str) -> tuple[dict[str, int], list[str]]:
    """Passthrough and translated, plain and streamed: the usage the clients saw and the request ids."""
    seen = {"input": 0, "output": 0}
    ids: list[str] = []
    oa = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=GATEWAY_KEY, max_retries=0)
    an = anthropic.AsyncAnthropic(base_url=url, api_key=GATEWAY_KEY, max_retries=0)
    messages: Any = [{"role": "user", "content": "count my tokens please"}]
    for model in ("gpt-4o-mini", "claude-sonnet-4-6"):  # OpenAI client: passthrough, then translated
        raw = await oa.chat.completions.with_raw_response.create(model=model, messages=messages)
        ids.append(raw.headers["x-request-id"])
        done = raw.parse()
        assert done.usage is not None
        seen["input"] += done.usage.prompt_tokens
        seen["output"] += done.usage.completion_tokens
        stream = await oa.chat.completions.create(
            model=model, messages=messages, stream=True, stream_options={"include_usage": True}
        )
        async for chunk in stream:
            if chunk.usage is not None:
                seen["input"] += chunk.usage.prompt_tokens
                seen["output"] += chunk.usage.completion_tokens
    async with an.messages.stream(model="gpt-4o-mini", max_tokens=64, messages=messages) as s:
        final = await s.get_final_message()  # Anthropic client, OpenAI upstream: translated stream
    seen["input"] += final.usage.input_tokens
    seen["output"] += final.usage.output_tokens
    return seen, ids


async def test_gateway_metrics_tokens_exact_and_access_log(upstream: FakeUpstream, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    config = make_config(
        upstream,
        server={"api_keys": [GATEWAY_KEY]},
        observability={"metrics": {"token": "scrape-me"}, "access_log": {"path": str(log)}},
    )
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        seen, ids = await _traffic(url)
        assert (await client.get("/metrics")).status_code == 401
        scrape = await client.get("/metrics", headers={"authorization": "Bearer scrape-me"})
    assert scrape.status_code == 200
    text = scrape.text
    assert metric(text, "interlingua_tokens_total", type="input", key="static-key-1") == seen["input"]
    assert metric(text, "interlingua_tokens_total", type="output", key="static-key-1") == seen["output"]
    assert metric(text, "interlingua_requests_total", status="200") == 5
    assert (
        metric(text, "interlingua_requests_total", client_format="openai_chat", target="demo-anthropic") == 2
    )
    assert metric(text, "gen_ai_server_time_to_first_token_seconds_count") == 3  # the streams
    assert GATEWAY_KEY not in text
    lines = [orjson.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 5
    assert {line["request_id"] for line in lines} >= set(ids)
    assert sum(line["tokens"]["input_tokens"] for line in lines) == seen["input"]
    assert all(line["key"] == "static-key-1" for line in lines)
    assert GATEWAY_KEY not in log.read_text()


async def test_gateway_server_timing_header(upstream: FakeUpstream) -> None:
    async with running_gateway(make_config(upstream)) as url, httpx.AsyncClient(base_url=url) as client:
        plain = await client.post("/v1/chat/completions", json=OPENAI_BODY)
        streamed = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "stream": True})
        refused = await client.post("/v1/chat/completions", json={"model": "gpt-4o-mini"})
    assert plain.headers["server-timing"].startswith("gateway;dur=")
    assert ", upstream;dur=" in plain.headers["server-timing"]
    assert "upstream" not in streamed.headers["server-timing"]
    assert refused.status_code == 400
    assert refused.headers["server-timing"].startswith("gateway;dur=")


async def test_gateway_metrics_off_is_404_and_open_without_a_client_key(upstream: FakeUpstream) -> None:
    off = make_config(upstream, server={"api_keys": [GATEWAY_KEY]})
    async with running_gateway(off) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/metrics")).status_code == 404
    on = make_config(upstream, server={"api_keys": [GATEWAY_KEY]}, observability={"metrics": {}})
    async with running_gateway(on) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/metrics")).status_code == 200


async def test_gateway_traces_reach_the_collector(upstream: FakeUpstream) -> None:
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    async with otlp_receiver() as (endpoint, received):
        config = make_config(upstream, observability={"tracing": {"endpoint": endpoint}})
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
            headers = {"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"}
            body = {**OPENAI_BODY, "model": "claude-sonnet-4-6", "stream": True}
            response = await client.post("/v1/chat/completions", json=body, headers=headers)
            assert response.status_code == 200
        # leaving the gateway flushed the exporter
    server = received.named("POST /v1/chat/completions")
    client_span = received.named("chat claude-sonnet-4-6")
    assert server["trace_id"] == trace_id
    assert client_span["parent_id"] == server["span_id"]
    assert client_span["attributes"]["gen_ai.provider.name"] == "anthropic"
    assert client_span["attributes"]["gen_ai.usage.output_tokens"] > 0
    assert "gen_ai.response.time_to_first_chunk" in client_span["attributes"]


async def test_gateway_spans_carry_the_upstreams_response_id(upstream: FakeUpstream) -> None:
    """gen_ai.response.id: the provider's id of the answer, passthrough and translated, plain
    and streamed, Gemini's responseId included (Bedrock answers carry none)."""
    prefixes = {"gpt-4o-mini": "chatcmpl-", "claude-sonnet-4-6": "msg_", "gemini-2.5-flash": ""}
    models = {"gpt-4o-mini": "gpt-4o-mini", "claude-sonnet-4-6": "claude-sonnet-4-6", "gpt-via-gemini": "gemini-2.5-flash"}
    async with otlp_receiver() as (endpoint, received):
        config = formats_config(upstream, observability={"tracing": {"endpoint": endpoint}})
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
            for model in models:
                for stream in (False, True):
                    body = {**OPENAI_BODY, "model": model, "stream": stream}
                    assert (await client.post("/v1/chat/completions", json=body)).status_code == 200
    found: dict[tuple[str, bool], Any] = {
        (s["attributes"]["gen_ai.request.model"], s["attributes"]["gen_ai.request.stream"]): s["attributes"].get(
            "gen_ai.response.id"
        )
        for s in received.spans
        if s["kind"] == SPAN_KIND_CLIENT
    }
    assert len(found) == 2 * len(models)
    for (upstream_model, stream), answer_id in found.items():
        assert isinstance(answer_id, str), (upstream_model, stream)
        assert answer_id.startswith(prefixes[upstream_model]), (upstream_model, stream, answer_id)


async def test_gateway_workers_share_metrics(upstream: FakeUpstream, tmp_path: Path) -> None:
    async with serving(upstream, tmp_path, "--workers", "2", observability={"metrics": {}}) as (url, proc):
        # a new connection per request, so both workers serve and answer scrapes
        fresh = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=url, limits=fresh) as client:
            done = await asyncio.gather(
                *(client.post("/v1/chat/completions", json=OPENAI_BODY) for _ in range(20))
            )
            assert all(r.status_code == 200 for r in done)
            # whichever worker answers, it answers for both: the same totals on every scrape
            scrapes = [(await client.get("/metrics")).text for _ in range(6)]
        assert {metric(s, "interlingua_requests_total", status="200") for s in scrapes} == {20.0}
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0


async def test_gateway_reload_keeps_counting_and_counts_reloads(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    raw = demo_config(upstream)
    raw["observability"] = {"metrics": {}}
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(raw))
    app = create_app(load_config(path), config_path=path)
    async with running_app(app, load_config(path)) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.post("/v1/chat/completions", json=OPENAI_BODY)).status_code == 200
        raw["models"] = [{"name": "renamed", "provider": "demo-openai", "upstream_model": "gpt-4o-mini"}]
        path.write_text(yaml.safe_dump(raw))
        assert await app.extensions["interlingua.reloader"].reload("test")
        assert (
            await client.post("/v1/chat/completions", json={**OPENAI_BODY, "model": "renamed"})
        ).status_code == 200
        text = (await client.get("/metrics")).text
    assert metric(text, "interlingua_requests_total", status="200") == 2
    assert metric(text, "interlingua_config_reloads_total") == 1


def test_gateway_parts_off_are_not_hooked(upstream: FakeUpstream) -> None:
    hooks = build_hooks(make_config(upstream), Services())
    assert [f.name for f in hooks.features] == ["inflight", "server_timing"]
    quiet = make_config(upstream, observability={"server_timing": False})
    assert [f.name for f in build_hooks(quiet, Services()).features] == ["inflight"]
