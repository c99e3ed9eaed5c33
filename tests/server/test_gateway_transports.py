"""Both upstream transports (server.upstream_transport) behave alike, failures included."""

from __future__ import annotations

import socket

import httpx
import pytest
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, make_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

pytestmark = pytest.mark.parametrize("transport", ["aiohttp", "httpx"])


async def test_transport_passthrough_plain_and_streamed(upstream: FakeUpstream, transport: str) -> None:
    config = make_config(upstream, server={"upstream_transport": transport})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.post("/v1/chat/completions", json=OPENAI_BODY)).status_code == 200
        streamed = await client.post("/v1/messages", json={**ANTHROPIC_BODY, "stream": True})
        assert streamed.status_code == 200
        assert b"message_stop" in streamed.content


async def test_transport_connect_failure_502(upstream: FakeUpstream, transport: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = make_config(upstream, server={"upstream_transport": transport})
    providers = tuple(p.model_copy(update={"base_url": f"http://127.0.0.1:{port}"}) for p in config.providers)
    async with (
        running_gateway(config.model_copy(update={"providers": providers})) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post("/v1/chat/completions", json=OPENAI_BODY)
    assert response.status_code == 502


async def test_transport_read_timeout_504_and_stream_error(upstream: FakeUpstream, transport: str) -> None:
    config = make_config(upstream, read_ms=200, server={"upstream_transport": transport})
    upstream.fault_next("slow:1500")
    upstream.fault_next("stall-after:2")
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.post("/v1/chat/completions", json=OPENAI_BODY)).status_code == 504
        streamed = await client.post("/v1/messages", json={**ANTHROPIC_BODY, "stream": True})
        assert b"event: error" in streamed.content
        assert b"timeout" in streamed.content


async def test_transport_upstream_dies_mid_stream(upstream: FakeUpstream, transport: str) -> None:
    config = make_config(upstream, server={"upstream_transport": transport})
    upstream.fault_next("die-after:2")
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        streamed = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "stream": True})
    assert b'data: {"error"' in streamed.content
