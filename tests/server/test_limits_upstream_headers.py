"""A limited key's rate-limit headers replace the upstream's, never sit beside them.

Passthrough answers relay a provider's own ``x-ratelimit-*`` headers (they describe the
shared upstream account). When the limits feature shows the key's own headers of the same
names, a client would get two values per name (httpx joins them as ``"5, 9999"``, which an
SDK's back-off cannot read), so the upstream's are dropped: on plain answers, streams and
relayed upstream errors. Without the key's own headers the upstream's still pass.

The upstream is a real aiohttp server on 127.0.0.1 that sends OpenAI's rate-limit headers
on every answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web
from keys_helpers import ADMIN_KEY, SECRET, admin_client
from server_helpers import OPENAI_BODY, aiohttp_served

from interlingua.server.config import Config
from interlingua.server.testing import running_gateway

_UPSTREAM_LIMITS = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "2000000",
}
_ANSWER = {
    "id": "c",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
_STREAM = (
    b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":null}\n\n'
    b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n'
    b"data: [DONE]\n\n"
)
_BUSY = {"error": {"message": "busy", "type": "requests", "code": "rate_limit_exceeded"}}


async def _chat(request: web.Request) -> web.Response:
    body = await request.json()
    if body["model"] == "busy":
        return web.json_response(_BUSY, status=429, headers={**_UPSTREAM_LIMITS, "retry-after": "1"})
    if body.get("stream"):
        return web.Response(body=_STREAM, content_type="text/event-stream", headers=_UPSTREAM_LIMITS)
    return web.Response(body=orjson.dumps(_ANSWER), content_type="application/json", headers=_UPSTREAM_LIMITS)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", _chat)
    async with aiohttp_served(app) as upstream:
        config = Config.model_validate(
            {
                "providers": [{"name": "up", "format": "openai_chat", "base_url": upstream + "/v1", "api_key": "k"}],
                "models": [{"name": "*", "provider": "up"}],
                "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", "secret": SECRET},
                "admin": {"api_key": ADMIN_KEY},
            }
        )
        async with running_gateway(config) as url:
            yield url


async def _key(url: str, **body: Any) -> str:
    async with admin_client(url) as admin:
        r = await admin.post("/admin/keys", json={"name": "k", **body})
        assert r.status_code == 201, r.text
        return str(r.json()["key"])


@pytest.mark.parametrize(("model", "stream", "status"), [("m", False, 200), ("m", True, 200), ("busy", False, 429)])
async def test_limited_key_gets_only_its_own_rate_limit_headers(
    gateway: str, model: str, stream: bool, status: int
) -> None:
    key = await _key(gateway, limits={"rpm": 5})
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        r = await client.post(
            "/v1/chat/completions",
            json={**OPENAI_BODY, "model": model, "stream": stream},
            headers={"authorization": f"Bearer {key}"},
        )
    assert r.status_code == status, r.text
    assert r.headers.get_list("x-ratelimit-limit-requests") == ["5"]
    assert r.headers.get_list("x-ratelimit-remaining-requests") == ["4"]
    assert len(r.headers.get_list("x-ratelimit-reset-requests")) == 1
    assert "x-ratelimit-limit-tokens" not in r.headers  # the upstream account's: not the client's
    if status == 429:
        assert r.headers["retry-after"] == "1"  # the upstream's other headers still pass


@pytest.mark.parametrize("stream", [False, True])
async def test_unlimited_key_gets_the_upstreams_rate_limit_headers(gateway: str, stream: bool) -> None:
    key = await _key(gateway)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        r = await client.post(
            "/v1/chat/completions", json={**OPENAI_BODY, "model": "m", "stream": stream},
            headers={"authorization": f"Bearer {key}"},
        )
    assert r.status_code == 200, r.text
    for name, value in _UPSTREAM_LIMITS.items():
        assert r.headers.get_list(name) == [value]
