"""The aiohttp transport under every provider's httpx client (``server/upstream.py``).

:class:`PooledAiohttp` is httpx_aiohttp's transport with the read timeout kept by the
gateway (never aiohttp's ``sock_read``) and URLs sent as built; :meth:`PooledAiohttp.post`
is the gateway's own entry, without an ``httpx.Request``. :class:`TimedStream` is an
answer's body, every read bounded by the provider's ``read_ms``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Coroutine, Mapping
from contextvars import ContextVar
from typing import Any

import aiohttp
import httpx
import yarl
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import AiohttpResponseStream, map_aiohttp_exceptions

__all__ = ["PooledAiohttp", "TimedStream"]

_URL_CACHE_LIMIT = 1024


class PooledAiohttp(AiohttpTransport):
    """httpx_aiohttp's transport, with the read timeout kept by the gateway and the URL sent as built.

    Why not aiohttp's ``sock_read`` (issue 12, #5: a spurious 504 after large bodies):
    aiohttp arms that timer on the connection's protocol, and it can outlive the response.
    When a large body outruns its reader, aiohttp pauses the socket (flow control) and drops
    the timer; the end of the body drops it again and hands the connection back to the pool
    while the reader still drains the buffer. But that drain resumes reading, and
    ``ResponseHandler.resume_reading`` re-arms the timer after the body ended. ``read_ms``
    later it fires on the idle pooled connection and stores a ``SocketTimeoutError`` in it;
    the next request that reuses the connection fails at once with "read timeout", before
    the upstream saw it. Here aiohttp gets no read timeout at all (so its protocols never
    hold a timer) and ``read_ms`` is enforced per await instead: on the wait for the response
    head, counted from the moment a connection was had (sending the body included), and on
    every body read. Those timers belong to this request's task and end with it, so nothing
    can leak onto a pooled connection.

    Why ``encoded=True`` (issue 12, #10): aiohttp otherwise re-quotes the URL with yarl, which
    decodes ``%3A`` to ``:``, so the path on the wire would not be the one the adapter built
    from the client's model name.
    """

    def __init__(self, *, limits: httpx.Limits, trust_env: bool) -> None:
        super().__init__(limits=limits, trust_env=trust_env)
        self._urls: dict[int, tuple[httpx.URL, yarl.URL]] = {}

    def get_client(self) -> aiohttp.ClientSession:
        connector = _Connector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        # No cookie jar: an upstream's Set-Cookie must not ride along on every later client's
        # request (the session is shared by all of them), and the jar's per-request cookie
        # filter cost every call.
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """httpx's transport interface (body-less calls, the ``httpx`` option's tests)."""
        limits = request.extensions["timeout"]
        return await self._exchange(
            request.method, _wire_url(str(request.url)), request.headers, request.content, limits, request
        )

    def post(
        self, url: httpx.URL, headers: dict[str, str], body: bytes, limits: dict[str, float]
    ) -> Coroutine[Any, Any, httpx.Response]:
        """POST ``body``: :meth:`handle_async_request` without an ``httpx.Request``. Building
        one (its URL, header and content normalisation, then the header encoding guessed
        again when aiohttp reads them) cost every upstream call about forty Python calls,
        for what aiohttp does itself; the response is the same ``httpx.Response``.
        Not a coroutine itself: the caller awaits the exchange's (one frame less on every
        resumption while the upstream thinks)."""
        cached = self._urls.get(id(url))
        if cached is None or cached[0] is not url:
            cached = (url, _wire_url(str(url)))
            if len(self._urls) < _URL_CACHE_LIMIT:
                # Keyed by identity (the adapter hands back its cached URL objects; hashing
                # an httpx.URL formats it); the entry keeps the URL alive, so no id is reused.
                self._urls[id(url)] = cached
        return self._exchange("POST", cached[1], headers, body, limits, None)

    async def _exchange(
        self,
        method: str,
        url: yarl.URL,
        headers: Mapping[str, str],
        body: bytes,
        limits: dict[str, float],
        request: httpx.Request | None,
    ) -> httpx.Response:
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        read_s: float = limits["read"]
        # No sock_read, and no total: see the class doc. aiohttp bounds connecting itself
        # (``connect``: acquiring a connection, pooled or new), so the head's deadline is set
        # only once one is had (``_Connector.connect``): one timer per request, not two.
        timeout = _client_timeout(limits["pool"], limits["connect"])
        async with asyncio.timeout(None) as head:
            token = _HEAD.set((head, read_s))
            try:
                response = await self.client.request(
                    method,
                    url,
                    headers=headers,
                    data=body or None,
                    allow_redirects=False,
                    auto_decompress=False,
                    compress=False,
                    timeout=timeout,
                )
            except Exception:
                with map_aiohttp_exceptions():  # mapped only when raised: the context costs every call
                    raise
            finally:
                _HEAD.reset(token)
        # Content-Encoding read here from aiohttp's own (C) multidict: read_body's fast path.
        identity = response.headers.get("Content-Encoding") is None
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=TimedStream(response, read_s, identity=identity),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )


def _wire_url(url: str) -> yarl.URL:
    # encoded=True: the path goes on the wire as the adapter built it (see the class doc).
    return yarl.URL(url, encoded=True)


@functools.lru_cache(maxsize=64)
def _client_timeout(pool: float, connect: float) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for a provider's limits (immutable: made once, not per request)."""
    return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect)


# The head deadline of the request being sent in this task, and its read_s: set to read_s
# from the moment a connection was had (new or pooled). A context variable rather than an
# aiohttp trace config: traces cost every request a dozen awaited signal sends.
_HEAD: ContextVar[tuple[asyncio.Timeout, float] | None] = ContextVar("interlingua_upstream_head", default=None)


class _Connector(aiohttp.TCPConnector):
    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[aiohttp.tracing.Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 -- aiohttp's signature
    ) -> aiohttp.connector.Connection:
        conn = await super().connect(req, traces, timeout)
        head = _HEAD.get()
        if head is not None:
            head[0].reschedule(asyncio.get_running_loop().time() + head[1])
        return conn


class TimedStream(AiohttpResponseStream):
    """A response body whose every read waits at most ``read_s`` (the provider's ``read_ms``).
    Data already received is taken without a timer: most reads of a fast upstream's body
    find it buffered, and a timer costs a scheduled and cancelled loop callback."""

    def __init__(self, response: aiohttp.ClientResponse, read_s: float, *, identity: bool = False) -> None:
        super().__init__(response)
        self._read_s = read_s
        self.identity = identity  # no Content-Encoding: the raw bytes are the body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._aiohttp_response.content
        size = self.CHUNK_SIZE
        while True:
            if content.at_eof():
                return
            try:
                chunk = content.read_nowait(size)
            except Exception:
                with map_aiohttp_exceptions():  # as in handle_async_request: only when raised
                    raise
            if not chunk:
                async with asyncio.timeout(self._read_s):
                    try:
                        chunk = await content.read(size)
                    except Exception:
                        with map_aiohttp_exceptions():
                            raise
                if not chunk:
                    return
            yield chunk

    async def read_all(self) -> bytes:
        """The whole body, every wait bounded as in iteration. Not an iteration itself:
        asyncio registers each async generator it starts (a WeakSet entry, added and removed)."""
        content = self._aiohttp_response.content
        chunks: list[bytes] = []
        try:
            while not content.at_eof():
                chunk = content.read_nowait(-1)  # whatever arrived
                if not chunk:
                    async with asyncio.timeout(self._read_s):
                        chunk = await content.readany()
                    if not chunk:
                        break
                chunks.append(chunk)
        except Exception:
            with map_aiohttp_exceptions():  # as in handle_async_request: only when raised
                raise
        return b"".join(chunks)
