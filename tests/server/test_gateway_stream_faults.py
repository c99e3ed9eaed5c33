"""Streams of the new formats that fail or stop short: the client gets its own format's
error (an SSE error event, or for Gemini's JSON-array streams a closing error element),
never a silent truncation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from server_helpers import GEMINI_BODY, formats_config

from interlingua.server.demo import FakeUpstream
from interlingua.server.streaming import passthrough_stream
from interlingua.server.testing import running_gateway
from interlingua.translate import Format


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


def _last_data(text: str) -> dict[str, object]:
    data = [line[5:] for line in text.splitlines() if line.startswith("data:")]
    return orjson.loads(data[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-via-openai", "gemini-via-anthropic"])
async def test_gemini_sse_cut_ends_with_gemini_error(
    client: httpx.AsyncClient, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("die-after:1")
    resp = await client.post(f"/v1beta/models/{model}:streamGenerateContent?alt=sse", json=GEMINI_BODY)
    assert resp.status_code == 200
    error = _last_data(resp.text)["error"]
    assert isinstance(error, dict)
    assert error["code"] == 502


@pytest.mark.parametrize("model", ["gemini-via-openai", "gemini-via-anthropic"])
async def test_gemini_array_cut_closes_array_with_error(
    client: httpx.AsyncClient, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("die-after:1")
    resp = await client.post(f"/v1beta/models/{model}:streamGenerateContent", json=GEMINI_BODY)
    assert resp.status_code == 200
    elements = resp.json()  # still one well-formed JSON array
    assert elements[-1]["error"]["code"] == 502


@pytest.mark.parametrize("model", ["gpt-5", "responses-via-anthropic"])
async def test_responses_stream_cut_ends_with_error_event(
    client: httpx.AsyncClient, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("die-after:2")
    body = {"model": model, "input": "hi", "stream": True, "store": False}
    resp = await client.post("/v1/responses", json=body)
    assert resp.status_code == 200
    last = _last_data(resp.text)
    assert last.get("type") in ("error", "response.failed"), resp.text[-400:]


async def test_bedrock_stream_cut_reaches_openai_client_as_error(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.fault_next("die-after:2")
    body = {"model": "claude-via-bedrock", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    resp = await client.post("/v1/chat/completions", json=body)
    assert resp.status_code == 200
    assert "error" in _last_data(resp.text)


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


async def _relay(fmt: Format, *chunks: bytes, sse: bool = True) -> bytes:
    response = httpx.Response(200, stream=_Chunks(*chunks))
    return b"".join([c async for c in passthrough_stream(response, fmt, "p", sse=sse)])


async def test_passthrough_completion_markers_per_format() -> None:
    # Gemini array streams are complete when the array closes; cut short, the array is closed with an error.
    whole = b'[{"candidates": []}\r\n,\r\n{"candidates": [{"finishReason": "STOP"}]}]'
    assert await _relay(Format.GEMINI, whole[:20], whole[20:], sse=False) == whole
    cut = await _relay(Format.GEMINI, whole[:20], sse=False)
    assert orjson.loads(cut)[-1]["error"]["code"] == 502
    # Gemini SSE: the finishReason may be far from the end (usage and ids follow it).
    last = (
        b'data: {"candidates": [{"finishReason": "STOP"}], "usageMetadata": {"x": "'
        + b"y" * 600
        + b'"}}\r\n\r\n'
    )
    assert await _relay(Format.GEMINI, last) == last
    assert b'"error"' in await _relay(Format.GEMINI, b'data: {"candidates": []}\r\n\r\n')
    # Responses: the terminal event carries the whole response, the marker split across chunks.
    done = (
        b'event: response.completed\ndata: {"type":"response.completed","response":{"output":"' + b"z" * 900
    )
    done += b'"}}\n\n'
    assert await _relay(Format.OPENAI_RESPONSES, done[:40], done[40:]) == done
    truncated = await _relay(
        Format.OPENAI_RESPONSES, b'event: response.created\ndata: {"type":"response.created"}\n\n'
    )
    assert b"event: error" in truncated
