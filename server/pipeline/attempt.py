"""The attempt stage: the one function that calls an upstream and classifies its answer.

Every upstream call of the gateway (generation, count tokens; passthrough or translated;
plain or stream; the retrieve, input-items and delete calls forwarded to a Responses
upstream) goes through :func:`attempt`, so retries, failover, key rotation,
cooldowns and per-attempt telemetry have exactly one place to wrap.

Classification of the answer:

- 2xx: the response is returned with its body unread (the relay stage streams it).
- 3xx: the gateway does not follow upstream redirects (a redirect could point anywhere);
  502 in the client's envelope.
- 4xx/5xx: the error body is read (at most 1 MiB) and parsed into a
  :class:`~interlingua.errors.GatewayError` (status, kind, retryable, retry-after kept);
  a client of the upstream's own format gets the upstream's JSON body verbatim when it
  arrived whole and is a JSON object. Upstream secrets are redacted from both.
- transport failure (connect, timeout, reset): the classified gateway error (502/504).
- a stream (2xx) is held until its first event arrived
  (:func:`~interlingua.server.resilience.first_byte.primed`): an upstream that drops it or
  opens with an in-band error before that fails the attempt, which can still fail over;
  ``outgoing.first_byte_s`` bounds the wait (504).

The walk over a route's targets (balancing, failover, retries, key pools, cooldowns) is
:mod:`interlingua.server.pipeline.failover`; each of its attempts is one call here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Iterable
from typing import Any

import httpx
import orjson

from interlingua.errors import GatewayError, UpstreamError, UpstreamTimeout
from interlingua.server.errors import UpstreamRefused
from interlingua.server.headers import response_headers
from interlingua.server.pipeline.context import Attempt, AttemptOutcome, RequestContext
from interlingua.server.resilience.first_byte import primed
from interlingua.server.resilience.verdict import Verdict, verdict_for
from interlingua.server.routing import Target
from interlingua.server.upstream import TRANSPORT_ERRORS, Upstream, classify
from interlingua.translate import parse_error

__all__ = ["MAX_ERROR_BODY", "Outgoing", "attempt"]

log = logging.getLogger("interlingua.server")

MAX_ERROR_BODY = 1 << 20
# What the failover walk does after a failed attempt: a rested key means the same target
# again with its next key; a failed target (or an input too long for it) the next target.
_OUTCOMES = {
    Verdict.KEY_LIMITED: AttemptOutcome.RETRY,
    Verdict.KEY_REFUSED: AttemptOutcome.RETRY,
    Verdict.RETRY: AttemptOutcome.FAILOVER,
    Verdict.CONTEXT: AttemptOutcome.FAILOVER,
    Verdict.FINAL: AttemptOutcome.ERROR,
}


class Outgoing:
    """What one attempt sends: the operation, the body bytes and where the URL's parts come from.

    A body-less call (``GET``/``DELETE`` of a response a Responses upstream stored) is one
    made by :meth:`bodiless`: its method, its path under the provider's base URL and its query."""

    __slots__ = ("first_byte_s", "key", "method", "model", "op", "path", "payload", "query", "same_format", "sse", "stream")

    def __init__(
        self, op: str, payload: bytes, *, same_format: bool, model: str, stream: bool = False, sse: bool = True
    ) -> None:
        self.op = op
        self.payload = payload
        self.same_format = same_format
        self.model = model
        self.stream = stream
        self.sse = sse
        self.key = 0  # which key of the provider's pool (the failover walk sets it)
        self.first_byte_s: float | None = None  # a stream's first event must come within this
        self.method = "POST"
        self.path: str | None = None  # a body-less call's path (None: the adapter's URL for ``op``)
        self.query: list[tuple[str, str]] = []

    @classmethod
    def bodiless(cls, method: str, path: str, query: list[tuple[str, str]], *, key: int, stream: bool) -> Outgoing:
        """``method path?query`` under the provider's base URL, same format, with pool key ``key``."""
        out = cls(method.lower(), b"", same_format=True, model="", stream=stream)
        out.method, out.path, out.query, out.key = method, path, query, key
        return out


async def attempt(
    ctx: RequestContext,
    target: Target,
    upstream: Upstream,
    outgoing: Outgoing,
    client_headers: Iterable[tuple[bytes, bytes]],
) -> httpx.Response:
    """Call ``upstream`` once (with key ``outgoing.key`` of its pool); the 2xx response (body
    unread; a stream's first event read and replayable) or a raised GatewayError."""
    current = Attempt(target, len(ctx.attempts) + 1, outgoing.key)
    ctx.attempts.append(current)
    hooks = ctx.state.hooks
    if hooks.before_attempt_hooks:
        await hooks.before_attempt(ctx, current)
        ctx.timings.upstream_sent = time.perf_counter()
    else:  # nothing runs in between: the request goes out as the attempt starts (one clock read)
        ctx.timings.upstream_sent = current.started
    try:
        first_byte_s = outgoing.first_byte_s
        if first_byte_s is None:
            resp = await _call(current, upstream, outgoing, client_headers)
        else:
            try:
                async with asyncio.timeout(first_byte_s):
                    resp = await _call(current, upstream, outgoing, client_headers)
            except TimeoutError:
                waited = round(first_byte_s * 1000)
                raise UpstreamTimeout(f"no first event from the upstream within {waited} ms") from None
    except GatewayError as err:
        current.error, current.ended = err, time.perf_counter()
        current.outcome = _OUTCOMES[verdict_for(err)]
        if hooks.after_attempt_hooks:
            await hooks.after_attempt(ctx, current)
        raise
    current.outcome = AttemptOutcome.OK
    ctx.upstream_format = upstream.format
    if hooks.after_attempt_hooks:
        await hooks.after_attempt(ctx, current)
    return resp


async def _call(
    current: Attempt,
    upstream: Upstream,
    outgoing: Outgoing,
    client_headers: Iterable[tuple[bytes, bytes]],
) -> httpx.Response:
    resp = await _send(upstream, outgoing, client_headers)
    current.status = resp.status_code
    if resp.status_code >= 300:
        raise await _refusal(resp, upstream)
    if outgoing.stream:
        resp = await primed(resp, upstream.format, upstream.provider.name, sse=outgoing.sse)
    return resp


def _send(
    upstream: Upstream, outgoing: Outgoing, client_headers: Iterable[tuple[bytes, bytes]]
) -> Coroutine[Any, Any, httpx.Response]:
    # Hands back the upstream's coroutine rather than awaiting it in one of its own: a frame
    # less to resume while the upstream thinks.
    if outgoing.path is not None:
        return upstream.call(outgoing.method, outgoing.path, outgoing.query, client_headers, key=outgoing.key)
    return upstream.send(
        outgoing.op,
        outgoing.payload,
        client_headers,
        same_format=outgoing.same_format,
        model=outgoing.model,
        stream=outgoing.stream,
        sse=outgoing.sse,
        key=outgoing.key,
    )


async def _refusal(resp: httpx.Response, upstream: Upstream) -> GatewayError:
    """The error for a non-2xx answer (the response is closed here)."""
    status = resp.status_code
    if status < 400:
        await resp.aclose()
        return UpstreamError(
            f"the upstream answered with a redirect (HTTP {status}), which the gateway does not follow",
            status=502,
            kind="api_error",
            provider=upstream.provider.name,
        )
    try:
        data, whole = await _read_limited(resp)
    except TRANSPORT_ERRORS as exc:
        return classify(exc, upstream.provider.name)
    finally:
        await resp.aclose()
    redact = upstream.redactor
    data = redact.data(data)
    error = _parse(status, upstream.adapter.error_body(data, resp.headers), resp, upstream)
    error.message = redact.text(error.message)
    error.provider = upstream.provider.name
    headers = [(name, redact.text(value)) for name, value in response_headers(resp.headers.raw)]
    verbatim = data if whole and _json_object(resp, data) else None
    return UpstreamRefused(error, upstream.format, verbatim, headers)


def _parse(status: int, data: bytes, resp: httpx.Response, upstream: Upstream) -> GatewayError:
    retry_after = resp.headers.get("retry-after")
    try:
        return parse_error(status, data, source=upstream.format, retry_after=retry_after)
    except Exception:  # the error path must not fail: keep status and retry-after at least
        log.exception("parse_error failed for an upstream HTTP %s", status)
        return UpstreamError(f"the upstream answered HTTP {status}", status=status, retry_after=retry_after)


def _json_object(resp: httpx.Response, data: bytes) -> bool:
    """A whole JSON object, as a same-format client may be given verbatim."""
    if not resp.headers.get("content-type", "").startswith("application/json"):
        return False
    try:
        return type(orjson.loads(data)) is dict
    except orjson.JSONDecodeError:
        return False


async def _read_limited(resp: httpx.Response) -> tuple[bytes, bool]:
    """At most :data:`MAX_ERROR_BODY` bytes, and whether that was the whole body."""
    data = bytearray()
    async for chunk in resp.aiter_raw():
        data += chunk
        if len(data) > MAX_ERROR_BODY:
            return bytes(data[:MAX_ERROR_BODY]), False
    return bytes(data), True
