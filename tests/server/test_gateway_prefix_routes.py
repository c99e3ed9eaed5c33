"""Prefix routes: a raw reverse proxy under a path prefix, against a real aiohttp upstream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from aiohttp import web

from interlingua.server.config import Config
from interlingua.server.config.routes import PrefixRoute
from interlingua.server.prefix_routes import match_prefix
from interlingua.server.testing import running_gateway


class Upstream:
    """Records what arrives; streams that wait for the test prove nothing is buffered."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.first_chunk = asyncio.Event()
        self.cancelled = 0
        self.stream_closed = asyncio.Event()
        self.release = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/v1/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        self.port = 0

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        record: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": {k.lower(): v for k, v in request.headers.items()},
        }
        self.seen.append(record)
        if request.path == "/v1/upload":
            return await self._upload(request, record)
        if request.path == "/v1/events":
            return await self._events(request)
        if request.path == "/v1/embeddings":  # what an SDK call through a prefix route gets
            return web.json_response(
                {
                    "object": "list",
                    "model": "m",
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }
            )
        headers = {"x-upstream": "yes", "set-cookie": "session=upstream-secret", "connection": "close"}
        return web.json_response({"ok": True}, headers=headers)

    async def _upload(self, request: web.Request, record: dict[str, Any]) -> web.StreamResponse:
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
            self.first_chunk.set()
        record["size"] = size
        return web.json_response({"received": size})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        try:
            await resp.write(b"data: one\n\n")
            await asyncio.wait_for(self.release.wait(), 10)  # held until the client has event one
            await resp.write(b"data: two\n\n")
            await resp.write_eof()
        except asyncio.CancelledError:
            self.cancelled += 1  # the gateway closed the connection
            raise
        finally:
            self.stream_closed.set()
        return resp


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:  # type: ignore[override]
    up = Upstream()
    await up.start()
    yield up
    await up.runner.cleanup()


def _config(up: Upstream, **server: Any) -> Config:
    base = f"http://127.0.0.1:{up.port}/v1"
    return Config.model_validate(
        {
            "server": server,
            "routes": [
                {
                    "prefix": "/up",
                    "base_url": base,
                    "inject_headers": {"Authorization": "Bearer upstream-key"},
                },
                {"prefix": "/up/deeper/", "base_url": f"{base}/deep", "timeouts": {"read_ms": 2000}},
            ],
        }
    )


def test_longest_prefix_wins_on_segment_boundaries() -> None:
    routes = [PrefixRoute(prefix="/a", base_url="http://x"), PrefixRoute(prefix="/a/b", base_url="http://y")]
    assert match_prefix(routes, "/a") is routes[0]
    assert match_prefix(routes, "/a/c") is routes[0]
    assert match_prefix(routes, "/a/b/c") is routes[1]
    assert match_prefix(routes, "/a/bc") is routes[0]
    assert match_prefix(routes, "/ab") is None


def test_prefix_must_be_a_path() -> None:
    with pytest.raises(ValueError, match="must be a path"):
        PrefixRoute(prefix="/", base_url="http://x")
    with pytest.raises(ValueError, match="http"):
        PrefixRoute(prefix="/a", base_url="ftp://x")


async def test_requests_are_forwarded_with_path_query_and_injected_key(upstream: Upstream) -> None:
    async with (
        running_gateway(_config(upstream, api_keys=["client-key"])) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        denied = await http.get("/up/files")
        resp = await http.get(
            "/up/files/f1?purpose=batch",
            headers={
                "authorization": "Bearer client-key",
                "connection": "keep-alive, x-hop",
                "x-hop": "named by connection",
                "te": "trailers",
                "cookie": "a=b",
                "x-custom": "kept",
            },
        )
        deeper = await http.get("/up/deeper/x", headers={"x-api-key": "client-key"})
        outside = await http.get("/upx", headers={"x-api-key": "client-key"})
    assert denied.status_code == 401  # inbound keys apply
    assert resp.status_code == 200
    assert resp.headers["x-upstream"] == "yes"
    assert "set-cookie" not in resp.headers
    first = upstream.seen[0]
    assert (first["method"], first["path"], first["query"]) == ("GET", "/v1/files/f1", "purpose=batch")
    assert first["headers"]["authorization"] == "Bearer upstream-key"
    assert first["headers"]["x-custom"] == "kept"
    assert not {"x-hop", "te", "cookie", "x-api-key"} & set(first["headers"])
    assert deeper.status_code == 200
    assert upstream.seen[1]["path"] == "/v1/deep/x"
    assert "authorization" not in upstream.seen[1]["headers"]  # neither the client's nor injected
    assert outside.status_code == 404


async def test_bodies_stream_both_ways_without_buffering(upstream: Upstream) -> None:
    async def upload() -> AsyncIterator[bytes]:
        yield b"x" * 1000
        await asyncio.wait_for(upstream.first_chunk.wait(), 10)  # the upstream has it before we send more
        yield b"y" * 500

    async with running_gateway(_config(upstream)) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        sent = await http.post("/up/upload", content=upload())
        events: list[str] = []
        async with http.stream("GET", "/up/events") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    events.append(line)
                    upstream.release.set()  # the upstream sends event two only after this
    assert sent.json() == {"received": 1500}
    assert events == ["data: one", "data: two"]


async def test_an_sdk_call_through_a_prefix_route(upstream: Upstream) -> None:
    async with (
        running_gateway(_config(upstream)) as url,
        openai.AsyncOpenAI(base_url=f"{url}/up", api_key="unused", max_retries=0) as client,
    ):
        out = await client.embeddings.create(model="m", input="hello")
    assert out.data[0].embedding == [0.5]
    assert upstream.seen[0]["headers"]["authorization"] == "Bearer upstream-key"


async def test_an_unreachable_upstream_answers_502(upstream: Upstream) -> None:
    cfg = _config(upstream)
    await upstream.runner.cleanup()
    async with running_gateway(cfg) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        resp = await http.get("/up/files")
    assert resp.status_code == 502
    assert "error" in resp.json()


async def test_a_client_that_goes_away_closes_the_upstream_stream(upstream: Upstream) -> None:
    async with running_gateway(_config(upstream)) as url:
        async with (
            httpx.AsyncClient(base_url=url, timeout=10) as http,
            http.stream("GET", "/up/events") as stream,
        ):
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    break  # leave while the upstream holds event two back
        await asyncio.wait_for(upstream.stream_closed.wait(), 5)
    assert upstream.cancelled == 1
