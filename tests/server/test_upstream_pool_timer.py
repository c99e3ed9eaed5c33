"""Issue 12 #5: no spurious 504 on a pooled connection after a large upstream body.

With aiohttp's ``sock_read``, a body that outran its reader left the read timer re-armed
on the connection after it went back to the pool (see :class:`PooledAiohttp`); ``read_ms``
later the timer poisoned the idle connection and the next request on it failed at once
with "read timeout", never reaching the upstream. Reproduced against a real upstream on
127.0.0.1: a 1 MiB body read slowly, an idle pause longer than ``read_ms``, then a small
request on the same (single) pooled connection, which must reach the upstream and succeed.
Before the fix every round failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from interlingua.server.config import ProviderConfig
from interlingua.server.upstream import Upstream

_BIG = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
_READ_MS = 50


@pytest.fixture
async def big_upstream() -> AsyncIterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    async def answer(request: web.Request) -> web.Response:
        body = await request.read()
        received.append(body)
        return web.Response(body=_BIG if body == b"big" else b"{}", content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/v1", received
    await runner.cleanup()


async def _exchange(upstream: Upstream, body: bytes, slow: bool) -> int:
    response = await upstream.send("generate", body, [], same_format=True)
    size = 0
    try:
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if slow:  # a reader slower than loopback: aiohttp pauses the socket
                await asyncio.sleep(0.001)
    finally:
        await response.aclose()
    return size


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_no_read_timeout_leaks_onto_pooled_connection(
    big_upstream: tuple[str, list[bytes]], transport: str
) -> None:
    base_url, received = big_upstream
    provider = ProviderConfig.model_validate(
        {
            "name": "big",
            "format": "openai_chat",
            "base_url": base_url,
            "timeouts": {"connect_ms": 2_000, "read_ms": _READ_MS},
            "max_connections": 1,  # one pooled connection: the next request reuses it
        }
    )
    for _ in range(3):
        upstream = Upstream(provider, transport)
        try:
            assert await _exchange(upstream, b"big", slow=True) == len(_BIG)
            await asyncio.sleep(_READ_MS / 1000 * 3)  # idle in the pool for longer than read_ms
            assert await _exchange(upstream, b"small", slow=False) == 2
        finally:
            await upstream.aclose()
        assert received[-2:] == [b"big", b"small"]
