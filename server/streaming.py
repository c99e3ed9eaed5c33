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

from interlingua.errors import GatewayError, InternalError, UpstreamUnavailable
from interlingua.server.upstream import TRANSPORT_ERRORS, classify
from interlingua.translate import Format, StreamTranslator, render_stream_error

__all__ = ["SSE_HEADERS", "passthrough_stream", "translated_stream"]

log = logging.getLogger("interlingua.server")

SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no"}

# What a complete stream ends with, per format (checked on the last bytes seen).
_TERMINAL = {
    Format.OPENAI_CHAT: (b"[DONE]",),
    Format.ANTHROPIC_MESSAGES: (b"message_stop", b"event: error"),
}
_TAIL = 256


def _ended_early() -> GatewayError:
    return UpstreamUnavailable("the upstream stream ended before its final event")


async def passthrough_stream(response: httpx.Response, fmt: Format, provider: str) -> AsyncIterator[bytes]:
    """The upstream's bytes unchanged; an error event if it fails or stops short."""
    tail = b""
    try:
        async for chunk in response.aiter_raw():
            tail = (tail + chunk)[-_TAIL:] if len(chunk) < _TAIL else chunk[-_TAIL:]
            yield chunk
        if not any(mark in tail for mark in _TERMINAL[fmt]):
            yield render_stream_error(_ended_early(), fmt)
    except TRANSPORT_ERRORS as exc:
        err = classify(exc, provider)
        log.warning("upstream %s failed mid-stream: %s", provider, err.message)
        yield render_stream_error(err, fmt)
    finally:
        await response.aclose()


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
