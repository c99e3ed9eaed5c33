"""How the fake upstream sends an answer: the model's (plain JSON or a stream of events), an
error in the provider's envelope, or what a fault of :mod:`.faults` puts in their place.

Kept apart from :mod:`.server` (routes, recording, lifecycle) so that each fault mode is one
small function here and the spec in ``faults.py``; every format gets every fault for free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from interlingua.server.fake_upstream.faults import HUGE_ERROR_BYTES, Fault
from interlingua.server.fake_upstream.record import ReceivedRequest
from interlingua.server.fake_upstream.wire import STREAM_CONTENT_TYPES, error_envelope, stream_error
from interlingua.streams.eventstream import encode_event

__all__ = ["error_response", "plain_response", "replaced_answer", "stream_response"]

_CREDENTIAL_HEADERS = ("x-api-key", "x-goog-api-key", "api-key", "authorization")
_HTML = "<html><head><title>{0}</title></head><body><h1>{0} Server Error</h1><hr>nginx</body></html>"
# A data line that is not JSON, and a Bedrock frame whose message checksum is wrong.
_GARBAGE_SSE = b'data: {"choices": [ this is not JSON\n\n'
_GOOD_FRAME = encode_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "x"}})
_GARBAGE_FRAME = _GOOD_FRAME[:-1] + bytes([_GOOD_FRAME[-1] ^ 0xFF])


def credential(headers: Mapping[str, str]) -> str:
    """The credential a request carried (the key, or Bedrock's whole SigV4 header)."""
    for name in _CREDENTIAL_HEADERS:
        value = headers.get(name)
        if value:
            return value.removeprefix("Bearer ")
    return ""


def error_response(
    rec: ReceivedRequest, fmt: str, status: int, message: str, fault: Fault, param: str | None = None
) -> web.Response:
    """``status`` with the provider's error envelope (and its request-id and retry headers)."""
    rec.status = status
    body, headers = error_envelope(fmt, status, message, param, fault.retry_after)
    if fault.echo_key:
        headers["x-ratelimit-limit-requests"] = credential(rec.headers)
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def _text_error(
    rec: ReceivedRequest, status: int, text: str, content_type: str, fault: Fault
) -> web.Response:
    rec.status = status
    headers = {"x-ratelimit-limit-requests": credential(rec.headers)} if fault.echo_key else {}
    return web.Response(status=status, text=text, content_type=content_type, headers=headers)


def _error_message(rec: ReceivedRequest, fault: Fault, default: str) -> str:
    if fault.echo_key:
        return (
            f"Incorrect API key provided: {credential(rec.headers)}. You can find your key in the dashboard."
        )
    return fault.message or default


def replaced_answer(rec: ReceivedRequest, fault: Fault, fmt: str, base_url: str) -> web.Response | None:
    """What a fault answers in place of the model, or None when the model answers."""
    if fault.status is not None:
        message = _error_message(rec, fault, f"Fake upstream fault: status {fault.status}.")
        return error_response(rec, fmt, fault.status, message, fault)
    if fault.huge_error is not None:
        message = "Fake upstream fault: a huge error. " + "x" * HUGE_ERROR_BYTES
        return error_response(rec, fmt, fault.huge_error, message, fault)
    if fault.raw_error is not None:
        text = _error_message(rec, fault, "upstream exploded (fake, not JSON)")
        return _text_error(rec, fault.raw_error, text, "text/plain", fault)
    if fault.html_error is not None:
        page = _HTML.format(fault.html_error)
        if fault.echo_key:
            page += f"<!-- {credential(rec.headers)} -->"
        return _text_error(rec, fault.html_error, page, "text/html", fault)
    if fault.redirect is not None:
        rec.status = fault.redirect
        return web.Response(status=fault.redirect, headers={"location": f"{base_url}/moved{rec.path}"})
    if fault.bad_json:
        rec.status = 200
        return web.Response(body=b'{"id": "fake", "choices": [{"index": 0,', content_type="application/json")
    return None


def plain_response(rec: ReceivedRequest, fault: Fault, result: Any) -> web.Response:
    """A JSON answer (a tuple is a JSON array: Gemini's stream without ``alt=sse``)."""
    rec.status = 200
    data = list(result) if isinstance(result, tuple) else result
    if fault.huge_body and isinstance(data, dict):
        data = {**data, "padding": "x" * fault.huge_body}
    return web.Response(body=orjson.dumps(data), content_type="application/json")


async def stream_response(
    request: web.Request, rec: ReceivedRequest, fault: Fault, fmt: str, events: list[bytes], pace_s: float
) -> web.StreamResponse:
    """The events in order, paced, until the fault's cut (if any)."""
    kind = STREAM_CONTENT_TYPES.get(fmt, "text/event-stream; charset=utf-8")
    resp = web.StreamResponse(headers={"content-type": kind, "cache-control": "no-cache"})
    cut = fault.cut_at()
    if cut == 0:
        await cut_before_headers(request, rec, fault)
    await resp.prepare(request)
    rec.status = 200
    burst = bytearray()  # ``burst``: the events and the cut's bytes go out in one write
    for n, event in enumerate(events):
        if n == cut:
            if burst and rec.events_sent in (fault.stall_after, fault.die_after):
                await resp.write(bytes(burst))  # what came before a stall or reset arrives
                burst.clear()
            burst += await _cut(request, rec, fault, fmt, event)
            break
        if pace_s and n:
            await asyncio.sleep(pace_s)
        if fault.burst:
            burst += event
        else:
            await resp.write(event)
        rec.events_sent += 1
    if burst:
        await resp.write(bytes(burst))
    await resp.write_eof()
    return resp


async def cut_before_headers(request: web.Request, rec: ReceivedRequest, fault: Fault) -> None:
    """``stall-after:0`` / ``die-after:0``: nothing at all, not even the status line."""
    if fault.stall_after == 0:
        await asyncio.Event().wait()  # until the client goes away (handler cancelled)
    if fault.die_after == 0:
        _reset(request, rec)


def _reset(request: web.Request, rec: ReceivedRequest) -> None:
    rec.dropped = True
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError  # nothing more to send; aiohttp logs nothing for it


async def _cut(request: web.Request, rec: ReceivedRequest, fault: Fault, fmt: str, event: bytes) -> bytes:
    """At the cut: stall or reset, or the last bytes to write (an error event, half an event,
    garbage)."""
    if fault.stall_after == rec.events_sent:
        await asyncio.Event().wait()
    if fault.die_after == rec.events_sent:
        _reset(request, rec)
    if fault.truncate_after == rec.events_sent:
        half = event[: max(len(event) // 2, 1)].rstrip(b"\r\n")
        return half or event[:1]
    if fault.garbage_after == rec.events_sent:
        return _GARBAGE_FRAME if fmt == "bedrock" else _GARBAGE_SSE
    message = fault.message or "Overloaded (fake upstream error-after)."
    return stream_error(fmt, message, rec.events_sent)
