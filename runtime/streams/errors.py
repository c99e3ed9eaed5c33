"""Stream errors: an upstream's in-stream error event to IR, and IR/GatewayError
to the client format's SSE error frame.

Envelopes come from :func:`interlingua.translate.render_error` (the request
converters' error tables). Until that is implemented, and for decoding the
error *inside* a stream (whose HTTP status is already 200), a minimal local
table maps error type names to IR kinds:

==================  =========================  =====================  ======
IR kind             Anthropic ``error.type``   OpenAI ``error.type``  status
==================  =========================  =====================  ======
invalid_request     invalid_request_error      invalid_request_error  400
authentication      authentication_error       authentication_error   401
permission          permission_error           permission_error       403
not_found           not_found_error            not_found_error        404
request_too_large   request_too_large          invalid_request_error  413
rate_limit          rate_limit_error           rate_limit_error       429
api_error           api_error                  server_error           500
overloaded          overloaded_error           server_error           529
timeout             timeout_error              timeout_error          504
upstream_unavail.   api_error                  server_error           502
==================  =========================  =====================  ======
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import orjson
from interlingua.errors import ErrorKind, GatewayError, UpstreamError
from interlingua.streams.events import IRError
from interlingua.streams.registry import load_spec
from interlingua.streams.spec import TypedBlocksSpec
from interlingua.streams.sse import frame

__all__ = ["error_to_ir", "gateway_error", "render_error_body", "render_stream_error"]

_STATUS: dict[str, int] = {
    "invalid_request": 400,
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "request_too_large": 413,
    "rate_limit": 429,
    "api_error": 500,
    "overloaded": 529,
    "timeout": 504,
    "upstream_unavailable": 502,
}

_KIND_TO_TYPE: dict[str, dict[str, str]] = {
    "anthropic_messages": {
        "invalid_request": "invalid_request_error",
        "authentication": "authentication_error",
        "permission": "permission_error",
        "not_found": "not_found_error",
        "request_too_large": "request_too_large",
        "rate_limit": "rate_limit_error",
        "api_error": "api_error",
        "overloaded": "overloaded_error",
        "timeout": "timeout_error",
        "upstream_unavailable": "api_error",
    },
    "openai_chat": {
        "invalid_request": "invalid_request_error",
        "authentication": "authentication_error",
        "permission": "permission_error",
        "not_found": "not_found_error",
        "request_too_large": "invalid_request_error",
        "rate_limit": "rate_limit_error",
        "api_error": "server_error",
        "overloaded": "server_error",
        "timeout": "timeout_error",
        "upstream_unavailable": "server_error",
    },
}

# Error type names (and OpenAI codes) -> IR kind, any format: the names do not collide.
_TYPE_TO_KIND: dict[str, str] = {
    "invalid_request_error": "invalid_request",
    "authentication_error": "authentication",
    "permission_error": "permission",
    "billing_error": "permission",
    "not_found_error": "not_found",
    "request_too_large": "request_too_large",
    "rate_limit_error": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "insufficient_quota": "rate_limit",
    "tokens": "rate_limit",
    "requests": "rate_limit",
    "api_error": "api_error",
    "server_error": "api_error",
    "overloaded_error": "overloaded",
    "timeout_error": "timeout",
}


def error_to_ir(body: Any) -> IRError:
    """An in-stream error payload (Anthropic ``{"type":"error","error":{...}}``,
    OpenAI ``{"error":{...}}``, or anything else) as an IR error."""
    inner = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(inner, Mapping):
        inner = body if isinstance(body, Mapping) else {}
    message = inner.get("message")
    kind = "api_error"
    for key in ("type", "code"):
        name = inner.get(key)
        if isinstance(name, str) and name in _TYPE_TO_KIND:
            kind = _TYPE_TO_KIND[name]
            break
    error: IRError = {
        "kind": kind,
        "message": message if isinstance(message, str) and message else "upstream stream error",
        "status": _STATUS[kind],
    }
    code = inner.get("code")
    if isinstance(code, str):
        error["code"] = code
    return error


def gateway_error(error: IRError) -> GatewayError:
    """The :class:`GatewayError` a decoded IR error stands for."""
    kind = cast(ErrorKind, error.get("kind", "api_error"))
    return UpstreamError(
        str(error.get("message") or "upstream stream error"),
        status=int(error.get("status") or _STATUS.get(kind, 500)),
        kind=kind,
        code=error.get("code"),
    )


def render_error_body(err: GatewayError, target: str) -> dict[str, Any]:
    """The client-format error envelope (the converters' tables when available)."""
    from interlingua import translate

    try:
        return translate.render_error(err, translate.Format(target))
    except NotImplementedError:
        pass
    error_type = _KIND_TO_TYPE.get(target, _KIND_TO_TYPE["openai_chat"]).get(err.kind, "api_error")
    if isinstance(load_spec(target), TypedBlocksSpec):
        return {"type": "error", "error": {"type": error_type, "message": err.message}}
    return {"error": {"message": err.message, "type": error_type, "param": err.param, "code": err.code}}


def render_stream_error(err: GatewayError, target: str) -> bytes:
    """One SSE error frame in the client format (no block bookkeeping)."""
    spec = load_spec(target)
    event = spec.events.error if isinstance(spec, TypedBlocksSpec) else None
    return frame(orjson.dumps(render_error_body(err, target)), event)
