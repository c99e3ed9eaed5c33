"""Cross-format requests: translated both ways, streamed and not, with the client's model name and errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anthropic
import httpx
import openai
import orjson
import pytest
from server_helpers import make_config

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.testing import running_gateway

# Anthropic clients on an OpenAI-format upstream, and the other way round (see the demo config).
TO_OPENAI = {"model": "claude-via-openai", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
TO_ANTHROPIC = {"model": "gpt-via-anthropic", "messages": [{"role": "user", "content": "hi"}]}


async def test_translated_anthropic_client_openai_upstream(gateway: str, upstream: FakeUpstream) -> None:
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant:
        message = await ant.messages.create(**TO_OPENAI, system="be brief")  # type: ignore[arg-type]
    assert message.model == "claude-via-openai"
    assert message.content[0].type == "text"
    assert message.content[0].text.startswith("Hello from the demo upstream")
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0
    seen = upstream.requests[-1]
    assert seen.path == "/v1/chat/completions"
    assert seen.body is not None
    assert seen.body["model"] == "gpt-4o-mini"
    assert seen.body["messages"][0] == {"role": "system", "content": "be brief"}
    assert seen.headers["authorization"] == f"Bearer {DEMO_UPSTREAM_KEY}"


async def test_translated_openai_client_anthropic_upstream(gateway: str, upstream: FakeUpstream) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="k", max_retries=0) as oai:
        completion = await oai.chat.completions.create(**TO_ANTHROPIC)  # type: ignore[call-overload]
    assert completion.model == "gpt-via-anthropic"
    assert completion.choices[0].message.content.startswith("Hello from the demo upstream")
    assert completion.choices[0].finish_reason == "stop"
    seen = upstream.requests[-1]
    assert seen.path == "/v1/messages"
    assert seen.body is not None
    assert seen.body["model"] == "claude-sonnet-4-6"
    assert seen.body["max_tokens"] == 4096  # translation.default_max_tokens
    assert seen.headers["x-api-key"] == DEMO_UPSTREAM_KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"


async def test_translated_semantic_headers_not_forwarded_across_formats(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    headers = {"anthropic-beta": "context-management-2025-06-27", "anthropic-version": "2023-01-01"}
    assert (await client.post("/v1/messages", json=TO_OPENAI, headers=headers)).status_code == 200
    assert "anthropic-beta" not in upstream.requests[-1].headers
    assert "anthropic-version" not in upstream.requests[-1].headers
    assert (
        await client.post("/v1/chat/completions", json=TO_ANTHROPIC, headers={"openai-beta": "x"})
    ).status_code == 200
    assert "openai-beta" not in upstream.requests[-1].headers
    assert upstream.requests[-1].headers["anthropic-version"] == "2023-06-01"


async def test_translated_warnings_in_header(client: httpx.AsyncClient) -> None:
    body = {**TO_OPENAI, "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}}
    response = await client.post("/v1/messages", json=body)
    assert response.status_code == 200
    warnings = response.headers.get_list("x-interlingua-warning")
    assert any("context_management" in w for w in warnings)


async def test_translated_validation_error_names_field(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    body = {**TO_OPENAI, "messages": [{"role": "user", "content": [{"type": "imagee"}]}]}
    response = await client.post("/v1/messages", json=body)
    assert response.status_code == 400
    assert "messages[0].content[0]" in response.json()["error"]["message"]
    response = await client.post("/v1/chat/completions", json={**TO_ANTHROPIC, "temperature": "hot"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "temperature"
    assert upstream.requests == []


async def test_translated_anthropic_stream_asks_openai_for_usage(
    gateway: str, upstream: FakeUpstream
) -> None:
    async with (
        anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant,
        ant.messages.stream(**TO_OPENAI) as stream,  # type: ignore[arg-type]
    ):
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text.startswith("Hello from the demo upstream")
    assert final.model == "claude-via-openai"
    assert final.usage.output_tokens > 0
    assert upstream.requests[-1].body is not None
    assert upstream.requests[-1].body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("include_usage", [True, False])
async def test_translated_openai_stream_usage_only_when_asked(gateway: str, include_usage: bool) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="k", max_retries=0) as oai:
        stream = await oai.chat.completions.create(
            **TO_ANTHROPIC,
            stream=True,
            stream_options={"include_usage": include_usage},  # type: ignore[call-overload]
        )
        chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith("Hello")
    assert all(c.model == "gpt-via-anthropic" for c in chunks)
    assert (chunks[-1].usage is not None) is include_usage


async def test_translated_stream_data_done_for_openai_clients(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/completions", json={**TO_ANTHROPIC, "stream": True})
    assert response.headers["content-type"] == "text/event-stream"
    assert response.content.rstrip().endswith(b"data: [DONE]")


async def test_translated_upstream_error_in_client_format(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.fault_next("status:429,retry-after:9,message:too many")
    response = await client.post("/v1/messages", json=TO_OPENAI)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "9"
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert "too many" in response.json()["error"]["message"]
    upstream.fault_next("status:529")
    response = await client.post("/v1/chat/completions", json=TO_ANTHROPIC)
    assert response.status_code == 529
    assert "error" in response.json()
    upstream.fault_next("raw-error:503")
    response = await client.post("/v1/messages", json={**TO_OPENAI, "stream": True})
    assert response.status_code == 503
    assert response.json()["type"] == "error"


@pytest.mark.parametrize(
    ("path", "body", "marker"),
    [
        ("/v1/messages", {**TO_OPENAI, "stream": True}, b"event: error"),
        ("/v1/chat/completions", {**TO_ANTHROPIC, "stream": True}, b'data: {"error"'),
    ],
)
async def test_translated_stream_upstream_dies(
    client: httpx.AsyncClient, upstream: FakeUpstream, path: str, body: dict[str, object], marker: bytes
) -> None:
    upstream.fault_next("die-after:3")
    response = await client.post(path, json=body)
    assert response.status_code == 200
    assert marker in response.content
    assert b"message_stop" not in response.content
    assert b"[DONE]" not in response.content


async def test_translated_stream_upstream_dies_anthropic_sdk_raises(
    gateway: str, upstream: FakeUpstream
) -> None:
    upstream.fault_next("die-after:3")
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant:
        with pytest.raises(anthropic.APIStatusError):
            await _drain(ant)


async def _drain(ant: anthropic.AsyncAnthropic) -> None:
    async with ant.messages.stream(**TO_OPENAI) as stream:  # type: ignore[arg-type]
        async for _ in stream:
            pass


async def test_translated_stream_read_timeout(upstream: FakeUpstream) -> None:
    upstream.fault_next("stall-after:2")
    async with (
        running_gateway(make_config(upstream, read_ms=200)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post("/v1/chat/completions", json={**TO_ANTHROPIC, "stream": True})
    events = [orjson.loads(line[6:]) for line in response.content.splitlines() if line.startswith(b"data: {")]
    assert "timeout" in orjson.dumps(events[-1]).decode()
    assert "error" in events[-1]


async def test_translated_stream_disconnect_cancels_upstream(upstream: FakeUpstream) -> None:
    upstream.default_fault = "pace:50"
    async with running_gateway(make_config(upstream)) as url:
        baseline = len(asyncio.all_tasks())
        async with (
            httpx.AsyncClient(base_url=url) as client,
            client.stream("POST", "/v1/messages", json={**TO_OPENAI, "stream": True}) as response,
        ):
            async for _ in response.aiter_raw():
                break
        await upstream.wait_idle()
        assert upstream.requests[-1].disconnected
        for _ in range(100):
            if upstream.open_connections == 0 and len(asyncio.all_tasks()) <= baseline:
                break
            await asyncio.sleep(0.02)
        assert upstream.open_connections == 0
        assert len(asyncio.all_tasks()) <= baseline, [t.get_coro() for t in asyncio.all_tasks()]


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


async def test_translated_claude_code_turn_to_openai_upstream(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    """Claude Code's real request shape (betas, ?beta=true, system-role message, adaptive thinking,
    deferred tool, effort, context_management) streams through to an OpenAI-format upstream."""
    case = FIXTURES / "anthropic_messages" / "claude_code"
    meta = orjson.loads((case / "meta.json").read_bytes())
    body = {
        **orjson.loads((case / "request.json").read_bytes()),
        "model": "claude-via-openai",
        "stream": True,
    }
    headers = {**meta["headers"], "x-api-key": "client-key"}
    async with client.stream("POST", meta["path"], json=body, headers=headers) as response:
        data = await response.aread()
    assert response.status_code == 200, data
    assert data.rstrip().endswith(b'data: {"type":"message_stop"}')
    assert b"event: error" not in data
    sent = upstream.requests[-1]
    assert sent.body is not None
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["messages"][0]["role"] in ("system", "developer")
    assert "client-key" not in orjson.dumps(sent.headers).decode()
