"""Cross-cutting concerns at the ASGI level, before Quart builds a request object.

- ``x-request-id`` on every response: the client's (if printable, at most 128
  characters) or a new one; handlers read it from ``scope["interlingua.request_id"]``.
- Inbound keys (``server.api_keys``): every route but ``/healthz`` and ``/readyz``
  needs one of them in ``Authorization: Bearer``, ``x-api-key`` or
  ``x-goog-api-key``, or (Gemini clients, ``/v1beta/*``) the ``key`` query
  parameter, compared in constant time; otherwise 401 in the client's format.
  The query key is never logged (there is no access log; errors do not echo URLs).
- ``server.max_inflight``: API requests beyond it get 503 (529 for Anthropic
  clients) at once, instead of queueing without bound. A streamed response
  counts until its last byte.

Working on raw ASGI scopes keeps these off Quart's per-request machinery, and
covers every response, including Quart's own 404/405.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from hypercorn.typing import ASGIFramework, ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, Scope

from interlingua.errors import AuthenticationFailed, GatewayError, Overloaded
from interlingua.server.errors import client_format, error_body, error_headers, error_status

__all__ = ["GatewayMiddleware"]

_OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_KEY_HEADERS = (b"authorization", b"x-api-key", b"x-goog-api-key")


def _new_request_id() -> bytes:
    return b"req_" + os.urandom(12).hex().encode()


def _client_request_id(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"x-request-id":
            if 0 < len(value) <= 128 and value.isascii() and all(32 < c < 127 for c in value):
                return value
            return None
    return None


class GatewayMiddleware:
    def __init__(self, app: ASGIFramework, *, api_keys: Sequence[str], max_inflight: int) -> None:
        self.app = app
        self._keys = [key.encode() for key in api_keys]
        self._max_inflight = max_inflight
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        request_id = _client_request_id(headers) or _new_request_id()
        scope["interlingua.request_id"] = request_id.decode()  # type: ignore[typeddict-unknown-key]

        async def send_with_id(event: ASGISendEvent) -> None:
            if event["type"] == "http.response.start":
                event["headers"] = [*event["headers"], (b"x-request-id", request_id)]
            await send(event)

        path = scope["path"]
        if path in _OPEN_PATHS:
            await self.app(scope, receive, send_with_id)
            return
        if self._keys and not (self._authorized(headers) or self._query_key(path, scope["query_string"])):
            await _reject(
                AuthenticationFailed("invalid or missing API key for this gateway"), scope, send_with_id
            )
            return
        if self.inflight >= self._max_inflight:
            await _reject(
                Overloaded("the gateway is at its concurrency limit; retry shortly", retry_after="1"),
                scope,
                send_with_id,
            )
            return
        self.inflight += 1
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.inflight -= 1

    def _query_key(self, path: str, query: bytes) -> bool:
        # Gemini's SDKs and curl examples may pass the key as ?key=...
        gemini = path.startswith("/v1beta/") or (path.startswith("/v1/models/") and ":" in path)
        if not gemini or b"key=" not in query:
            return False
        return any(
            self._matches(value.encode())
            for name, value in parse_qsl(query.decode("latin-1"))
            if name == "key"
        )

    def _matches(self, value: bytes) -> bool:
        # Compare against every key, so timing does not tell which (or whether one) matched.
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(value, key)
        return matched

    def _authorized(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        for name, value in headers:
            if name not in _KEY_HEADERS:
                continue
            if name == b"authorization":
                scheme, _, value = value.partition(b" ")
                if scheme.lower() != b"bearer":
                    continue
                value = value.strip()
            if self._matches(value):
                return True
        return False


async def _reject(err: GatewayError, scope: Any, send: ASGISendCallable) -> None:
    fmt = client_format(scope["path"], (name for name, _ in scope["headers"]))
    body = error_body(err, fmt)
    headers = [(k.encode(), v.encode()) for k, v in error_headers(err, fmt)]
    headers.append((b"content-length", str(len(body)).encode()))
    await send(
        {
            "type": "http.response.start",
            "status": error_status(err, fmt),
            "headers": headers,
            "trailers": False,
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
