"""Relaying upstream SSE to the client as it arrives, passthrough or translated.

Each generator owns the upstream response: it closes it on every exit, including
the client disconnecting (Quart cancels the handler task, the CancelledError
arrives at the ``async for`` and the ``finally`` closes the upstream connection,
so the upstream sees its connection end and nothing is left running).

A failure after the first byte cannot change the status any more, so it becomes
the client format's stream error event; an upstream that ends without its
terminal event is reported the same way, never as a silent truncation.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import orjson

from interlingua.errors import GatewayError, InternalError, UpstreamUnavailable
from interlingua.server.upstream import TRANSPORT_ERRORS, classify
from interlingua.streams.sse import SSEParser
from interlingua.translate import Format, StreamTranslator, render_error, render_stream_error

__all__ = ["SSE_HEADERS", "passthrough_stream", "sse_to_json_array", "translated_stream"]

log = logging.getLogger("interlingua.server")

SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no"}

# What a complete stream contains, per format: OpenAI chat and Anthropic end with their
# marker (checked on the last bytes seen); Gemini's last chunk carries a finishReason and
# Responses' terminal event a whole response, so those markers are looked for anywhere
# (as JSON keys/values: quotes inside generated text are escaped, so text cannot fake them).
_TERMINAL = {
    Format.OPENAI_CHAT: (b"[DONE]",),
    Format.ANTHROPIC_MESSAGES: (b"message_stop", b"event: error"),
}
_TERMINAL_ANYWHERE = {
    Format.GEMINI: (b'"finishReason"',),
    Format.OPENAI_RESPONSES: (
        b'"response.completed"',
        b'"response.incomplete"',
        b'"response.failed"',
        b"event: error",
        b'"type":"error"',
    ),
}
_TAIL = 256
# Binary stream framings (Bedrock's AWS event stream), where no SSE error frame fits.
_BINARY = frozenset({Format.BEDROCK_CONVERSE})


def _ended_early() -> GatewayError:
    return UpstreamUnavailable("the upstream stream ended before its final event")


class _Completion:
    """Whether the bytes seen so far hold the format's terminal marker."""

    __slots__ = ("_anywhere", "_marks", "done", "tail")

    def __init__(self, fmt: Format, sse: bool) -> None:
        self._anywhere = fmt in _TERMINAL_ANYWHERE
        # A Gemini JSON-array stream is complete when the array is closed.
        self._marks = _TERMINAL_ANYWHERE.get(fmt) or _TERMINAL.get(fmt, ()) if sse else ()
        self.done = not self._marks and sse
        self.tail = b""

    def see(self, chunk: bytes) -> None:
        window = self.tail + chunk if len(chunk) < _TAIL else self.tail[-32:] + chunk
        self.tail = window[-_TAIL:]
        if self._anywhere and not self.done:
            self.done = any(mark in window for mark in self._marks)

    def complete(self) -> bool:
        if not self._marks:
            return self.done or self.tail.rstrip().endswith(b"]")
        return self.done or (not self._anywhere and any(mark in self.tail for mark in self._marks))


async def passthrough_stream(
    response: httpx.Response, fmt: Format, provider: str, *, sse: bool = True
) -> AsyncIterator[bytes]:
    """The upstream's bytes unchanged; an error event if it fails or stops short.

    ``sse=False``: a Gemini JSON-array stream; a failure closes the array with an error element.
    """
    seen = _Completion(fmt, sse)
    started = False
    try:
        async for chunk in response.aiter_raw():
            seen.see(chunk)
            started = started or bool(chunk.strip())
            yield chunk
        if not seen.complete():
            yield _stream_error(_ended_early(), fmt, sse, started)
    except TRANSPORT_ERRORS as exc:
        err = classify(exc, provider)
        log.warning("upstream %s failed mid-stream: %s", provider, err.message)
        if fmt in _BINARY:
            # No text error frame fits a binary stream: cut the connection, which the
            # client's event-stream reader reports, rather than end it cleanly.
            raise err from None
        yield _stream_error(err, fmt, sse, started)
    finally:
        await response.aclose()


def _stream_error(err: GatewayError, fmt: Format, sse: bool, started: bool) -> bytes:
    if fmt in _BINARY:
        return b""
    if sse:
        return render_stream_error(err, fmt)
    element = orjson.dumps(render_error(err, fmt))
    return (b",\r\n" if started else b"[") + element + b"]"


async def sse_to_json_array(events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """SSE frames (``data: {...}``) re-framed as the elements of one JSON array, as
    Gemini's ``streamGenerateContent`` without ``?alt=sse`` sends them; still incremental."""
    parser = SSEParser()
    first = True
    async for chunk in events:
        out = bytearray()
        for _, data in parser.feed(chunk):
            out += (b"[" if first else b",\r\n") + data
            first = False
        if out:
            yield bytes(out)
    tail = bytearray()
    for _, data in parser.finish():
        tail += (b"[" if first else b",\r\n") + data
        first = False
    yield bytes(tail) + (b"[]" if first else b"]")


async def translated_stream(
    response: httpx.Response, translator: StreamTranslator, provider: str
) -> AsyncIterator[bytes]:
    """Each upstream chunk translated as soon as it arrives."""
    try:
        async for chunk in response.aiter_raw():
            out = translator.feed(chunk)
            if out:
                yield out
        yield translator.finish()
    except TRANSPORT_ERRORS as exc:
        err = classify(exc, provider)
        log.warning("upstream %s failed mid-stream: %s", provider, err.message)
        yield translator.fail(err)
    except GatewayError as err:
        yield translator.fail(err)
    except Exception:
        log.exception("stream translation failed (provider %s)", provider)
        yield translator.fail(InternalError("the gateway failed to translate the upstream stream"))
    finally:
        await response.aclose()
