"""Gateway-level behaviour seen by the SDKs: model lists, gateway errors in each
client's envelope, and a Claude Code-shaped request to an OpenAI upstream."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest

from interlingua.server.fake_upstream import FakeUpstream

from .payloads import ANTHROPIC_TOOLS, CLIENT_KEY


async def test_gateway_lists_models_in_each_clients_shape(
    oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> None:
    openai_ids = [m.id async for m in oai.models.list()]
    anthropic_models = [m async for m in ant.models.list()]
    assert {"gpt-4o-mini", "claude-via-openai", "gpt-via-anthropic"} <= set(openai_ids)
    assert "gpt-*" not in openai_ids
    by_id = {m.id: m for m in anthropic_models}
    assert by_id["demo-claude"].display_name == "Demo Claude"
    assert by_id["demo-claude"].type == "model"


async def test_gateway_unknown_model_in_openai_envelope(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream
) -> None:
    with pytest.raises((openai.NotFoundError, openai.BadRequestError)) as info:
        await oai.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    assert "no-such-model" in str(info.value)
    assert isinstance(info.value.body, dict)
    assert "message" in info.value.body
    assert upstream.requests == []


async def test_gateway_unknown_model_in_anthropic_envelope(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream
) -> None:
    with pytest.raises((anthropic.NotFoundError, anthropic.BadRequestError)) as info:
        await ant.messages.create(
            model="no-such-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    body: Any = info.value.body
    assert body["type"] == "error"
    assert body["error"]["type"] in ("not_found_error", "invalid_request_error")
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/chat/completions", {"authorization": f"Bearer {CLIENT_KEY}"}),
        ("/v1/messages", {"x-api-key": CLIENT_KEY}),
    ],
)
async def test_gateway_malformed_json_is_400_in_client_format(
    gateway: str, path: str, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient() as client:
        resp = await client.post(gateway + path, content=b'{"model": "gpt-4o-mini", ', headers=headers)
    assert resp.status_code == 400
    body = resp.json()
    if path == "/v1/messages":
        assert body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error"
    else:
        assert body["error"]["type"] == "invalid_request_error"


def _claude_code_body(model: str) -> dict[str, Any]:
    """What Claude Code 2.x sends for a model name it does not know (agent-clients.md)."""
    deferred = {**ANTHROPIC_TOOLS[1], "name": "DeferredToolPlaceholder", "defer_loading": True}
    return {
        "model": model,
        "max_tokens": 32000,
        "stream": True,
        "thinking": {"type": "adaptive", "display": "omitted"},
        "output_config": {"effort": "high"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "metadata": {"user_id": orjson.dumps({"device_id": "d", "session_id": "s"}).decode()},
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.330"},
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
        ],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "list files", "cache_control": {"type": "ephemeral"}}],
            },
            {"role": "system", "content": "<env>cwd: /tmp</env>"},
        ],
        "tools": [ANTHROPIC_TOOLS[0], deferred],
    }


def _sse_events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for frame in raw.split(b"\n\n"):
        name, data = "", b""
        for line in frame.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                data += line[5:].strip()
        if data:
            events.append((name, orjson.loads(data)))
    return events


async def test_gateway_claude_code_request_to_openai_upstream(gateway: str, upstream: FakeUpstream) -> None:
    headers = {
        "x-api-key": CLIENT_KEY,
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27",
        "x-app": "cli",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(
            f"{gateway}/v1/messages?beta=true", json=_claude_code_body("claude-via-openai"), headers=headers
        )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = _sse_events(resp.content)
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    assert names[-1] == "message_stop"
    tool_starts = [
        d for n, d in events if n == "content_block_start" and d["content_block"]["type"] == "tool_use"
    ]
    assert tool_starts[0]["content_block"]["name"] == "get_weather"
    sent = upstream.requests[-1].body
    assert sent is not None
    assert sent["reasoning_effort"] == "high"
    system_texts = orjson.dumps(
        [m["content"] for m in sent["messages"] if m["role"] in ("system", "developer")]
    )
    assert b"You are Claude Code." in system_texts
    assert b"<env>cwd: /tmp</env>" in system_texts
    assert "anthropic-beta" not in upstream.requests[-1].headers


BIG_SCHEMA: Any = {
    "type": "object",
    "properties": {f"field_{i:02d}": {"type": "string"} for i in range(24)},
}


@pytest.mark.parametrize("model", ["claude-via-openai", "claude-sonnet-4-6"])
async def test_gateway_large_streamed_tool_arguments_arrive_whole(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    """Peers lose arguments on the way to Anthropic streams, more so the longer they are."""
    tool: Any = {"name": "fill_form", "description": "Fill a form", "input_schema": BIG_SCHEMA}
    async with ant.messages.stream(
        model=model,
        max_tokens=2000,
        tools=[tool],
        messages=[{"role": "user", "content": "Use fill_form with `" + "x" * 40 + "`"}],
    ) as stream:
        final = await stream.get_final_message()
    call = final.content[-1]
    assert call.type == "tool_use"
    assert call.input == {f"field_{i:02d}": "x" * 40 for i in range(24)}


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-via-anthropic"])
async def test_gateway_client_timeout_cancels_non_streamed_upstream(
    gateway: str, upstream: FakeUpstream, model: str
) -> None:
    """The client gives up (as its SDK timeout does: the connection closes) while the upstream
    still thinks. It gives up once the upstream has the request, not after a fixed 0.3 s: on
    a loaded machine the gateway had not always called the upstream yet (nothing recorded)."""
    upstream.fault_next("slow:60000")  # only the client's leaving ends this answer early
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key=CLIENT_KEY, max_retries=0) as client:
        call = asyncio.create_task(
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        )
        async with asyncio.timeout(30):  # a bound, not a timing: the upstream sees the request
            while not upstream.requests:  # noqa: ASYNC110 (the fake upstream has no arrival event)
                await asyncio.sleep(0.01)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    await upstream.wait_idle(seconds=30)
    assert upstream.requests[-1].disconnected, "the upstream request must be cancelled with the client's"
    assert upstream.active == 0
