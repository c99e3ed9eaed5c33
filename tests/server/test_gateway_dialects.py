"""OpenAI-compatible dialects as provider options: Azure's URL and key header, the
reasoning field (OpenRouter and Ollama: ``reasoning``; DeepSeek, Kimi, vLLM:
``reasoning_content``), the output-limit field, keyless local servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

from interlingua.server.config import Config
from interlingua.server.testing import running_gateway

ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "hello",
                "reasoning": "thought R",
                "reasoning_content": "thought RC",
            },
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}


class Recorder:
    """A tiny OpenAI-compatible server that records what it was sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        self.seen.append((request.path_qs, {k.lower(): v for k, v in request.headers.items()}, body))
        if not body.get("stream"):
            return web.json_response(ANSWER)
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
        for delta, finish in (
            ({"role": "assistant", "reasoning": "deep "}, None),
            ({"content": "hi"}, None),
            ({}, "stop"),
        ):
            data = {**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            await resp.write(b"data: " + orjson.dumps(data) + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    rec = Recorder()
    app = web.Application()
    app.router.add_post("/{tail:.*}", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield rec
    await runner.cleanup()


def _config(recorder: Recorder, provider: dict[str, Any], upstream_model: str | None = None) -> Config:
    route: dict[str, Any] = {"name": "*", "provider": "p"}
    if upstream_model:
        route["upstream_model"] = upstream_model
    return Config.model_validate(
        {
            "providers": [{"name": "p", "format": "openai_chat", "base_url": recorder.url, **provider}],
            "models": [route],
        }
    )


CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "claude-x", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}


async def test_azure_url_query_and_api_key_header(recorder: Recorder) -> None:
    provider = {"dialect": "azure", "api_key": "az-key", "azure": {"api_version": "2025-01-01-preview"}}
    async with (
        running_gateway(_config(recorder, provider, "my-deploy")) as url,
        httpx.AsyncClient(base_url=url) as c,
    ):
        resp = await c.post("/v1/chat/completions", json=CHAT)
    assert resp.status_code == 200, resp.text
    path, headers, body = recorder.seen[-1]
    assert path == "/openai/deployments/my-deploy/chat/completions?api-version=2025-01-01-preview"
    assert headers["api-key"] == "az-key"
    assert "authorization" not in headers
    assert body["model"] == "my-deploy"


async def test_azure_configured_deployment_wins(recorder: Recorder) -> None:
    provider = {"dialect": "azure", "api_key": "k", "azure": {"deployment": "prod-gpt4o"}}
    async with running_gateway(_config(recorder, provider)) as url, httpx.AsyncClient(base_url=url) as c:
        await c.post("/v1/messages", json=MESSAGES)
    path, _, body = recorder.seen[-1]
    assert path == "/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21"
    assert "max_completion_tokens" in body


@pytest.mark.parametrize(
    ("dialect", "thought", "limit"),
    [
        ("openrouter", "thought R", "max_tokens"),
        ("ollama", "thought R", "max_tokens"),
        ("deepseek", "thought RC", "max_tokens"),
        ("vllm", "thought RC", "max_tokens"),
        ("kimi", "thought RC", "max_tokens"),
        ("openai", "thought RC", "max_completion_tokens"),
    ],
)
async def test_dialect_reasoning_field_and_limit_field(
    recorder: Recorder, dialect: str, thought: str, limit: str
) -> None:
    # The fake answers with both fields; the dialect decides which one is the reasoning.
    async with (
        running_gateway(_config(recorder, {"dialect": dialect})) as url,
        httpx.AsyncClient(base_url=url) as c,
    ):
        resp = await c.post("/v1/messages", json=MESSAGES)
    assert resp.status_code == 200
    assert resp.json()["content"][0]["thinking"] == thought
    _, headers, body = recorder.seen[-1]
    assert limit in body
    assert "authorization" not in headers  # no api_key configured (Ollama, local vLLM)


async def test_openrouter_streamed_reasoning_reaches_anthropic_clients(recorder: Recorder) -> None:
    config = _config(recorder, {"dialect": "openrouter", "api_key": "or-key"})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as c:
        resp = await c.post("/v1/messages", json={**MESSAGES, "stream": True})
    assert '"thinking":"deep "' in resp.text
    assert recorder.seen[-1][1]["authorization"] == "Bearer or-key"


async def test_dialect_object_form_overrides_the_preset(recorder: Recorder) -> None:
    provider = {
        "dialect": {
            "name": "vllm",
            "reasoning_field": "reasoning",
            "max_tokens_field": "max_completion_tokens",
        }
    }
    async with running_gateway(_config(recorder, provider)) as url, httpx.AsyncClient(base_url=url) as c:
        resp = await c.post("/v1/messages", json=MESSAGES)
    assert resp.status_code == 200
    assert {"type": "thinking", "thinking": "thought R", "signature": ""}.items() <= resp.json()["content"][
        0
    ].items()
    assert "max_completion_tokens" in recorder.seen[-1][2]
