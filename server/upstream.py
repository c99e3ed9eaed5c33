"""Pooled upstream HTTP: one httpx client per provider over the aiohttp transport.

Why aiohttp under httpx: measured on this machine (see README, "Transport"),
httpx's default transport (httpcore) costs several times more CPU per request
than the same httpx API over ``httpx_aiohttp.AiohttpTransport``; the gateway's
CPU budget is 1 ms per request.

Timeouts: ``connect_ms`` bounds connecting (and waiting for a pooled
connection); ``read_ms`` bounds each silence between received bytes, including
inside streams, so a stalled stream fails after ``read_ms`` rather than hanging.
Over aiohttp the gateway keeps the read timer itself (:class:`PooledAiohttp`,
``server/transport.py``), never aiohttp's ``sock_read``: see there why.

Failures map to gateway errors: connect failures (refused, DNS, TLS) -> 502,
timeouts -> 504, a connection dropped mid-response -> 502. httpx_aiohttp maps
several aiohttp exceptions to surprising httpx classes (a refused connection
surfaces as ``httpx.ConnectTimeout``), so :func:`classify` looks at the aiohttp
cause first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import aiohttp
import httpx

from interlingua.errors import GatewayError, UpstreamTimeout, UpstreamUnavailable
from interlingua.server.adapters import Adapter, adapter_for
from interlingua.server.config import Config, ProviderConfig
from interlingua.server.headers import UpstreamHeaders
from interlingua.server.redact import Redactor
from interlingua.server.transport import PooledAiohttp, TimedStream

__all__ = ["TRANSPORT_ERRORS", "PooledAiohttp", "Upstream", "Upstreams", "classify", "provider_secrets", "read_body"]

# What a failing upstream exchange raises, before classify() turns it into a GatewayError.
TRANSPORT_ERRORS = (httpx.HTTPError, aiohttp.ClientError, asyncio.TimeoutError)


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


async def read_body(resp: httpx.Response, provider: str) -> bytes:
    """A 2xx answer's whole body, decoded as ``resp.aread()`` decodes it; the response is
    closed, a transport failure raised classified (:func:`classify`).

    From this module's own stream without a Content-Encoding (what the gateway asks for),
    the body is read here: ``aread``'s decoder chain and its two exception-mapping
    context managers cost a plain answer about thirty Python calls for an identity copy."""
    stream = resp.stream
    try:
        if type(stream) is TimedStream and stream.identity:
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
