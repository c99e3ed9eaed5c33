"""Holding a streamed answer back until its first event, so failover stays invisible.

An upstream may accept a stream (HTTP 200) and then fail before sending anything useful:
the connection drops, or the first event is an in-band error (Anthropic's
``overloaded_error``, an OpenAI ``{"error": ...}`` chunk, Responses' ``error`` event). Until
the first complete SSE event has arrived, nothing has gone to the client, so such a
failure is still retried on the next target. :func:`primed` reads up to that event and
gives back a response whose byte stream replays what was read, then continues live: the
relay code downstream sees an ordinary response.

A JSON-array (Gemini without ``alt=sse``) or binary (Bedrock event stream) answer is
committed on its first bytes: in-band errors there are not looked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson

from interlingua.errors import GatewayError, UpstreamUnavailable
from interlingua.server.upstream import TRANSPORT_ERRORS, classify
from interlingua.streams.errors import error_to_ir, gateway_error
from interlingua.streams.registry import load_spec
from interlingua.streams.sse import SSEParser
from interlingua.translate import Format

__all__ = ["primed", "raw_chunks"]

_PEEK_LIMIT = 256 * 1024  # bytes without a complete event: commit anyway
_LF, _CR = 10, 13  # int needles: ``in`` searches bytes for them with memchr (see streams.sse)
_SSE_FORMATS = frozenset(
    {Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES, Format.GEMINI}
)


class _Replay(httpx.AsyncByteStream):
    def __init__(self, head: bytes, rest: AsyncIterator[bytes], body: httpx.AsyncByteStream) -> None:
        self._head = head
        self._rest = rest  # the same iterator the head was read from (a stream is read once)
        self._body = body  # the transport's stream, which the rest comes from

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._head:
            yield self._head
        async for chunk in self._rest:
            yield chunk

    async def aclose(self) -> None:
        await self._body.aclose()


def raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """A streamed response's raw bytes. One :func:`primed` gave back is read from its replay
    directly: httpx's ``aiter_raw`` passes raw bytes through unchanged, at the price of one
    more async generator per chunk (its end-of-body close is the relay's ``finally``)."""
    stream = response.stream
    return stream.__aiter__() if isinstance(stream, _Replay) else response.aiter_raw()


async def primed(response: httpx.Response, fmt: Format, provider: str, *, sse: bool = True) -> httpx.Response:
    """``response`` (2xx, streamed) once its first event arrived; raises :class:`GatewayError`
    (the response closed) if it failed before that or its first event is an error."""
    head = bytearray()
    peek = sse and fmt in _SSE_FORMATS
    parser: SSEParser | None = None  # made only when the first read is not one plain event
    parsed = 0  # bytes of head the parser has seen
    # The transport's own stream, not aiter_raw() around it: the same bytes, one generator
    # less for every chunk of the stream (classify() needs no request on the exception).
    body = response.stream
    try:
        if not isinstance(body, httpx.AsyncByteStream):  # an AsyncClient's responses always are
            raise TypeError("a streamed upstream response has an async body")
        stream = body.__aiter__()
        async for chunk in stream:
            head += chunk
            if not peek:
                if head.strip():
                    break
                continue
            first = _plain_first_event(head) if parser is None else None
            if first is None:
                parser = parser or SSEParser()
                first, parsed = _first_event(parser, head, parsed)
            if first is not None:
                if first.find(b"error") >= 0:  # not ``in``, which raises and clears a TypeError (CPython 3.11)
                    _raise_inband_error(first, fmt)  # the common case needs no parse
                break
            if len(head) > _PEEK_LIMIT:
                break
        else:
            raise UpstreamUnavailable("the upstream stream ended before its first event", provider=provider)
    except TRANSPORT_ERRORS as exc:
        await response.aclose()
        raise classify(exc, provider) from None
    except BaseException:
        await response.aclose()
        raise
    # The same response, its body now the replay (aiter_raw was never called on it, and its
    # aclose closes the replay, which closes the transport's stream): no second response to build.
    response.stream = _Replay(bytes(head), stream, body)
    return response


def _first_event(parser: SSEParser, head: bytearray, parsed: int) -> tuple[bytes | None, int]:
    """The first event's data, if ``head`` holds it, and how much of ``head`` was parsed.

    Only up to the first blank line is parsed: the relay parses the rest anyway, and an
    upstream that sends its whole answer in one read would otherwise be parsed twice. Where
    the blank line falls only saves work; the parser is incremental, so any split is right.
    """
    while parsed < len(head):
        end = _event_end(head, parsed)
        for _, data in parser.feed(bytes(head[parsed:end])):
            if data:
                return data, end
        parsed = end
    return None, parsed


def _plain_first_event(head: bytearray) -> bytes | None:
    """The first event's data when ``head`` opens with a whole event of one ``data:`` line,
    after an ``event:`` line or not, in LF framing (as OpenAI, Anthropic, Gemini and
    Responses stream), read as the SSE parser would; None for anything else, which the
    parser then reads (CR line breaks, a comment or BOM first, several data lines, an empty
    data field, which is no event)."""
    end = head.find(b"\n\n")
    if end < 0:
        return None
    event = bytes(head[:end])
    if _CR in event:
        return None
    line = event[event.find(b"\n") + 1 :] if event[:6] == b"event:" else event
    if line[:5] != b"data:" or _LF in line:
        return None
    return (line[6:] if line[5:6] == b" " else line[5:]) or None


def _event_end(head: bytearray, start: int) -> int:
    """Just past the first blank line after ``start`` (the end of ``head`` without one). LF
    first, then CRLF and CR only before it: the common stream is scanned once."""
    end = head.find(b"\n\n", start)
    end = len(head) if end < 0 else end + 2
    for sep in (b"\r\n\r\n", b"\r\r"):
        found = head.find(sep, start, end)
        if found >= 0:
            end = found + len(sep)
    return end


def _raise_inband_error(data: bytes, fmt: Format) -> None:
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        return
    if not isinstance(body, dict) or not _is_error(body, fmt):
        return
    if fmt is Format.OPENAI_RESPONSES and isinstance(body.get("response"), dict):
        body = body["response"]  # response.failed carries the error inside the response
    err: GatewayError = gateway_error(error_to_ir(body, load_spec(fmt.value)))
    raise err


def _is_error(body: dict[str, object], fmt: Format) -> bool:
    if fmt is Format.ANTHROPIC_MESSAGES:
        return body.get("type") == "error"
    if fmt is Format.OPENAI_RESPONSES:
        return body.get("type") in ("error", "response.failed")
    return "error" in body
