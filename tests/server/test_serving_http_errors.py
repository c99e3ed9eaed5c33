"""Requests Hypercorn refuses before any gateway code runs still get a JSON error body
(``server/hypercorn_errors.py``): malformed request lines, headers and framing (400), and
oversized headers (431). Raw sockets, since no HTTP client sends such requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from server_helpers import make_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.hypercorn_errors import error_body
from interlingua.server.testing import running_gateway

_TIMEOUT_S = 20.0


@pytest.fixture
async def port(upstream: FakeUpstream) -> AsyncIterator[int]:
    async with running_gateway(make_config(upstream)) as url:
        yield int(url.rsplit(":", 1)[1])


async def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str], Any]:
    """Send raw bytes; the status, headers and JSON body of the answer (the connection then closes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), _TIMEOUT_S)  # until the server closes
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    assert int(headers["content-length"]) == len(body)
    return int(status_line.split(" ")[1]), headers, json.loads(body)


def _assert_envelope(body: Any, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == code
    assert body["error"]["param"] is None


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"NOT AN HTTP REQUEST\r\n\r\n", id="request-line"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n", id="header-line"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nhost: x\r\nbad name: 1\r\n\r\n", id="header-name"),
        pytest.param(b"GET /healthz HTTP/1.1\r\n\r\n", id="no-host"),
        pytest.param(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
            b"zz\r\n",
            id="bad-chunk-size",
        ),
        pytest.param(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: five\r\n\r\n", id="bad-length"
        ),
    ],
)
async def test_hypercorn_malformed_request_gets_json_400(port: int, request_bytes: bytes) -> None:
    status, headers, body = await _exchange(port, request_bytes)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    _assert_envelope(body, "bad_request")


async def test_hypercorn_oversized_headers_get_json_431(port: int) -> None:
    # Past 16 KiB (h11_max_incomplete_size) without the end of the headers: refused at once.
    filler = b"x-filler: " + b"a" * 20_000 + b"\r\n"
    status, _, body = await _exchange(port, b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + filler)
    assert status == 431
    _assert_envelope(body, "request_header_fields_too_large")
    assert body["error"]["message"] == "request headers too large"


async def test_hypercorn_connection_still_serves_after_refusals(port: int) -> None:
    await _exchange(port, b"NOT AN HTTP REQUEST\r\n\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    await writer.drain()
    assert (await asyncio.wait_for(reader.read(), _TIMEOUT_S)).startswith(b"HTTP/1.1 200")
    writer.close()


def test_hypercorn_error_body_for_other_statuses() -> None:
    assert json.loads(error_body(500))["error"] == {
        "message": "internal gateway error", "type": "server_error", "param": None, "code": "internal_error"
    }
    assert json.loads(error_body(414))["error"]["code"] == "request-uri_too_long"
