"""Every error a client sees, in that client's own envelope and status.

The client format is known from the route (``/v1/chat/completions`` is
OpenAI, ``/v1/messages*`` is Anthropic, ``/v1/responses*`` OpenAI Responses,
``/v1beta/*`` Gemini, ``/model/*`` Bedrock Converse); elsewhere (``/v1/models``, unknown
routes) a request carrying ``x-goog-api-key`` or ``x-goog-api-client`` is treated
as a Gemini client, one carrying ``anthropic-version`` or ``x-api-key`` as an
Anthropic client, anything else as an OpenAI client.

Status rules on top of :mod:`interlingua.errors`: an Anthropic client gets 529
``overloaded_error`` where an OpenAI client gets 503. Bodies come from the
translator's :func:`~interlingua.translate.render_error`; should that ever fail,
a minimal envelope of the right shape is used, because the error path must
never itself become a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import orjson
from quart import Response
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from interlingua.errors import (
    GatewayError,
    InternalError,
    InvalidRequest,
    NotFound,
    Overloaded,
    RequestTooLarge,
)
from interlingua.server.features.request_id import request_id_of
from interlingua.server.surfaces import surface_for, surface_of_path
from interlingua.translate import Format, render_error

__all__ = [
    "UpstreamRefused",
    "answer_error",
    "client_format",
    "error_body",
    "error_headers",
    "error_response",
    "error_status",
    "from_http_status",
    "send_asgi_error",
    "warning_headers",
]

log = logging.getLogger("interlingua.server")

# Gemini's error "status" names, for the fallback envelope only.
_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class UpstreamRefused(GatewayError):
    """An upstream answered with an error status.

    ``error`` is the upstream's error parsed (what clients of other formats see, what
    retries and metrics classify); ``verbatim`` is the upstream's own JSON body, relayed
    as is (redacted) to a client of the upstream's format, with ``headers``.
    """

    def __init__(
        self,
        error: GatewayError,
        wire_format: Format,
        verbatim: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(
            error.message,
            status=error.status,
            kind=error.kind,
            param=error.param,
            code=error.code,
            retry_after=error.retry_after,
            provider=error.provider,
        )
        self.error = error
        self.fault = error.fault
        self.retryable = error.retryable
        self.wire_format = wire_format
        self.verbatim = verbatim
        self.headers = headers or []


def error_response(err: GatewayError, fmt: Format, extra: list[tuple[str, str]] | None = None) -> Response:
    """``err`` as an HTTP response in the envelope and status of client format ``fmt``."""
    if isinstance(err, UpstreamRefused):
        if err.verbatim is not None and err.wire_format is fmt:
            headers = Headers([*err.headers, *(extra or [])])
            return Response(err.verbatim, status=err.status, headers=headers)
        err = err.error
    headers = Headers([*error_headers(err, fmt), *(extra or [])])
    return Response(error_body(err, fmt), status=error_status(err, fmt), headers=headers)


def answer_error(err: Exception, scope: Any, path: str) -> Response:
    """The app's answer to an exception a handler raised, in the client's envelope: a
    :class:`GatewayError` as itself (logged unless the client's fault), an ``HTTPException``
    (Quart's 404/405/408/413) as ours, anything else an ``InternalError`` logged with its
    traceback (call it in the ``except`` block) and never shown to the client. Quart's error
    handlers (``app.py``) and the fast lane (``fast_lane.py``) both answer with it.
    ``path``: the request's routed path (Quart's ``request.path``)."""
    fmt = client_format(path, [name for name, _ in scope["headers"]])
    if isinstance(err, GatewayError):
        if err.fault != "client":
            log.warning(
                "request %s failed: %s %s (%s)",
                request_id_of(scope),
                err.status,
                err.message,
                err.provider or "gateway",
            )
        return error_response(err, fmt)
    if isinstance(err, HTTPException):
        return error_response(from_http_status(err.code or 500, err.description), fmt)
    log.exception("request %s: unhandled error", request_id_of(scope))
    return error_response(InternalError("internal gateway error"), fmt)


def client_format(path: str, header_names: Iterable[bytes]) -> Format:
    """Which format a client speaks, from its path and (lower-case) header names."""
    return surface_of_path(path, header_names).format


def error_status(err: GatewayError, fmt: Format) -> int:
    # Only the gateway's own overload: an upstream's 503 keeps its status.
    if isinstance(err, Overloaded):
        return surface_for(fmt).overload_status
    return err.status


def _bedrock_type(err: GatewayError) -> str:
    try:
        kind = render_error(err, Format.BEDROCK_CONVERSE).get("__type")
    except Exception:
        kind = None
    return kind if isinstance(kind, str) else "InternalServerException"


def error_body(err: GatewayError, fmt: Format) -> bytes:
    try:
        return orjson.dumps(render_error(err, fmt))
    except Exception:
        log.exception("render_error failed; using the minimal envelope")
        return orjson.dumps(_minimal(err, fmt))


def _minimal(err: GatewayError, fmt: Format) -> dict[str, object]:
    # Used only if render_error itself failed: a plausible type name, never "api_error_error".
    kind = err.kind if err.kind.endswith("_error") else f"{err.kind}_error"
    if fmt is Format.ANTHROPIC_MESSAGES:
        return {"type": "error", "error": {"type": kind, "message": err.message}}
    if fmt is Format.GEMINI:
        status = _GOOGLE_STATUS.get(err.status, "INTERNAL")
        return {"error": {"code": err.status, "message": err.message, "status": status}}
    return {"error": {"message": err.message, "type": kind, "param": err.param, "code": err.code}}


def error_headers(err: GatewayError, fmt: Format | None = None) -> list[tuple[str, str]]:
    headers = [("content-type", "application/json")]
    if fmt is Format.BEDROCK_CONVERSE:
        # Where AWS SDKs look for the error code first (the body's __type is the fallback).
        headers.append(("x-amzn-errortype", _bedrock_type(err)))
    if err.retry_after:
        headers.append(("retry-after", err.retry_after))
    return headers


# Werkzeug/Quart raise HTTPExceptions for routing and body problems; each becomes ours.
def from_http_status(status: int, description: str | None = None) -> GatewayError:
    if status == 404:
        return NotFound(
            "no such route; see GET /v1/models and the README for the endpoints", code="route_not_found"
        )
    if status == 405:
        return InvalidRequest("method not allowed on this route", status=405, code="method_not_allowed")
    if status == 413:
        return RequestTooLarge("request body too large (server.max_body_bytes)")
    if status == 408:
        return InvalidRequest("timed out reading the request body", status=408)
    if 400 <= status < 500:
        return InvalidRequest(description or "bad request", status=status)
    return InternalError("internal error")


def warning_headers(warnings: Iterable[str], limit: int = 20) -> list[tuple[str, str]]:
    """``x-interlingua-warning`` headers: one per warning, made header-safe (ASCII, one line)."""
    out: list[tuple[str, str]] = []
    for warning in warnings:
        if len(out) == limit:
            break
        safe = warning.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")
        out.append(("x-interlingua-warning", safe[:500]))
    return out


async def send_asgi_error(err: GatewayError, scope: Any, send: Any) -> None:
    """Answer ``err`` at the ASGI edge (before Quart), in the client's envelope."""
    fmt = client_format(scope["path"], (name for name, _ in scope["headers"]))
    body = error_body(err, fmt)
    headers = [(k.encode(), v.encode()) for k, v in error_headers(err, fmt)]
    headers.append((b"content-length", str(len(body)).encode()))
    # The body was never read: the connection cannot carry another request reliably (a
    # client reusing it races the server's close), so say it is closing.
    headers.append((b"connection", b"close"))
    start = {"type": "http.response.start", "status": error_status(err, fmt), "headers": headers, "trailers": False}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
