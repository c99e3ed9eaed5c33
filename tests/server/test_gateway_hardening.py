"""Hostile input and leaky upstreams (issue 12's defects on the pipeline), each a test that
would have caught it: deep JSON, odd count-tokens blocks, duplicate routing keys, slow
bodies holding in-flight slots, and upstream text quoting the key the gateway sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, formats_config, make_config

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.pipeline.ingress import MAX_JSON_DEPTH
from interlingua.server.testing import running_gateway


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


def _with_deep_tool(body: dict[str, Any], depth: int, anthropic: bool) -> bytes:
    """``body`` with a tool whose schema nests ``2 x depth`` levels, as JSON text (no
    serialiser writes JSON this deep, which is the point)."""
    schema = '{"type":"object","properties":{"x":' * depth + '{"type":"string"}' + "}}" * depth
    tool = (
        f'{{"name":"deep","input_schema":{schema}}}'
        if anthropic
        else f'{{"type":"function","function":{{"name":"deep","parameters":{schema}}}}}'
    )
    return orjson.dumps(body)[:-1] + f',"tools":[{tool}]}}'.encode()


@pytest.mark.parametrize("depth", [150, 500])
@pytest.mark.parametrize(
    ("path", "body", "anthropic"),
    [
        ("/v1/chat/completions", {**OPENAI_BODY, "model": "gpt-via-anthropic"}, False),  # translated
        ("/v1/chat/completions", OPENAI_BODY, False),  # passthrough
        ("/v1/messages", {**ANTHROPIC_BODY, "model": "claude-via-openai"}, True),
        ("/v1/messages/count_tokens", {**ANTHROPIC_BODY, "model": "claude-via-openai"}, True),
    ],
)
async def test_hardening_deep_json_is_400_in_client_envelope(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], anthropic: bool, depth: int
) -> None:
    # 300 levels: parsed by orjson (up to 1024) but beyond what it can serialise (255);
    # 1,000: the most it parses.
    resp = await client.post(path, content=_with_deep_tool(body, depth, anthropic))
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert "nested" in error["message"]
    assert (error["type"] == "invalid_request_error") if anthropic else (error["code"] == "json_too_deep")


async def test_hardening_depth_within_limit_is_served(client: httpx.AsyncClient) -> None:
    body = _with_deep_tool({**OPENAI_BODY, "model": "gpt-via-anthropic"}, MAX_JSON_DEPTH // 2 - 10, False)
    assert (await client.post("/v1/chat/completions", content=body)).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/messages/count_tokens", {"model": "claude-via-openai", "messages": [{"role": "user", "content": [{"type": {}}]}]}),
        ("/v1/messages/count_tokens", {"model": "claude-via-openai", "messages": [{"role": "user", "content": [{"type": []}]}]}),
        ("/v1/responses/input_tokens", {"model": "responses-via-anthropic", "input": [{"type": {}}]}),
    ],
)
async def test_hardening_count_tokens_validates_blocks(
    client: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    resp = await client.post(path, json=body)
    assert resp.status_code == 400, resp.text
    assert "messages[0].content[0]" in resp.text or "input[0]" in resp.text


@pytest.mark.parametrize("key", ["model", "stream"])
async def test_hardening_duplicate_routing_keys_are_400(client: httpx.AsyncClient, key: str) -> None:
    value = b'"claude-sonnet-4-6"' if key == "model" else b"true"
    raw = (
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": false, "'
        + key.encode()
        + b'": '
        + value
        + b"}"
    )
    resp = await client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == key


async def test_hardening_model_key_inside_a_tool_schema_is_fine(client: httpx.AsyncClient) -> None:
    tool = {"type": "function", "function": {"name": "t", "parameters": {"type": "object", "properties": {"model": {"type": "string"}}}}}
    resp = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "tools": [tool]})
    assert resp.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", OPENAI_BODY),  # same format: the upstream's body, redacted
        ("/v1/messages", {**ANTHROPIC_BODY, "model": "claude-via-openai"}),  # translated
    ],
)
async def test_hardening_upstream_quoting_our_key_is_redacted(
    client: httpx.AsyncClient, upstream: FakeUpstream, path: str, body: dict[str, Any]
) -> None:
    upstream.fault_next(f"status:401,message:Incorrect API key provided: {DEMO_UPSTREAM_KEY}")
    resp = await client.post(path, json=body)
    assert resp.status_code == 401
    assert DEMO_UPSTREAM_KEY not in resp.text
    assert "[redacted]" in resp.text
    assert all(DEMO_UPSTREAM_KEY not in value for value in resp.headers.values())


async def test_hardening_slow_bodies_do_not_hold_inflight_slots(upstream: FakeUpstream) -> None:
    """A slowloris (bodies trickling in) against max_inflight 2: everyone else is still served."""
    config = make_config(upstream, server={"max_inflight": 2})
    async with running_gateway(config) as url:
        port = int(url.rsplit(":", 1)[1])
        writers = []
        for _ in range(6):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                b"content-length: 1000\r\n\r\n{\"mo"
            )
            await writer.drain()
            writers.append(writer)
        try:
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                results = await asyncio.gather(
                    *(client.post("/v1/chat/completions", json=OPENAI_BODY) for _ in range(2))
                )
                assert [r.status_code for r in results] == [200, 200]
                later = await client.post("/v1/chat/completions", json=OPENAI_BODY)
                assert later.status_code == 200
        finally:
            for writer in writers:
                writer.close()


async def test_hardening_inflight_limit_still_applies_to_read_bodies(upstream: FakeUpstream) -> None:
    upstream.default_fault = "slow:400"
    config = make_config(upstream, server={"max_inflight": 2})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        results = await asyncio.gather(*(client.post("/v1/messages", json=ANTHROPIC_BODY) for _ in range(5)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 2
    assert statuses.count(529) == 3  # Anthropic clients get 529 for the gateway's overload
