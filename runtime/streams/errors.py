"""Stream errors: an upstream's in-stream error event to IR, and IR/GatewayError to the
client format's SSE error frame.

The tables are the request/response converters' (``ERROR_TYPE_TO_KIND``,
``ERROR_KIND_TO_STATUS``, imported by each generated ``<format>_stream`` module),
and envelopes come from :func:`interlingua.translate.render_error`, so an error
looks the same in a stream as in a response. Inside a stream the HTTP status is
already 200, so the kind comes from the error's ``type`` (or ``code``).

An IR error decoded from an upstream keeps the upstream's payload (``raw``) and
its ``format``: a client of that same format gets the payload verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import orjson

from interlingua.errors import ErrorKind, GatewayError, UpstreamError
from interlingua.streams.events import IRError
from interlingua.streams.registry import load_spec
from interlingua.streams.spec import ItemsSpec, StreamSpec, TypedBlocksSpec
from interlingua.streams.sse import frame

__all__ = ["error_frame", "error_to_ir", "gateway_error", "render_stream_error"]


def error_to_ir(body: Any, spec: StreamSpec) -> IRError:
    """An in-stream error payload (Anthropic ``{"type":"error","error":{...}}``,
    OpenAI ``{"error":{...}}``, or anything else) as an IR error."""
    inner = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(inner, Mapping):
        inner = body if isinstance(body, Mapping) else {}
    wire_type, code, message = inner.get("type"), inner.get("code"), inner.get("message")
    if wire_type is None:
        wire_type = inner.get("status")  # Gemini (google.rpc.Status): the code name is `status`
    known = [name for name in (wire_type, code) if isinstance(name, str) and name in spec.error_type_to_kind]
    kind = spec.error_type_to_kind[known[0]] if known else "api_error"
    error: IRError = {
        "kind": kind,
        "message": message if isinstance(message, str) and message else "upstream stream error",
        "status": spec.error_kind_to_status.get(kind, 500),
        "format": spec.format,
    }
    if isinstance(code, str):
        error["code"] = code
    # Only a well-formed error (known type, a message) is worth passing verbatim to a
    # client of the same format; anything else is rendered from the IR kind.
    if isinstance(wire_type, str) and wire_type in spec.error_type_to_kind:
        error["type"] = wire_type
        if isinstance(message, str) and isinstance(body, dict) and isinstance(body.get("error"), Mapping):
            error["raw"] = body
    return error


def gateway_error(error: IRError) -> GatewayError:
    """The :class:`GatewayError` an IR error stands for (keeping the upstream's type name)."""
    from interlingua.translate import UpstreamFormatError

    kind = cast(ErrorKind, error.get("kind", "api_error"))
    message = str(error.get("message") or "upstream stream error")
    status = int(error.get("status") or 500)
    wire_type, wire_format = error.get("type"), error.get("format")
    if isinstance(wire_type, str) and isinstance(wire_format, str):
        return UpstreamFormatError(
            message, wire_format=wire_format, wire_type=wire_type, status=status, kind=kind, code=error.get("code")
        )
    return UpstreamError(message, status=status, kind=kind, code=error.get("code"))


def error_frame(body: Mapping[str, Any], target: str) -> bytes:
    """One event carrying error ``body`` in ``target``'s framing (SSE, or an AWS event-stream frame)."""
    spec = load_spec(target)
    if isinstance(spec, ItemsSpec):  # Responses: a typed `error` event, not the envelope
        nested = body.get("error")
        inner: Mapping[str, Any] = nested if isinstance(nested, Mapping) else body
        event_body = {"type": "error", "code": inner.get("code") or inner.get("type"),
                      "message": inner.get("message"), "param": inner.get("param"), "sequence_number": 0}
        return frame(orjson.dumps(event_body), "error")
    if isinstance(spec, TypedBlocksSpec) and spec.framing == "aws_eventstream":
        from interlingua.streams.eventstream import converse_exception_frame  # it imports this module

        return converse_exception_frame(body)  # Bedrock: a binary exception frame, raised by boto3
    event = spec.events.error if isinstance(spec, TypedBlocksSpec) else None
    return frame(orjson.dumps(body), event)


def render_stream_error(err: GatewayError, target: str) -> bytes:
    """One SSE error frame in the client format (no block bookkeeping)."""
    from interlingua.translate import Format, render_error

    return error_frame(render_error(err, Format(target)), target)
