"""The relay stage: an upstream's 2xx answer to the client, passthrough or translated,
plain or streamed, with usage, stop reason and first-byte time put on the context.

Streams are relayed as they arrive, never buffered whole. Each stream generator owns the
upstream response: it closes it on every exit, including the client disconnecting (Quart
cancels the handler task, the CancelledError arrives at the ``async for``, and the
``finally`` closes the upstream connection, so nothing is left running upstream), and
it accounts the request when the stream ends, with what was delivered.

Passthrough streams are observed by a :class:`~interlingua.streams.tap.StreamTap` (the
format's own decoder) for usage and completion. They are relayed up to the last complete
SSE event (whole event-stream frame, JSON-array element): a partial one is held back until
its end arrives, so when an upstream stops mid-event the gateway's "ended early" error event
starts on a fresh line instead of being glued onto the unfinished one. The tap's parse also
finds an event that is not JSON or a frame failing its checksum (``tap.failed``): the relay
stops before it. A failure after the first byte cannot change the status, so it becomes the
client format's stream error event (Bedrock: an exception frame), never a silent truncation.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from quart import Response
from werkzeug.datastructures import Headers

from interlingua.errors import GatewayError, InternalError, UpstreamError, UpstreamUnavailable
from interlingua.server.headers import OWN_RATE_LIMITS_KEY, response_headers
from interlingua.server.pipeline.account import UPSTREAM_RESPONSE_KEY, account, outcome_of
from interlingua.server.pipeline.context import Outcome, RequestContext
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.pipeline.response_id import HEAD_KEY
from interlingua.server.pipeline.stateful import (
    CLAIM_KEY,
    KEEP_KEY,
    claim_passthrough,
    claim_streamed,
    keep_response,
)
from interlingua.server.resilience.first_byte import raw_chunks
from interlingua.server.routing import Target
from interlingua.server.upstream import TRANSPORT_ERRORS, Upstream, classify, read_body
from interlingua.streams.sse import SSEParser
from interlingua.streams.tap import StreamTap
from interlingua.translate import (
    StreamTranslator,
    render_error,
    render_stream_error,
    response_summary,
    translate_response,
)

__all__ = ["DELIVERED_KEY", "SSE_HEADERS", "relay", "relayed_headers", "sse_to_json_array"]

log = logging.getLogger("interlingua.server")

SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no"}
EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
_EVENT_ENDS = (b"\n\n", b"\r\n\r\n", b"\r\r")
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_MALFORMED = "the upstream sent a malformed stream event"
# ctx.extras[DELIVERED_KEY], when a feature set it in admit: called with every chunk of
# generated output a stream sends its client (the limits feature charges a cut stream
# what was delivered).
DELIVERED_KEY = "delivered"


async def relay(
    ctx: RequestContext,
    call: ClientCall,
    target: Target,
    upstream: Upstream,
    resp: httpx.Response,
    *,
    strip_usage_chunk: bool = False,
) -> tuple[Response, bool]:
    """The client's response, and whether it is a stream (whose generator accounts the request).

    ``strip_usage_chunk``: the gateway asked an OpenAI upstream for stream usage the client
    did not ask for; the usage-only chunk is observed, then left out."""
    same = upstream.format is call.fmt
    if call.stream:
        if same:
            body = _passthrough_stream(ctx, call, upstream, resp, strip_usage_chunk)
            headers = SSE_HEADERS | dict(relayed_headers(resp, upstream, ctx))
            if call.sse and not call.surface.binary_stream:
                headers["content-type"] = SSE_HEADERS["content-type"]
        else:
            body = _translated_stream(ctx, call, target, upstream, resp)
            headers = dict(SSE_HEADERS)
            if call.surface.binary_stream:  # Bedrock clients: AWS event-stream frames
                headers["content-type"] = EVENTSTREAM_CONTENT_TYPE
            if not call.sse:
                body, headers["content-type"] = sse_to_json_array(body), "application/json"
        ctx.extras[UPSTREAM_RESPONSE_KEY] = resp  # closed by the generator, or by the guard if it never runs
        response = Response(body, status=200, headers=Headers(list(headers.items())))
        response.timeout = None  # streams last as long as the upstream keeps sending
        return response, True
    data = await read_body(resp, upstream.provider.name)
    _mark_first_byte(ctx)
    answer = _json_answer(data)  # a 2xx whose body is not JSON is a broken upstream, either way
    ctx.extras[HEAD_KEY] = answer
    if same:
        if ctx.operation == "generate":
            _observe_plain(ctx, answer, call, target)
            if CLAIM_KEY in ctx.extras:  # a Responses upstream's ids: whose they are
                await claim_passthrough(ctx, answer)
        relayed = Headers(relayed_headers(resp, upstream, ctx))
        return Response(data, status=resp.status_code, headers=relayed), False
    return await _translated_plain(ctx, answer, call, target, upstream), False


def relayed_headers(resp: httpx.Response, upstream: Upstream, ctx: RequestContext) -> list[tuple[str, str]]:
    """The upstream's headers a passthrough answer carries (rate limits only when the gateway
    shows none of its own for the request)."""
    headers = response_headers(resp.headers.raw, OWN_RATE_LIMITS_KEY not in ctx.extras)
    redact = upstream.redactor
    return [(name, redact.text(value)) for name, value in headers] if redact else headers


def _mark_first_byte(ctx: RequestContext, head: bytes | None = None) -> None:
    """``head``: a stream's first upstream bytes, kept for :func:`.response_id.response_id`."""
    if ctx.timings.first_byte is None:
        ctx.timings.first_byte = time.perf_counter()
        if head is not None:
            ctx.extras[HEAD_KEY] = head
        hooks = ctx.state.hooks
        if hooks.first_byte_hooks:
            hooks.first_byte(ctx)


def _json_answer(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise UpstreamError("the upstream answered with a body that is not JSON", status=502) from None


def _observe_plain(ctx: RequestContext, answer: Any, call: ClientCall, target: Target) -> None:
    usage, stop_reason = response_summary(answer, source=call.fmt, policy=target.policy)
    ctx.usage.update(usage)
    ctx.finish_reason = stop_reason


async def _translated_plain(
    ctx: RequestContext, answer: Any, call: ClientCall, target: Target, upstream: Upstream
) -> Response:
    result = translate_response(
        answer, source=upstream.format, target=call.fmt, policy=target.policy, model=call.model,
        request=call.translation_body,
    )
    ctx.usage.update(result.usage)
    ctx.finish_reason = result.stop_reason
    ctx.warnings.extend(result.warnings)
    await keep_response(ctx, result.body)
    return Response(orjson.dumps(result.body), status=200, headers={"content-type": "application/json"})


async def _passthrough_stream(
    ctx: RequestContext, call: ClientCall, upstream: Upstream, resp: httpx.Response, strip_usage: bool
) -> AsyncIterator[bytes]:
    ctx.extras.pop(UPSTREAM_RESPONSE_KEY, None)
    tap = StreamTap(call.fmt, sse=call.sse)
    held = b""  # an SSE event, event-stream frame or JSON-array element not yet complete
    hold = call.sse and not call.surface.binary_stream
    started = False
    outcome: Outcome = Outcome.CANCELLED
    error: GatewayError | None = None
    delivered = ctx.extras.get(DELIVERED_KEY)
    try:
        async for chunk in raw_chunks(resp):
            failed = tap.feed(chunk)
            if hold:  # a chunk of whole LF-framed events (the common one) needs no split (no call)
                whole = not held and chunk.endswith(b"\n\n")
                chunk, held = (chunk, held) if whole else _split_at_event_end(held + chunk)
                if strip_usage and chunk.find(b'"usage"') >= 0:
                    chunk = _without_usage_chunks(chunk)
            else:  # event-stream frames or JSON-array elements: the tap's parser counts the rest
                chunk, held = _split_at_pending(held + chunk, tap.pending)
            if failed:  # the tap's own parse found a malformed event or frame: end there
                error, outcome = UpstreamError(_MALFORMED, status=502), Outcome.INCOMPLETE
                yield _malformed_end(chunk, error, call, started)
                return
            if chunk:
                started = started or _first_chunk(ctx, chunk)
                if CLAIM_KEY in ctx.extras and tap.complete:  # recorded before the last event leaves
                    await claim_streamed(ctx, chunk)
                yield chunk
                if delivered is not None:  # after the yield: the chunk went out
                    delivered(chunk)
        tap.finish()
        if tap.complete:
            if held:
                await claim_streamed(ctx, held)
                yield held
            outcome = Outcome.OK
        else:
            error = UpstreamUnavailable("the upstream stream ended before its final event")
            outcome = Outcome.INCOMPLETE
            yield _stream_error(error, call, started)
    except TRANSPORT_ERRORS as exc:
        failure = classify(exc, upstream.provider.name)
        error, outcome = failure, Outcome.INCOMPLETE
        log.warning(
            "request %s: upstream %s failed mid-stream: %s", ctx.request_id, upstream.provider.name, failure.message
        )
        yield _stream_error(failure, call, started)
    finally:
        await resp.aclose()
        if ctx.operation == "generate":  # a stored response replayed cost nothing now
            ctx.usage.update(tap.usage)
            ctx.finish_reason = tap.stop_reason
        await account(ctx, outcome, 200, error)


def _first_chunk(ctx: RequestContext, chunk: bytes) -> bool:
    """Until the stream has started: marks the first byte; whether ``chunk`` starts it (not
    only whitespace). Called per chunk only until then."""
    _mark_first_byte(ctx, chunk)
    return not chunk.isspace()


def _malformed_end(chunk: bytes, error: GatewayError, call: ClientCall, started: bool) -> bytes:
    """What a stream the tap found malformed ends with: the whole events of ``chunk`` before
    the bad one, then the client format's stream error. A bad frame is in the tap's pending
    bytes, so ``chunk`` is whole; a bad SSE event or array element is not: the events before
    it are found again, array elements dropped."""
    binary = call.surface.binary_stream
    chunk = _intact_events(chunk) if call.sse and not binary else chunk if binary else b""
    return chunk + _stream_error(error, call, started or bool(chunk.strip()))


def _split_at_event_end(data: bytes) -> tuple[bytes, bytes]:
    """(complete SSE events, the unfinished rest). The relay calls it only for a chunk that
    does not end with a LF-framed event's end."""
    end = max(data.rfind(mark) + len(mark) if data.rfind(mark) >= 0 else 0 for mark in _EVENT_ENDS)
    return data[:end], data[end:]


def _split_at_pending(data: bytes, pending: int) -> tuple[bytes, bytes]:
    """(whole event-stream frames or JSON-array elements, the rest): the tap's parser
    counted the rest."""
    end = max(len(data) - pending, 0)
    return data[:end], data[end:]


def _intact_events(events: bytes) -> bytes:
    """The complete SSE ``events`` before the first whose data is not a JSON object (or a
    ``[DONE]``). Only a stream the tap found malformed comes here, so only such a stream
    pays for this second look."""
    end = 0
    for mark in _EVENT_END.finditer(events):
        for _, data in SSEParser().feed(events[end : mark.end()]):
            if data.strip() != b"[DONE]" and not _json_object(data):
                return events[:end]
        end = mark.end()
    return events[:end]


def _json_object(data: bytes) -> bool:
    try:
        return type(orjson.loads(data)) is dict
    except orjson.JSONDecodeError:
        return False


def _without_usage_chunks(events: bytes) -> bytes:
    """Complete OpenAI chat SSE ``events`` minus the usage-only chunk (``choices: []`` with a
    usage), in any SSE framing (LF, CRLF or CR line ends, data over several lines); every
    other byte is kept as the upstream sent it."""
    kept: list[bytes] = []
    start = 0
    for mark in _EVENT_END.finditer(events):
        if not _usage_only(events[start : mark.start()]):
            kept.append(events[start : mark.end()])
        start = mark.end()
    kept.append(events[start:])
    return b"".join(kept)


def _usage_only(event: bytes) -> bool:
    if event.find(b'"usage"') < 0 or event.find(b'"usage":null') >= 0:
        return False
    parsed = SSEParser().feed(event + b"\n\n")  # rare: one event per stream gets here
    if len(parsed) != 1:
        return False
    try:
        chunk = orjson.loads(parsed[0][1])
    except orjson.JSONDecodeError:
        return False
    return type(chunk) is dict and chunk.get("choices") == [] and type(chunk.get("usage")) is dict


def _stream_error(err: GatewayError, call: ClientCall, started: bool) -> bytes:
    if call.sse or call.surface.binary_stream:  # Bedrock: an exception frame, raised by boto3
        return render_stream_error(err, call.fmt)
    element = orjson.dumps(render_error(err, call.fmt))
    return (b",\r\n" if started else b"[") + element + b"]"


async def _translated_stream(
    ctx: RequestContext, call: ClientCall, target: Target, upstream: Upstream, resp: httpx.Response
) -> AsyncIterator[bytes]:
    """Each upstream chunk translated as soon as it arrives."""
    ctx.extras.pop(UPSTREAM_RESPONSE_KEY, None)
    translator = StreamTranslator(
        source=upstream.format,
        target=call.fmt,
        policy=target.policy,
        model=call.model,
        include_usage=call.surface.stream_usage_wanted(call.body),
        request=call.translation_body,
    )
    outcome: Outcome = Outcome.CANCELLED
    error: GatewayError | None = None
    delivered = ctx.extras.get(DELIVERED_KEY)
    try:
        try:
            keeps = KEEP_KEY in ctx.extras  # a Responses object to store (once): most requests have none
            async for chunk in raw_chunks(resp):
                out = translator.feed(chunk)
                if out:
                    if keeps and translator.done:  # the terminal event: kept before the client sees it
                        await keep_response(ctx, translator.final)
                    if ctx.timings.first_byte is None:
                        _mark_first_byte(ctx, chunk)
                    yield out
                    if delivered is not None:  # after the yield: the chunk went out
                        delivered(out)
            out = translator.finish()
            if keeps:
                await keep_response(ctx, translator.final)
            if out:  # nothing to send: an empty body chunk would still cost a round through the ASGI stack
                yield out
            outcome = Outcome.OK if translator.stop_reason is not None else Outcome.INCOMPLETE
        except TRANSPORT_ERRORS as exc:
            error = classify(exc, upstream.provider.name)
            log.warning(
                "request %s: upstream %s failed mid-stream: %s", ctx.request_id, upstream.provider.name, error.message
            )
            outcome = Outcome.INCOMPLETE
            yield translator.fail(error)
        except GatewayError as err:
            error, outcome = err, outcome_of(err)
            yield translator.fail(err)
        except Exception:
            log.exception("request %s: stream translation failed (provider %s)", ctx.request_id, upstream.provider.name)
            error, outcome = InternalError("the gateway failed to translate the upstream stream"), Outcome.GATEWAY_ERROR
            yield translator.fail(error)
    finally:
        await resp.aclose()
        ctx.usage.update(translator.usage)
        ctx.finish_reason = translator.stop_reason
        await account(ctx, outcome, 200, error)


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
