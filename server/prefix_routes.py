"""Prefix routes: any request under a configured path prefix, forwarded untouched.

``routes: [{prefix: /openai-files, base_url: https://api.openai.com/v1}]`` sends
``POST /openai-files/files?purpose=batch`` to ``https://api.openai.com/v1/files?purpose=batch``:
method, query and body as sent. The longest matching prefix wins, on path-segment boundaries
(``/a`` serves ``/a`` and ``/a/b``, never ``/ab``). This is how an upstream API the
translator does not model (embeddings, files, batches) goes through the same gateway, with
its inbound keys (the edge, :mod:`interlingua.server.edge`, authenticates before it
matches a prefix) and in-flight limit.

Headers, both ways: hop-by-hop headers (``connection`` and what it names, ``keep-alive``,
``proxy-*``, ``te``, ``trailer``, ``transfer-encoding``, ``upgrade``) and ``host`` are
dropped; toward the upstream the client's credentials (``authorization``, ``x-api-key``,
``x-goog-api-key``, ``cookie``: they are the client's *gateway* key) are dropped and
``inject_headers`` set last (the upstream key goes there); toward the client ``set-cookie``
is dropped. Bodies stream both ways as they arrive (uploads and SSE alike); nothing is
buffered. A client that goes away closes the upstream request. Connect failures answer
502, timeouts 504, in the error envelope of the client the path suggests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import cast

import httpx
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope

from interlingua.errors import Overloaded
from interlingua.server.config.routes import PrefixRoute
from interlingua.server.errors import send_asgi_error
from interlingua.server.state import StateHolder
from interlingua.server.upstream import TRANSPORT_ERRORS, classify

__all__ = ["PrefixRoutes", "match_prefix"]

log = logging.getLogger("interlingua.server")

_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
_CLIENT_SECRETS = frozenset({b"authorization", b"x-api-key", b"x-goog-api-key", b"cookie"})
_UPSTREAM_SECRETS = frozenset({b"set-cookie", b"set-cookie2"})


def match_prefix(routes: Sequence[PrefixRoute], path: str) -> PrefixRoute | None:
    """The longest route prefix that ``path`` equals or continues with ``/``."""
    best: PrefixRoute | None = None
    for route in routes:
        p = route.prefix
        if (path == p or path.startswith(p + "/")) and (best is None or len(p) > len(best.prefix)):
            best = route
    return best


def _strip(headers: Iterable[tuple[bytes, bytes]], secrets: frozenset[bytes]) -> list[tuple[bytes, bytes]]:
    headers = list(headers)
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    return [
        (n, v)
        for n, v in headers
        if (low := n.lower()) not in _HOP and low not in secrets and low not in named
    ]


class _Upstream:
    """One prefix route's pooled client (httpx's own transport: it streams request bodies)."""

    def __init__(self, route: PrefixRoute) -> None:
        self.route = route
        t = route.timeouts
        connect, read = t.connect_ms / 1000, t.read_ms / 1000
        self.extensions = {"timeout": {"connect": connect, "read": read, "write": read, "pool": connect}}
        limits = httpx.Limits(
            max_connections=route.max_connections, max_keepalive_connections=route.max_connections
        )
        self.transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
        self.inject = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in route.inject_headers.items()]


class PrefixRoutes:
    """The prefix routes of the current config snapshot (a reload changes them at once),
    matched and served by the edge (:mod:`interlingua.server.edge`) before Quart sees the
    request. Each route's pool is made on first use and kept until serving stops. The
    in-flight limit (``server.max_inflight``) counts these requests with the API's."""

    def __init__(self, holder: StateHolder) -> None:
        self._holder = holder
        self._upstreams: dict[str, _Upstream] = {}

    def match(self, scope: Scope, routes: Sequence[PrefixRoute]) -> PrefixRoute | None:
        """The route of ``routes`` (the current snapshot's) serving this HTTP request, if any."""
        return match_prefix(routes, cast(HTTPScope, scope)["path"])

    async def serve(
        self, route: PrefixRoute, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        counter, limit = self._holder.services.inflight, self._holder.config.server.max_inflight
        if counter.now >= limit:
            err = Overloaded("the gateway is at its concurrency limit; retry shortly", retry_after="1")
            await send_asgi_error(err, scope, send)
            return
        counter.enter()
        try:
            await self._forward(self._upstream(route), cast(HTTPScope, scope), receive, send)
        finally:
            counter.leave()

    def _upstream(self, route: PrefixRoute) -> _Upstream:
        key = route.model_dump_json()  # a reload that changes the route gets a new pool
        upstream = self._upstreams.get(key)
        if upstream is None:
            upstream = self._upstreams[key] = _Upstream(route)
        return upstream

    async def aclose(self) -> None:
        """Close the connection pools (when serving stops; they are made on first use)."""
        upstreams, self._upstreams = self._upstreams, {}
        await asyncio.gather(*(u.transport.aclose() for u in upstreams.values()), return_exceptions=True)

    async def _forward(
        self, upstream: _Upstream, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        route = upstream.route
        url = route.base_url + scope["path"][len(route.prefix) :]
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        headers = _strip(scope["headers"], _CLIENT_SECRETS)
        injected = {name for name, _ in upstream.inject}
        headers = [(n, v) for n, v in headers if n.lower() not in injected] + upstream.inject
        disconnected = asyncio.Event()
        request = httpx.Request(
            scope["method"],
            url,
            headers=headers,
            content=_body(receive, disconnected),
            extensions=upstream.extensions,
        )
        try:
            response = await upstream.transport.handle_async_request(request)
        except TRANSPORT_ERRORS as exc:
            await send_asgi_error(classify(exc, route.prefix), scope, send)
            return
        try:
            await _relay(response, send, receive, disconnected)
        finally:
            await response.aclose()


async def _body(receive: ASGIReceiveCallable, disconnected: asyncio.Event) -> AsyncIterator[bytes]:
    """The client's body as it arrives."""
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            disconnected.set()
            return
        chunk = event.get("body", b"")
        if isinstance(chunk, bytes) and chunk:
            yield chunk
        if not event.get("more_body", False):
            return


async def _relay(
    response: httpx.Response,
    send: ASGISendCallable,
    receive: ASGIReceiveCallable,
    disconnected: asyncio.Event,
) -> None:
    """The upstream's answer, each chunk sent on as it arrives; a client that goes away (even
    while the upstream is silent) cancels it, and the caller closes the upstream request."""
    headers = _strip(response.headers.raw, _UPSTREAM_SECRETS)
    await send(
        {"type": "http.response.start", "status": response.status_code, "headers": headers, "trailers": False}
    )
    relay = asyncio.ensure_future(_chunks(response, send))
    watcher = asyncio.ensure_future(_watch(receive, disconnected))
    try:
        await asyncio.wait((relay, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (relay, watcher):
            task.cancel()
        await asyncio.gather(relay, watcher, return_exceptions=True)


async def _chunks(response: httpx.Response, send: ASGISendCallable) -> None:
    try:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except TRANSPORT_ERRORS as exc:
        # Headers are out: cutting the connection is the only honest signal left.
        log.warning("prefix route upstream failed mid-answer: %s", classify(exc).message)


async def _watch(receive: ASGIReceiveCallable, disconnected: asyncio.Event) -> None:
    if disconnected.is_set():
        return
    while (await receive())["type"] != "http.disconnect":
        pass
    disconnected.set()
