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

import pytest
from aiohttp import web

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
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen, bodies
    stalled.set()
    await runner.cleanup()


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
async def test_upstream_read_body_decodes_content_encoding(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str
) -> None:
    upstream = _upstream(upstream_url[0], transport)
    try:
        resp = await upstream.send("generate", b"gzip", [], same_format=True)
        assert await read_body(resp, "up") == _ANSWER
        assert resp.is_closed
    finally:
        await upstream.aclose()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_upstream_read_body_cut_short_is_502(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str
) -> None:
    upstream = _upstream(upstream_url[0], transport)
    try:
        resp = await upstream.send("generate", b"cut", [], same_format=True)
        with pytest.raises(GatewayError) as raised:
            await read_body(resp, "up")
        assert raised.value.status == 502
        assert resp.is_closed
        # The pool recovers: the next request gets a fresh connection and its answer.
        resp = await upstream.send("generate", b"again", [], same_format=True)
        assert await read_body(resp, "up") == _ANSWER
    finally:
        await upstream.aclose()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_upstream_read_body_waits_for_the_rest(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str
) -> None:
    upstream = _upstream(upstream_url[0], transport)
    try:
        resp = await upstream.send("generate", b"parts", [], same_format=True)
        assert await read_body(resp, "up") == _ANSWER
    finally:
        await upstream.aclose()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_upstream_read_body_silence_is_504(
    upstream_url: tuple[str, list[web.Request], list[bytes]], transport: str
) -> None:
    """``read_ms`` bounds each wait for more of the body (the upstream never sends the rest)."""
    upstream = _upstream(upstream_url[0], transport, read_ms=300)
    try:
        resp = await upstream.send("generate", b"stall", [], same_format=True)
        with pytest.raises(GatewayError) as raised:
            await read_body(resp, "up")
        assert raised.value.status == 504
        assert resp.is_closed
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
