"""The aiohttp transport's fast paths (``server/upstream.py``) give what the httpx API gives.

``Upstream.send`` posts without building an ``httpx.Request`` and ``read_body`` joins an
identity body without ``aread``'s decoder chain: against a real upstream on 127.0.0.1 the
upstream receives the same request (URL as built, headers, body), a body with a
Content-Encoding is still decoded (the httpx path), the connection goes back to the pool,
and a body cut short is a classified 502.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from server_helpers import aiohttp_served

from interlingua.errors import GatewayError
from interlingua.server.config import ProviderConfig
from interlingua.server.upstream import Upstream, read_body

_ANSWER = b'{"id": "x", "ok": true}'


@pytest.fixture
async def upstream_url() -> AsyncIterator[tuple[str, list[web.Request], list[bytes]]]:
    seen: list[web.Request] = []
    stalled = asyncio.Event()  # set at teardown: a stalled answer never resumes before
    bodies: list[bytes] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        body = await request.read()
        bodies.append(body)
        if body == b"gzip":
            return web.Response(
                body=gzip.compress(_ANSWER), headers={"content-encoding": "gzip", "content-type": "application/json"}
            )
        if body == b"cut":  # promises more than it sends, then closes the connection
            response = web.StreamResponse(headers={"content-length": "1000"})
            await response.prepare(request)
            await response.write(b'{"partial": ')
            assert request.transport is not None
            request.transport.close()
            return response
        if body in (b"parts", b"stall"):  # the head and half the body, the rest later (or never)
            response = web.StreamResponse(headers={"content-length": str(len(_ANSWER))})
            await response.prepare(request)
            await response.write(_ANSWER[:5])
            await asyncio.sleep(0.05) if body == b"parts" else await stalled.wait()
            await response.write(_ANSWER[5:])
            return response
        if body == b"cookie":
            response = web.Response(body=_ANSWER, content_type="application/json")
            response.set_cookie("session", "first-client")
            return response
        return web.Response(body=_ANSWER, content_type="application/json")

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    async with aiohttp_served(app) as url:
        yield url, seen, bodies
        stalled.set()


def _upstream(base_url: str, transport: str = "aiohttp", fmt: str = "openai_chat", read_ms: int = 60_000) -> Upstream:
    provider = ProviderConfig.model_validate(
        {
            "name": "up",
            "format": fmt,
            "base_url": base_url + "/v1",
            "api_key": "sk-up",
            "timeouts": {"read_ms": read_ms},
            "max_connections": 1,  # one pooled connection: each request reuses the last one's
        }
    )
    return Upstream(provider, transport)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_upstream_fast_send_same_request_and_body(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str
) -> None:
    base_url, seen, bodies = upstream_url
    upstream = _upstream(base_url, transport)
    try:
        for _ in range(3):  # the same pooled connection, and the cached wire URL, each time
            resp = await upstream.send("generate", b'{"model": "m"}', [(b"openai-beta", b"x")], same_format=True)
            assert resp.status_code == 200
            assert resp.headers["content-type"] == "application/json"
            assert await read_body(resp, "up") == _ANSWER
            assert resp.is_closed
    finally:
        await upstream.aclose()
    assert bodies == [b'{"model": "m"}'] * 3
    for request in seen:
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer sk-up"
        assert request.headers["openai-beta"] == "x"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["accept-encoding"] == "identity"
        assert request.headers["content-length"] == str(len(b'{"model": "m"}'))
        assert request.headers["host"] == base_url.removeprefix("http://")


async def test_upstream_fast_send_keeps_the_path_as_built(
    upstream_url: tuple[str, list[web.Request], list[bytes]],
) -> None:
    """A model id's ``:`` goes out as ``%3A`` (signed Bedrock paths), never re-quoted."""
    base_url, seen, _ = upstream_url
    upstream = _upstream(base_url, fmt="gemini")
    try:
        resp = await upstream.send("generate", b"{}", [], same_format=True, model="a:b")
        await read_body(resp, "up")
    finally:
        await upstream.aclose()
    assert seen[0].raw_path == "/v1/v1beta/models/a%3Ab:generateContent"


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.parametrize("body", [b"plain", b"gzip", b"parts"], ids=["identity", "gzip-decoded", "in-parts"])
async def test_upstream_read_body_whole_answer(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str, body: bytes
) -> None:
    upstream = _upstream(upstream_url[0], transport)
    try:
        resp = await upstream.send("generate", body, [], same_format=True)
        assert await read_body(resp, "up") == _ANSWER
        assert resp.is_closed
    finally:
        await upstream.aclose()


async def _read(upstream: Upstream, body: bytes, answered: list[httpx.Response]) -> bytes:
    resp = await upstream.send("generate", body, [], same_format=True)
    answered.append(resp)
    return await read_body(resp, "up")


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.parametrize(
    ("body", "status"),
    # cut: the connection closes mid-body; stall: the rest never comes, read_ms bounds the wait.
    [(b"cut", 502), (b"stall", 504)],
)
async def test_upstream_read_body_failure_classified(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str, body: bytes, status: int
) -> None:
    # A short read_ms only where the answer is a 504 anyway (even a head delayed by a loaded
    # machine is one): no pass depends on timing.
    upstream = _upstream(upstream_url[0], transport, read_ms=300 if status == 504 else 60_000)
    try:
        answered: list[httpx.Response] = []
        with pytest.raises(GatewayError) as raised:
            await _read(upstream, body, answered)
        assert raised.value.status == status
        assert all(resp.is_closed for resp in answered)  # (the head may be what timed out)
        if status == 502:  # the pool recovers: a fresh connection, and its answer
            resp = await upstream.send("generate", b"again", [], same_format=True)
            assert await read_body(resp, "up") == _ANSWER
    finally:
        await upstream.aclose()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_upstream_cookies_not_replayed(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str
) -> None:
    """An upstream's Set-Cookie (one client's answer) never rides on a later request: the
    upstream session is shared by every client (a host name, not an IP: jars take those)."""
    base_url, seen, _ = upstream_url
    upstream = _upstream(base_url.replace("127.0.0.1", "localhost"), transport)
    try:
        for body in (b"cookie", b"next"):
            resp = await upstream.send("generate", body, [], same_format=True)
            await read_body(resp, "up")
    finally:
        await upstream.aclose()
    assert "Cookie" not in seen[1].headers  # (aiohttp's headers are case-insensitive)
