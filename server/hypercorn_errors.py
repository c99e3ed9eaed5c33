"""JSON bodies for the errors Hypercorn answers itself, before any gateway code runs.

Hypercorn replies on its own, with an empty body (``content-length: 0``), when:

- h11 cannot parse the request: 400 for a malformed request line, header or framing
  (``Transfer-Encoding`` with ``Content-Length``, a bad chunk size), 431 when the request
  line and headers exceed ``h11_max_incomplete_size`` (16 KiB);
  ``hypercorn/protocol/h11.py``, ``H11Protocol._send_error_response``;
- an app returns without starting a response (500) or the host is not one of
  ``server_names`` (404, unused here); ``hypercorn/protocol/http_stream.py``,
  ``HTTPStream._send_error_response``.

Neither is configurable, so :func:`install` replaces these two methods (the patch point;
Hypercorn is pinned below 0.19 in pyproject.toml, and ``install`` fails loudly if either
method is gone). The client's format cannot be known when its request did not parse, so
the body is the generic OpenAI envelope ``{"error": {"message", "type", "param", "code"}}``.
Tests: ``tests/server/test_serving_http_errors.py`` (raw sockets).
"""

from __future__ import annotations

from http import HTTPStatus
from time import time

import h11
import orjson
from hypercorn.protocol.events import Body, EndBody, Response
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.protocol.http_stream import ASGIHTTPState, HTTPStream

__all__ = ["error_body", "install"]

_MESSAGES = {
    400: ("malformed HTTP request (request line, headers or message framing)", "bad_request"),
    404: ("unknown host", "unknown_host"),
    431: ("request headers too large", "request_header_fields_too_large"),
    500: ("internal gateway error", "internal_error"),
}


def error_body(status: int) -> bytes:
    """The JSON envelope Hypercorn's own ``status`` answers carry."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "error"
    message, code = _MESSAGES.get(status, (phrase.lower(), phrase.lower().replace(" ", "_")))
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return orjson.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}})


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]


async def _h11_error(self: H11Protocol, status_code: int) -> None:
    body = error_body(status_code)
    headers = [*_headers(body), *self.config.response_headers("h11")]
    await self._send_h11_event(h11.Response(status_code=status_code, headers=headers))
    await self._send_h11_event(h11.Data(data=body))
    await self._send_h11_event(h11.EndOfMessage())


async def _stream_error(self: HTTPStream, status_code: int) -> None:
    body = error_body(status_code)
    await self.send(Response(stream_id=self.stream_id, headers=_headers(body), status_code=status_code))
    await self.send(Body(stream_id=self.stream_id, data=body))
    await self.send(EndBody(stream_id=self.stream_id))
    self.state = ASGIHTTPState.CLOSED
    await self.config.log.access(self.scope, {"status": status_code, "headers": []}, time() - self.start_time)


def install() -> None:
    """Make Hypercorn's own error responses carry :func:`error_body` (idempotent)."""
    for cls, replacement in ((H11Protocol, _h11_error), (HTTPStream, _stream_error)):
        if not callable(getattr(cls, "_send_error_response", None)):
            raise RuntimeError(f"hypercorn changed: {cls.__name__}._send_error_response is gone")
        cls._send_error_response = replacement  # type: ignore[method-assign]
