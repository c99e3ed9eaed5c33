"""A passthrough stream in any legal SSE framing, however the upstream's writes split it:
the client gets the upstream's bytes unchanged, and the request is accounted with the usage
(cache and reasoning tokens included), stop reason and first byte the tap read from them.

The upstream is a raw HTTP/1.1 server on 127.0.0.1 writing a canned OpenAI stream in given
pieces (one chunk of the chunked body each), so the relay and the tap see whole streams in
one read (as the bench's fast upstream sends them), events cut anywhere, CRLF framing,
comments and an event over two data lines. How the pieces coalesce into reads does not
matter to any assertion.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from server_helpers import Recorder
from wire_recorder import WireRecorder

from interlingua.server.app import create_app
from interlingua.server.config import Config
from interlingua.server.pipeline.context import Outcome
from interlingua.server.testing import running_app
from interlingua.streams.sse import SSEParser

_CHUNK = b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}],"usage":null}\n\n'
_END = (
    b'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}\n\n'
    b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,'
    b'"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}\n\n'
    b"data: [DONE]\n\n"
)
_STREAM = b"".join(_CHUNK % word for word in (b"a", b"b", b"c", b"d")) + _END
_ERROR = _CHUNK % b"a" + b'event: error\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n'


def _pieces(body: bytes, size: int) -> list[bytes]:
    return [body[at : at + size] for at in range(0, len(body), size)]


SHAPES = {
    "whole": [_STREAM],
    "events": [event + b"\n\n" for event in _STREAM.split(b"\n\n")[:-1]],
    "cut-anywhere": _pieces(_STREAM, 37),
    "crlf": [_STREAM.replace(b"\n", b"\r\n")],
    "crlf-cut": _pieces(_STREAM.replace(b"\n", b"\r\n"), 29),
    "comments": [b": keep-alive\n\n" + _STREAM.replace(b"\n\ndata: {", b"\n\n: ping\n\ndata: {")],
    "two-data-lines": [_STREAM.replace(b'data: {"id"', b'data: {\ndata: "id"')],
}


class _Upstream(WireRecorder):
    """Answers every request with ``pieces`` as the chunks of an SSE body."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[bytes] = []

    async def answer(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in self.pieces:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx.AsyncClient, Recorder, _Upstream]]:
    recorder = Recorder()
    async with _Upstream() as upstream:
        config = Config.model_validate(
            {
                "providers": [{"name": "up", "format": "openai_chat", "base_url": upstream.url + "/v1", "api_key": "k"}],
                "models": [{"name": "*", "provider": "up"}],
            }
        )
        async with (
            running_app(create_app(config, features=[recorder]), config) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            yield client, recorder, upstream


async def _call(client: httpx.AsyncClient) -> httpx.Response:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},  # the usage chunk is the client's too: relayed
    }
    return await client.post("/v1/chat/completions", json=body)


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_passthrough_stream_is_relayed_unchanged_and_accounted(
    served: tuple[httpx.AsyncClient, Recorder, _Upstream], shape: str
) -> None:
    client, recorder, upstream = served
    upstream.pieces = SHAPES[shape]
    resp = await _call(client)
    assert resp.status_code == 200, resp.text
    assert resp.content == b"".join(SHAPES[shape])
    ctx = await recorder.next_completed(1)
    assert ctx.outcome is Outcome.OK
    assert ctx.finish_reason == "max_tokens"
    assert ctx.timings.first_byte is not None
    usage = ctx.usage
    assert (usage.output_tokens, usage.cache_read_tokens, usage.reasoning_tokens) == (4, 3, 2)
    assert usage.input_tokens == 9  # IR input_tokens: the whole prompt, cache reads included


@pytest.mark.parametrize("size", [None, 23], ids=["whole", "cut-anywhere"])
async def test_passthrough_upstream_error_event_is_relayed_verbatim(
    served: tuple[httpx.AsyncClient, Recorder, _Upstream], size: int | None
) -> None:
    client, recorder, upstream = served
    upstream.pieces = [_ERROR] if size is None else _pieces(_ERROR, size)
    resp = await _call(client)
    assert resp.status_code == 200
    assert resp.content == _ERROR  # the upstream's own ending: nothing of the gateway's added
    ctx = await recorder.next_completed(1)
    assert ctx.finish_reason is None


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_usage_chunk_the_client_did_not_ask_for_is_removed_in_any_framing(
    served: tuple[httpx.AsyncClient, Recorder, _Upstream], shape: str
) -> None:
    """Without ``include_usage`` the gateway still asks the upstream for usage (to account
    it) and drops the usage-only chunk from what the client gets, however the events are
    framed or split; every other event reaches the client unchanged."""
    client, recorder, upstream = served
    upstream.pieces = SHAPES[shape]
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    resp = await client.post("/v1/chat/completions", json=body)
    assert resp.status_code == 200, resp.text
    sent = [data for _, data in SSEParser().feed(b"".join(SHAPES[shape]))]
    usage_only = [data for data in sent if b'"choices":[]' in data]
    assert len(usage_only) == 1
    assert [data for _, data in SSEParser().feed(resp.content)] == [d for d in sent if d not in usage_only]
    ctx = await recorder.next_completed(1)
    assert ctx.outcome is Outcome.OK
    assert (ctx.usage.output_tokens, ctx.usage.cache_read_tokens) == (4, 3)
