"""Connection timeouts of the server: an idle keep-alive connection outlives Hypercorn's old 5 s
default (``server.keep_alive_timeout_s``), and a trickling request body is answered 408 in the
client's own error envelope (``server.body_timeout_ms``). Real sockets and ``http.client``."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from typing import Any

import orjson
from server_helpers import OPENAI_BODY, make_config

from interlingua.server.config import ServerConfig
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

_READ_TIMEOUT_S = 20.0


def test_server_timeouts_defaults() -> None:
    assert ServerConfig().keep_alive_timeout_s == 75
    assert ServerConfig().body_timeout_ms == 60_000


def _posts_after_idle(port: int, idle_s: float) -> list[int]:
    """Two POSTs on one http.client connection, ``idle_s`` apart (a user thinking between turns)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=_READ_TIMEOUT_S)
    statuses = []
    try:
        for pause in (0.0, idle_s):
            time.sleep(pause)
            conn.request("POST", "/v1/chat/completions", orjson.dumps(OPENAI_BODY),
                         {"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    return statuses


async def test_server_keep_alive_outlives_hypercorns_old_default(upstream: FakeUpstream) -> None:
    config = make_config(upstream, server={"keep_alive_timeout_s": 8})
    async with running_gateway(config) as url:
        port = int(url.rsplit(":", 1)[1])
        # 6 s idle: past Hypercorn's 5 s default, within the configured 8 s.
        assert await asyncio.to_thread(_posts_after_idle, port, 6.0) == [200, 200]


async def test_server_keep_alive_timeout_closes_idle_connection(upstream: FakeUpstream) -> None:
    config = make_config(upstream, server={"keep_alive_timeout_s": 0.5})
    async with running_gateway(config) as url:
        reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        await writer.drain()
        assert (await reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 200")
        # The server closes the idle connection itself: the read ends (EOF), bounded by the timeout.
        await asyncio.wait_for(reader.read(), _READ_TIMEOUT_S)
        assert reader.at_eof()
        writer.close()


async def _trickle(port: int, path: str, headers: str) -> tuple[int, dict[str, Any]]:
    """Headers announcing a 1,000-byte body, then 10 bytes, then silence; the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{headers}"
            "content-length: 1000\r\n\r\n".encode() + b'{"model": '
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT_S)
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        body = await asyncio.wait_for(reader.readexactly(length), _READ_TIMEOUT_S)
        return int(head.split(b" ")[1]), json.loads(body)
    finally:
        writer.close()


async def test_server_trickling_body_gets_408_in_the_clients_envelope(upstream: FakeUpstream) -> None:
    config = make_config(upstream, server={"body_timeout_ms": 300})
    async with running_gateway(config) as url:
        port = int(url.rsplit(":", 1)[1])
        status, body = await _trickle(port, "/v1/chat/completions", "")
        assert status == 408
        assert body["error"]["message"] == "timed out reading the request body"
        assert set(body["error"]) >= {"message", "type"}
        status, body = await _trickle(port, "/v1/messages", "anthropic-version: 2023-06-01\r\n")
        assert status == 408
        assert body["type"] == "error"
        assert body["error"]["message"] == "timed out reading the request body"
    assert not upstream.requests
