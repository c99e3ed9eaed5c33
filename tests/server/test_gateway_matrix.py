"""Every client surface against every upstream format through the gateway, streamed and
not: text arrives, the client's own framing ends the stream, the client sees its model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from server_helpers import formats_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

# One model per upstream format (see formats_config).
UPSTREAM_MODELS = {
    "openai_chat": "gpt-4o-mini",
    "anthropic_messages": "claude-sonnet-4-6",
    "gemini": "gemini-2.5-flash",
    "openai_responses": "gpt-5",
    "bedrock_converse": "claude-via-bedrock",
}
USER = "say hello"


def _request(client_format: str, model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    if client_format == "openai_chat":
        return "/v1/chat/completions", {
            "model": model,
            "stream": stream,
            "messages": [{"role": "user", "content": USER}],
        }
    if client_format == "anthropic_messages":
        body = {
            "model": model,
            "max_tokens": 64,
            "stream": stream,
            "messages": [{"role": "user", "content": USER}],
        }
        return "/v1/messages", body
    if client_format == "gemini":
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"/v1beta/models/{model}:{method}", {"contents": [{"role": "user", "parts": [{"text": USER}]}]}
    return "/v1/responses", {"model": model, "input": USER, "stream": stream, "store": False}


def _events(text: str) -> list[Any]:
    return [
        orjson.loads(line[5:])
        for line in text.splitlines()
        if line.startswith("data:") and line != "data: [DONE]"
    ]


def _text(client_format: str, stream: bool, resp: httpx.Response) -> str:
    if not stream:
        body = resp.json()
        if client_format == "openai_chat":
            return str(body["choices"][0]["message"]["content"])
        if client_format == "anthropic_messages":
            return "".join(b.get("text", "") for b in body["content"])
        if client_format == "gemini":
            return "".join(p.get("text", "") for p in body["candidates"][0]["content"]["parts"])
        return "".join(
            c["text"] for item in body["output"] if item["type"] == "message" for c in item["content"]
        )
    events = _events(resp.text)
    if client_format == "openai_chat":
        assert resp.text.rstrip().endswith("data: [DONE]")
        return "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices"))
    if client_format == "anthropic_messages":
        assert events[-1]["type"] == "message_stop"
        return "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    if client_format == "gemini":
        assert events[-1]["candidates"][0]["finishReason"]
        parts = [
            p for e in events for c in e.get("candidates", []) for p in c.get("content", {}).get("parts", [])
        ]
        return "".join(p.get("text", "") for p in parts if not p.get("thought"))
    assert events[-1]["type"] == "response.completed"
    return "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("client_format", ["openai_chat", "anthropic_messages", "gemini", "openai_responses"])
async def test_matrix_client_format_to_every_upstream(
    client: httpx.AsyncClient, upstream: FakeUpstream, client_format: str, stream: bool
) -> None:
    for upstream_format, model in UPSTREAM_MODELS.items():
        path, body = _request(client_format, model, stream)
        resp = await client.post(path, json=body)
        pair = f"{client_format} -> {upstream_format}"
        assert resp.status_code == 200, f"{pair}: {resp.text[:300]}"
        assert "hello" in _text(client_format, stream, resp).lower(), pair
        assert upstream.requests[-1].status == 200, pair
