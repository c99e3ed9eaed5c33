"""The first-event hold-back: it parses only up to the first event, whatever the reads' split,
and a first read opening with one plain event is read without the SSE parser, as it would."""

from __future__ import annotations

import httpx
import pytest

from interlingua.errors import GatewayError
from interlingua.server.resilience.first_byte import _first_event, _plain_first_event, primed
from interlingua.streams.sse import SSEParser
from interlingua.translate import Format

EVENTS = b": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\r\n\r\n"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 16, len(EVENTS)])
def test_the_first_event_is_found_in_reads_split_anywhere(size: int) -> None:
    parser, head, parsed, first = SSEParser(), bytearray(), 0, None
    for i in range(0, len(EVENTS), size):
        head += EVENTS[i : i + size]
        first, parsed = _first_event(parser, head, parsed)
        if first is not None:
            break
    assert first == b'{"a":1}'
    if size == len(EVENTS):  # one read: the rest is left to the relay, not parsed twice
        assert parsed == EVENTS.index(b"data: {\"b\"")


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for chunk in self._chunks:
            yield chunk


async def test_the_held_back_bytes_are_replayed_whole() -> None:
    response = httpx.Response(200, stream=_Chunks([EVENTS[:20], EVENTS[20:]]))
    out = await primed(response, Format.OPENAI_CHAT, "p")
    assert b"".join([chunk async for chunk in out.aiter_raw()]) == EVENTS


async def test_an_error_as_the_first_event_fails_the_attempt_even_in_one_read() -> None:
    body = b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"busy"}}\n\n'
    response = httpx.Response(200, stream=_Chunks([body + b"data: {}\n\n"]))
    with pytest.raises(GatewayError):
        await primed(response, Format.ANTHROPIC_MESSAGES, "p")


_COMMON = [  # the shapes upstreams send: read without the parser
    b'data: {"a":1}\n\n',
    b'data:{"a":1}\n\ndata: {"b":2}\n\n',
    b'event: message_start\ndata: {"a":1}\n\nevent: ping\n',
    b"data:  two spaces\n\n",
]
_ODD = [  # left to the parser, which finds the same first event (or none yet)
    b'data: {"a":\ndata: 1}\n\n',
    b': ping\n\ndata: {"a":1}\n\n',
    b'\xef\xbb\xbfdata: {"a":1}\n\n',
    b'data: {"a":1}\r\n\r\n',
    b'data: {"a":1}\rdata: 2\n\n',
    b'data:\n\ndata: {"a":1}\n\n',
    b"event: x\n\ndata: 1\n\n",
    b'id: 1\ndata: {"a":1}\n\n',
    b'data: {"a":1}',
    b"event: a\nevent: b\ndata: 1\n\n",
    b"event: a\ndata: 1\ndata: 2\n\n",
]


@pytest.mark.parametrize("head", _COMMON + _ODD)
def test_the_plain_first_event_is_read_as_the_parser_reads_it(head: bytes) -> None:
    plain = _plain_first_event(bytearray(head))
    assert (plain is not None) == (head in _COMMON)
    if plain is not None:
        assert plain == next(data for _, data in SSEParser().feed(head) if data)


async def test_an_openai_error_chunk_as_the_first_event_fails_the_attempt_even_in_one_read() -> None:
    body = b'data: {"error":{"message":"overloaded","type":"server_error"}}\n\ndata: [DONE]\n\n'
    response = httpx.Response(200, stream=_Chunks([body]))
    with pytest.raises(GatewayError):
        await primed(response, Format.OPENAI_CHAT, "p")
