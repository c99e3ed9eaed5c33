"""Streams of the new formats that fail or stop short: the client gets its own format's
error (an SSE error event, or for Gemini's JSON-array streams a closing error element),
never a silent truncation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from server_helpers import GEMINI_BODY, formats_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway
from interlingua.streams.tap import StreamTap
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


def _complete(fmt: Format, *chunks: bytes, sse: bool = True) -> bool:
    tap = StreamTap(fmt, sse=sse)
    for chunk in chunks:
        tap.feed(chunk)
    tap.finish()
    return tap.complete


def test_passthrough_completion_per_format() -> None:
    """Passthrough streams are judged complete by the format's own decoder, not byte markers."""
    # Gemini array streams are complete when the last element had a finish reason.
    whole = b'[{"candidates": []}\r\n,\r\n{"candidates": [{"finishReason": "STOP"}]}]'
    assert _complete(Format.GEMINI, whole[:20], whole[20:], sse=False)
    assert not _complete(Format.GEMINI, whole[:20], sse=False)
    # Gemini SSE: the finishReason may be far from the end (usage and ids follow it).
    last = (
        b'data: {"candidates": [{"finishReason": "STOP"}], "usageMetadata": {"x": "'
        + b"y" * 600
        + b'"}}\r\n\r\n'
    )
    assert _complete(Format.GEMINI, last)
    assert not _complete(Format.GEMINI, b'data: {"candidates": []}\r\n\r\n')
    # Responses: the terminal event carries the whole response, split across chunks.
    done = b'event: response.completed\ndata: {"type":"response.completed","response":{"output":[' + b" " * 900
    done += b"]}}\n\n"
    assert _complete(Format.OPENAI_RESPONSES, done[:40], done[40:])
    assert not _complete(
        Format.OPENAI_RESPONSES, b'event: response.created\ndata: {"type":"response.created"}\n\n'
    )
    # The quotes of generated text cannot fake a terminal event.
    fake = b'data: {"choices":[{"index":0,"delta":{"content":"data: [DONE]"}}]}\n\n'
    assert not _complete(Format.OPENAI_CHAT, fake)
    assert _complete(Format.OPENAI_CHAT, fake, b"data: [DONE]\n\n")
