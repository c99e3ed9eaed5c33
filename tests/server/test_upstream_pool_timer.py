"""Issue 12 #5: no spurious 504 on a pooled connection after a large upstream body.

With aiohttp's ``sock_read``, a body that outran its reader left the read timer re-armed
on the connection after it went back to the pool (see :class:`PooledAiohttp`); ``read_ms``
later the timer poisoned the idle connection and the next request on it failed at once
with "read timeout", never reaching the upstream. Reproduced against a real upstream on
127.0.0.1: a 1 MiB body read slowly, an idle pause longer than ``read_ms``, then a small
request on the same (single) pooled connection, which must reach the upstream and succeed.
Before the fix every round failed.

Also here: ``read_ms`` bounds the wait for a response head counted from the moment a
connection was had (new or reused from the pool), not from the start of connecting
(``connect_ms`` covers that). The aiohttp transport moves the head deadline when its
connector hands over the connection; a deadline left at ``connect_ms + read_ms`` would let
a silent upstream hold the request far longer than ``read_ms``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from server_helpers import aiohttp_served

from interlingua.errors import GatewayError
from interlingua.server.config import ProviderConfig
from interlingua.server.upstream import Upstream

_BIG = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
_READ_MS = 50
_SILENT_S = 1.0  # the upstream's wait before the head of an answer to b"slow"


@pytest.fixture
async def big_upstream() -> AsyncIterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    async def answer(request: web.Request) -> web.Response:
        body = await request.read()
        received.append(body)
        if body == b"slow":
            await asyncio.sleep(_SILENT_S)
        return web.Response(body=_BIG if body == b"big" else b"{}", content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    async with aiohttp_served(app) as url:
        yield f"{url}/v1", received


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


def _slow_upstream(url: str, read_ms: int) -> Upstream:
    # connect_ms far above the upstream's silence: only a deadline of read_ms from the
    # connection can time the slow answer out.
    provider = ProviderConfig.model_validate(
        {
            "name": "slow",
            "format": "openai_chat",
            "base_url": url,
            "timeouts": {"connect_ms": 60_000, "read_ms": read_ms},
            "max_connections": 1,
        }
    )
    return Upstream(provider, "aiohttp")


async def _status(upstream: Upstream, body: bytes) -> int:
    try:
        response = await upstream.send("generate", body, [], same_format=True)
    except GatewayError as err:
        return err.status
    await response.aread()
    await response.aclose()
    return response.status_code


@pytest.mark.parametrize("pooled", [False, True], ids=["new-connection", "pooled-connection"])
async def test_head_deadline_is_read_ms_after_the_connection(
    big_upstream: tuple[str, list[bytes]], pooled: bool
) -> None:
    upstream = _slow_upstream(big_upstream[0], read_ms=200)
    try:
        if pooled:
            assert await _status(upstream, b"small") == 200  # leaves its connection in the pool
        assert await _status(upstream, b"slow") == 504
    finally:
        await upstream.aclose()


async def test_head_within_read_ms_is_answered(big_upstream: tuple[str, list[bytes]]) -> None:
    upstream = _slow_upstream(big_upstream[0], read_ms=int(_SILENT_S * 1000 * 10))
    try:
        assert await _status(upstream, b"slow") == 200
        assert await _status(upstream, b"slow") == 200
    finally:
        await upstream.aclose()
