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

import orjson

from interlingua.errors import (
    GatewayError,
    InternalError,
    InvalidRequest,
    NotFound,
    Overloaded,
    RequestTooLarge,
)
from interlingua.translate import Format, render_error

__all__ = [
    "client_format",
    "error_body",
    "error_headers",
    "error_status",
    "from_http_status",
    "warning_headers",
]

log = logging.getLogger("interlingua.server")

_ANTHROPIC_HINTS = frozenset({b"anthropic-version", b"x-api-key"})
_GEMINI_HINTS = frozenset({b"x-goog-api-key", b"x-goog-api-client"})


_PATH_FORMATS = (
    ("/v1/messages", Format.ANTHROPIC_MESSAGES),
    ("/v1/chat/", Format.OPENAI_CHAT),
    ("/v1/responses", Format.OPENAI_RESPONSES),
    ("/v1beta/", Format.GEMINI),
    ("/model/", Format.BEDROCK_CONVERSE),
)

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


def client_format(path: str, header_names: Iterable[bytes]) -> Format:
    """Which format a client speaks, from its path and (lower-case) header names."""
    for prefix, fmt in _PATH_FORMATS:
        if path.startswith(prefix):
            return fmt
    if path.startswith("/v1/models/") and ":" in path:
        return Format.GEMINI  # google-genai 3.x defaults to /v1/models/{model}:{method}
    names = set(header_names)
    if names & _GEMINI_HINTS:
        return Format.GEMINI
    if names & _ANTHROPIC_HINTS:
        return Format.ANTHROPIC_MESSAGES
    return Format.OPENAI_CHAT


def error_status(err: GatewayError, fmt: Format) -> int:
    # Only the gateway's own overload: an upstream's 503 keeps its status.
    if fmt is Format.ANTHROPIC_MESSAGES and isinstance(err, Overloaded):
        return 529
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
