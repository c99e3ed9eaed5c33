"""Streams: failures mid-stream become the client format's error event; disconnects cancel the upstream."""

from __future__ import annotations

import asyncio

import anthropic
import httpx
import openai
import pytest
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, make_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

OPENAI_STREAM = {**OPENAI_BODY, "stream": True}
ANTHROPIC_STREAM = {**ANTHROPIC_BODY, "stream": True}


async def _stream_text(client: httpx.AsyncClient, path: str, body: dict[str, object]) -> tuple[int, bytes]:
    async with client.stream("POST", path, json=body) as response:
        return response.status_code, await response.aread()


@pytest.mark.parametrize(
    ("path", "body", "route"),
    [
        ("/v1/chat/completions", OPENAI_STREAM, "gpt-4o-mini"),
        ("/v1/messages", ANTHROPIC_STREAM, "claude-sonnet-4-6"),
    ],
)
async def test_streaming_upstream_dies_mid_stream_gives_error_event(
    client: httpx.AsyncClient, upstream: FakeUpstream, path: str, body: dict[str, object], route: str
) -> None:
    upstream.fault_next("die-after:2")
    status, data = await _stream_text(client, path, {**body, "model": route})
    assert status == 200
    if path == "/v1/messages":
        assert b"event: error" in data
        assert b"message_stop" not in data
    else:
        assert b'data: {"error"' in data
        assert b"[DONE]" not in data
    assert data.count(b"\n\n") >= 3  # the events sent before the failure arrived first


async def test_streaming_openai_sdk_raises_on_mid_stream_failure(
    gateway: str, upstream: FakeUpstream
) -> None:
    upstream.fault_next("die-after:2")
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="k", max_retries=0) as oai:
        stream = await oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        with pytest.raises(openai.APIError):
            async for _ in stream:
                pass


async def test_streaming_anthropic_sdk_raises_on_mid_stream_failure(
    gateway: str, upstream: FakeUpstream
) -> None:
    upstream.fault_next("die-after:3")
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant:
        with pytest.raises(anthropic.APIStatusError):
            await _drain_anthropic(ant)


async def _drain_anthropic(ant: anthropic.AsyncAnthropic) -> None:
    async with ant.messages.stream(
        model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        async for _ in stream:
            pass


async def test_streaming_stalled_upstream_hits_read_timeout(upstream: FakeUpstream) -> None:
    upstream.fault_next("stall-after:2", times=2)
    async with (
        running_gateway(make_config(upstream, read_ms=300)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        status, data = await _stream_text(client, "/v1/messages", ANTHROPIC_STREAM)
        assert status == 200
        assert b"event: error" in data
        assert b"timeout" in data
        status, data = await _stream_text(client, "/v1/chat/completions", OPENAI_STREAM)
        assert b'"error"' in data
        assert b"timeout" in data
        assert loop.time() - started < 3
    await upstream.wait_idle()
    assert all(r.disconnected for r in upstream.requests)


async def test_streaming_upstream_error_event_passed_through(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.fault_next("error-after:2")
    status, data = await _stream_text(client, "/v1/messages", ANTHROPIC_STREAM)
    assert status == 200
    assert data.count(b"event: error") == 1


async def test_streaming_upstream_error_chunk_is_the_streams_end(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    # error-after sends an OpenAI error chunk and ends the body cleanly, without [DONE]: the
    # upstream's own error is a proper end (the SDK raises on it), so no second error follows.
    upstream.fault_next("error-after:2")
    status, data = await _stream_text(client, "/v1/chat/completions", OPENAI_STREAM)
    assert status == 200
    assert data.count(b'"error"') == 1
    assert data.rstrip().endswith(b"}}")


async def test_streaming_truncated_without_terminal_event_is_reported(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.fault_next("die-after:2")
    status, data = await _stream_text(client, "/v1/chat/completions", OPENAI_STREAM)
    assert status == 200
    assert data.count(b'"error"') == 1
    assert b"[DONE]" not in data


@pytest.mark.parametrize(
    ("path", "body"), [("/v1/chat/completions", OPENAI_STREAM), ("/v1/messages", ANTHROPIC_STREAM)]
)
async def test_streaming_client_disconnect_cancels_upstream(
    upstream: FakeUpstream, path: str, body: dict[str, object]
) -> None:
    upstream.default_fault = "pace:50"
    async with running_gateway(make_config(upstream)) as url:
        await asyncio.sleep(0.05)
        baseline = len(asyncio.all_tasks())
        async with (
            httpx.AsyncClient(base_url=url, timeout=10) as client,
            client.stream("POST", path, json=body) as response,
        ):
            async for _ in response.aiter_raw():
                break  # the first event arrived: now go away
        await upstream.wait_idle()
        request = upstream.requests[-1]
        assert request.disconnected
        assert not request.completed
        for _ in range(100):
            if upstream.open_connections == 0 and len(asyncio.all_tasks()) <= baseline:
                break
            await asyncio.sleep(0.02)
        assert upstream.open_connections == 0
        assert len(asyncio.all_tasks()) <= baseline


async def test_streaming_disconnect_while_waiting_for_upstream(upstream: FakeUpstream) -> None:
    upstream.fault_next("slow:5000")
    async with running_gateway(make_config(upstream)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=0.3) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post("/v1/chat/completions", json=OPENAI_BODY)
        await upstream.wait_idle()
        assert upstream.requests[-1].disconnected
