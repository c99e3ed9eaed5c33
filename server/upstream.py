"""Pooled upstream HTTP: one httpx client per provider over the aiohttp transport.

Why aiohttp under httpx: measured on this machine (see README, "Transport"),
httpx's default transport (httpcore) costs several times more CPU per request
than the same httpx API over ``httpx_aiohttp.AiohttpTransport``; the gateway's
CPU budget is 1 ms per request.

Timeouts: ``connect_ms`` bounds connecting (and waiting for a pooled
connection); ``read_ms`` bounds each silence between received bytes, including
inside streams, so a stalled stream fails after ``read_ms`` rather than hanging.
Over aiohttp the gateway keeps the read timer itself (:class:`PooledAiohttp`),
never aiohttp's ``sock_read``: see there why.

Failures map to gateway errors: connect failures (refused, DNS, TLS) -> 502,
timeouts -> 504, a connection dropped mid-response -> 502. httpx_aiohttp maps
several aiohttp exceptions to surprising httpx classes (a refused connection
surfaces as ``httpx.ConnectTimeout``), so :func:`classify` looks at the aiohttp
cause first.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Coroutine, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

import aiohttp
import httpx
import yarl
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import AiohttpResponseStream, map_aiohttp_exceptions

from interlingua.errors import GatewayError, UpstreamTimeout, UpstreamUnavailable
from interlingua.server.adapters import Adapter, adapter_for
from interlingua.server.config import Config, ProviderConfig
from interlingua.server.headers import UpstreamHeaders
from interlingua.server.redact import Redactor

__all__ = ["TRANSPORT_ERRORS", "PooledAiohttp", "Upstream", "Upstreams", "classify", "provider_secrets", "read_body"]

# What a failing upstream exchange raises, before classify() turns it into a GatewayError.
TRANSPORT_ERRORS = (httpx.HTTPError, aiohttp.ClientError, asyncio.TimeoutError)
_URL_CACHE_LIMIT = 1024


class Upstream:
    """One provider: its pooled transport, its adapter (URLs, auth) and its header template.

    Requests go straight to the transport (``handle_async_request``) rather
    than through ``httpx.AsyncClient.send``: the client's cookie jar, auth and
    redirect machinery cost about a third of the gateway's CPU per request,
    and a cookie jar shared by all clients would leak one client's upstream
    cookies into another's requests. URLs and timeouts are built once.
    """

    def __init__(self, provider: ProviderConfig, transport: str = "aiohttp") -> None:
        self.provider = provider
        self.format = provider.format
        self.transport_name = transport
        self.adapter: Adapter = adapter_for(provider)
        self.headers = UpstreamHeaders(provider, self.adapter)
        self.redactor = Redactor(provider_secrets(provider))
        t = provider.timeouts
        connect, read = t.connect_ms / 1000, t.read_ms / 1000
        self._extensions = {"timeout": {"connect": connect, "read": read, "write": read, "pool": connect}}
        limits = httpx.Limits(
            max_connections=provider.max_connections, max_keepalive_connections=provider.max_connections
        )
        # Signed requests (Bedrock) need the path on the wire to be the one signed (the model
        # id's ':' as %3A, as boto3 sends it): PooledAiohttp sends URLs as built.
        self._pooled = PooledAiohttp(limits=limits, trust_env=False) if transport == "aiohttp" else None
        self._transport: httpx.AsyncBaseTransport = self._pooled or httpx.AsyncHTTPTransport(
            limits=limits, trust_env=False
        )

    async def send(  # noqa: PLR0913 -- keyword-only request options, called only by pipeline/attempt.py
        self,
        op: str,
        body: bytes,
        client_headers: Iterable[tuple[bytes, bytes]],
        *,
        same_format: bool,
        model: str = "",
        stream: bool = False,
        sse: bool = True,
        key: int = 0,
    ) -> httpx.Response:
        """POST ``body``; returns once the status and headers arrived (the body is streamed).

        ``model``/``stream``/``sse`` pick the URL where the format puts them there (Gemini,
        Bedrock, Azure's deployment); ``key``: which key of the provider's pool to send. The caller
        must ``aclose()`` the response. Raises
        :class:`GatewayError` on failure.
        """
        url = self.adapter.url(op, model, stream, sse)
        headers = self.headers.build(client_headers, same_format, key)
        if self.adapter.signed:
            self.adapter.sign(url, headers, body)
        pooled = self._pooled
        try:
            if pooled is not None:  # no httpx.Request: see PooledAiohttp.post
                return await pooled.post(url, headers, body, self._extensions["timeout"])
            request = httpx.Request("POST", url, headers=headers, content=body, extensions=self._extensions)
            return await self._transport.handle_async_request(request)
        except TRANSPORT_ERRORS as exc:
            raise classify(exc, self.provider.name) from None

    async def call(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        client_headers: Iterable[tuple[bytes, bytes]],
        *,
        key: int = 0,
    ) -> httpx.Response:
        """``method`` (GET, DELETE) ``path`` under the provider's base URL, without a body.

        Off the hot path (the stored-response endpoints of a Responses upstream): the URL is
        built per call. ``path`` is the caller's to keep inside the base URL (validated ids
        only); ``query`` is encoded here. Same contract as :meth:`send` otherwise.
        """
        url = httpx.URL(self.adapter.base + path, params=query)
        headers = self.headers.build(client_headers, True, key)
        request = httpx.Request(method, url, headers=headers, extensions=self._extensions)
        try:
            return await self._transport.handle_async_request(request)
        except TRANSPORT_ERRORS as exc:
            raise classify(exc, self.provider.name) from None

    async def aclose(self) -> None:
        await self._transport.aclose()


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
            stream=_TimedStream(response, read_s, identity=identity),
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


class _TimedStream(AiohttpResponseStream):
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


async def read_body(resp: httpx.Response, provider: str) -> bytes:
    """A 2xx answer's whole body, decoded as ``resp.aread()`` decodes it; the response is
    closed, a transport failure raised classified (:func:`classify`).

    From this module's own stream without a Content-Encoding (what the gateway asks for),
    the body is read here: ``aread``'s decoder chain and its two exception-mapping
    context managers cost a plain answer about thirty Python calls for an identity copy."""
    stream = resp.stream
    try:
        if type(stream) is _TimedStream and stream.identity:
            data = await stream.read_all()
            resp.is_stream_consumed = True
            return data
        return await resp.aread()
    except TRANSPORT_ERRORS as exc:
        raise classify(exc, provider) from None
    finally:
        if not resp.is_closed:  # (aread closes it; the fast path and failures leave it open)
            resp.is_closed = True
            await stream.aclose()  # type: ignore[union-attr]


class Upstreams:
    """All providers' clients of one config snapshot.

    On reload, a provider whose config did not change keeps its client (and its warm
    connection pool): ``previous`` lends them. :meth:`retired` names the clients the new
    snapshot no longer uses, to be closed once the requests still using them finished.
    """

    def __init__(self, config: Config, previous: Upstreams | None = None) -> None:
        transport = config.server.upstream_transport
        self._by_name: dict[str, Upstream] = {}
        for provider in config.providers:
            kept = previous._by_name.get(provider.name) if previous is not None else None
            reusable = kept is not None and kept.provider == provider and kept.transport_name == transport
            self._by_name[provider.name] = kept if reusable and kept else Upstream(provider, transport)

    def __getitem__(self, name: str) -> Upstream:
        return self._by_name[name]

    def retired(self, others: Iterable[Upstreams]) -> list[Upstream]:
        """This snapshot's clients that none of ``others`` (the live snapshots) uses."""
        kept = {id(u) for other in others for u in other._by_name.values()}
        return [u for u in self._by_name.values() if id(u) not in kept]

    async def aclose(self, only: list[Upstream] | None = None) -> None:
        clients = self._by_name.values() if only is None else only
        await asyncio.gather(*(u.aclose() for u in clients), return_exceptions=True)


def provider_secrets(provider: ProviderConfig) -> list[str | None]:
    """Every value of a provider's config that must never be shown to a client or logged."""
    secrets: list[str | None] = [key.get_secret_value() for key in provider.keys]
    if provider.aws is not None:
        # The access key id is not secret to AWS, but it names the account's credential (an
        # AKIA... / ASIA... id quoted by a careless error is half of a leaked key pair).
        secrets.append(provider.aws.access_key_id)
        for secret in (provider.aws.secret_access_key, provider.aws.session_token):
            secrets.append(secret.get_secret_value() if secret else None)
    secrets.extend(provider.headers.values())  # configured headers often carry credentials
    return secrets


def classify(exc: BaseException, provider: str | None = None) -> GatewayError:
    """The gateway error for a transport failure (never includes URLs, headers or bodies)."""
    cause = exc.__cause__ if isinstance(exc, httpx.HTTPError) and exc.__cause__ is not None else exc
    if isinstance(cause, aiohttp.ClientError | asyncio.TimeoutError):
        connect_timeout = isinstance(cause, aiohttp.ConnectionTimeoutError)
        timeout = isinstance(cause, aiohttp.ServerTimeoutError | asyncio.TimeoutError)
        connect_failed = isinstance(cause, aiohttp.ClientConnectorError)
    else:
        connect_timeout = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
        timeout = isinstance(exc, httpx.TimeoutException)
        connect_failed = isinstance(exc, httpx.ConnectError)
    if connect_timeout:
        return UpstreamTimeout("timed out connecting to the upstream", provider=provider)
    if timeout:
        return UpstreamTimeout("the upstream did not answer in time (read timeout)", provider=provider)
    if connect_failed:
        return UpstreamUnavailable("could not connect to the upstream", provider=provider)
    return UpstreamUnavailable("the upstream connection failed", provider=provider)
