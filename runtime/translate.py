"""The translation API: the one surface the server (and the CLI) uses.

Everything here is synchronous, pure and framework-free. Bodies are plain
``dict`` objects as parsed by ``orjson`` (the hot path never builds pydantic
models); the generated pydantic models are used to *validate* at the edges.

Contract (shared by the server, the CLI and the tests):

- ``translate_request(body, source=, target=, policy=)`` turns a client request
  body (``source`` format) into an upstream request body (``target`` format),
  through the IR. Raises :class:`~interlingua.errors.InvalidRequest` (with
  ``param`` naming the offending field path, e.g. ``messages[2].content[0].type``)
  for bad input and :class:`~interlingua.errors.ConversionError` where a policy
  says reject. ``source == target`` is a same-format round trip through the IR
  (the server does not call it for passthrough; it forwards the bytes).
- ``translate_response(body, source=, target=, ...)``: upstream response body
  (``source`` format) to client response body (``target`` format).
- Ids: a client of another format sees the upstream's ids (response, tool calls) in
  its own provider's style, and ``translate_request`` gives them back to the upstream
  as it issued them (``interlingua.convert.ids``; stateless).
- ``parse_error`` / ``render_error``: an upstream error body becomes a
  :class:`GatewayError` (status, message, kind and retry-after kept), and any
  :class:`GatewayError` is rendered in a client format's envelope.
- :class:`StreamTranslator`: per request, not thread-safe. ``feed(raw_bytes)``
  takes upstream SSE bytes split anywhere and returns the client's SSE bytes
  for the events completed so far (incremental: never waits for the end);
  ``finish()`` is called when the upstream body ended and closes the client
  stream properly (an upstream that ended without its terminal event yields a
  client-format error event, not a silent truncation); ``fail(err)`` renders a
  mid-stream failure (timeout, upstream died) as the client format's stream
  error, closing any open blocks first.

Each result carries ``warnings``: human-readable notes about fields dropped by
documented policy; the server returns them in ``x-interlingua-warning``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, cast

import orjson

from interlingua.convert.blobs import carries_call_signatures, open_request, seal_response
from interlingua.convert.envelope import echo_request
from interlingua.convert.ids import native_response, unwrap_request
from interlingua.convert.policy import DEFAULT_POLICY, DocumentPolicy, Format, Policy
from interlingua.errors import GatewayError, InvalidRequest, UpstreamError

__all__ = [
    "DEFAULT_POLICY",
    "DocumentPolicy",
    "Format",
    "Policy",
    "StreamTranslator",
    "Translated",
    "UpstreamFormatError",
    "converter",
    "parse_error",
    "render_error",
    "render_stream_error",
    "response_summary",
    "translate_request",
    "translate_response",
]

JSONObject = dict[str, Any]
_Convert = Callable[[JSONObject, Policy, list[str]], JSONObject]

# Kinds worth retrying when an upstream reports them.
_RETRYABLE = frozenset({"rate_limit", "overloaded", "timeout", "upstream_unavailable"})


class Converter(Protocol):
    """What every generated module ``interlingua.generated.converters.<format>`` provides."""

    FORMAT: str
    request_to_ir: _Convert
    request_from_ir: _Convert
    response_to_ir: _Convert
    response_from_ir: _Convert

    def error_to_ir(self, status: int, body: Any) -> JSONObject: ...

    def error_from_ir(self, ir_error: JSONObject) -> tuple[int, JSONObject]: ...


@cache
def converter(fmt: Format | str) -> Converter:
    """The generated converter module of a format (the registry; an unknown format raises)."""
    try:
        name = Format(fmt).value
    except ValueError:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(f.value for f in Format)}") from None
    return cast(Converter, importlib.import_module(f"interlingua.generated.converters.{name}"))


class UpstreamFormatError(UpstreamError):
    """An upstream error parsed by :func:`parse_error`; remembers the upstream's own error
    type name so that a client of the same format sees it verbatim."""

    def __init__(self, message: str, *, wire_format: str, wire_type: str | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.wire_format = wire_format
        self.wire_type = wire_type


@dataclass(slots=True)
class Translated:
    """A converted body. ``model`` and ``stream`` are the request's IR values: formats that
    carry them in the URL rather than the body (Gemini, Bedrock) need them to build it."""

    body: JSONObject
    warnings: list[str] = field(default_factory=list)
    model: str | None = None
    stream: bool = False
    # Responses only: the IR usage and stop reason the upstream reported (for accounting).
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None


def _client_input_error(what: str, exc: Exception) -> GatewayError:
    """Bad client input is a 400 naming the problem, never a stack trace."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, RecursionError):
        return InvalidRequest(f"the {what} is nested too deeply to convert")
    return InvalidRequest(f"the {what} could not be converted ({type(exc).__name__}: {exc})")


def _upstream_output_error(what: str, exc: Exception) -> GatewayError:
    """An upstream body we cannot read is the upstream's fault: 502, message kept short."""
    detail = exc.message if isinstance(exc, GatewayError) else f"{type(exc).__name__}: {exc}"
    return UpstreamError(f"the upstream {what} could not be converted: {detail}", status=502, kind="api_error")


def translate_request(
    body: JSONObject,
    *,
    source: Format,
    target: Format,
    policy: Policy = DEFAULT_POLICY,
    model: str | None = None,
    stream: bool | None = None,
) -> Translated:
    """``model`` / ``stream``, when given, are what the client said outside the body
    (Gemini's URL: ``/v1beta/models/{model}:streamGenerateContent``); they override the IR's."""
    src, dst = converter(source), converter(target)
    warnings: list[str] = []
    if type(body) is not dict:
        raise InvalidRequest("the request body must be a JSON object")
    try:
        ir = src.request_to_ir(body, policy, warnings)
        unwrap_request(ir)  # ids the gateway restyled for the client go back as their upstream issued them
        open_request(ir)  # blobs sealed for the client go back to their issuer only (convert/blobs.py)
        if model is not None:
            ir["model"] = model
        if stream is not None:
            ir["stream"] = stream
        out = dst.request_from_ir(ir, policy, warnings)
    except Exception as exc:
        error = _client_input_error("request", exc)
        if error is exc:
            raise
        raise error from exc
    return Translated(out, warnings, model=ir.get("model"), stream=ir.get("stream") is True)


def translate_response(
    body: JSONObject,
    *,
    source: Format,
    target: Format,
    policy: Policy = DEFAULT_POLICY,
    model: str | None = None,
    request: JSONObject | None = None,
) -> Translated:
    """``model``, when given, replaces the model name the client sees. ``request`` is the body
    the client sent (in ``target`` format): fields its provider echoes from the request (the
    OpenAI Responses object: instructions, tools, temperature, ...) are taken from it; without
    it they hold the values the provider answers to a request that set none of them."""
    src, dst = converter(source), converter(target)
    warnings: list[str] = []
    try:
        if type(body) is not dict:
            raise InvalidRequest("the response body must be a JSON object")
        ir = src.response_to_ir(body, policy, warnings)
        if model is not None:
            ir["model"] = model
        if src.FORMAT != dst.FORMAT:
            native_response(dst.FORMAT, ir)
            seal_response(dst.FORMAT, ir, carries_call_signatures(dst.FORMAT))
        out = dst.response_from_ir(ir, policy, warnings)
        if request is not None:
            echo_request(dst.FORMAT, out, request)
    except Exception as exc:
        raise _upstream_output_error("response", exc) from exc
    return Translated(out, warnings, usage=_ir_usage(ir), stop_reason=_ir_stop_reason(ir))


def response_summary(
    body: Any, *, source: Format, policy: Policy = DEFAULT_POLICY
) -> tuple[dict[str, int], str | None]:
    """The IR usage and stop reason of an upstream response body, for a response relayed
    unchanged (passthrough). Read straight from where the format keeps them (the stream
    rules' usage and stop tables); Responses and Gemini, whose stop reason depends on the
    output items or parts (a function call means tool_use), go through their converters. Never raises: an unreadable body reports nothing."""
    if type(body) is not dict:
        return {}, None
    where = _SUMMARY_FIELDS.get(source)
    if where is None:
        try:
            ir = converter(source).response_to_ir(body, policy, [])
        except Exception:
            return {}, None
        return _ir_usage(ir), _ir_stop_reason(ir)
    usage_key, stop_path = where
    spec = load_spec(str(source))
    wire_usage = body.get(usage_key)
    usage = usage_to_ir(spec.usage, wire_usage) if type(wire_usage) is dict or isinstance(wire_usage, dict) else {}
    # Subscripts of JSON objects and arrays only (a string's would read a character): every
    # passthrough answer comes here, and where the stop reason is, no call is made.
    reason: Any = body
    try:
        for step in stop_path:
            if type(reason) is not dict and type(reason) is not list:
                return usage, None
            reason = reason[step]  # type: ignore[index]  # a str step of a list: TypeError, caught
    except (KeyError, IndexError, TypeError):
        return usage, None
    stop = spec.stop_to_ir.get(reason, spec.default_stop_to_ir) if type(reason) is str else None
    return usage, stop


# Per format: the usage object's key and the path to the stop reason in a response body.
_SUMMARY_FIELDS: dict[Format, tuple[str, tuple[str | int, ...]]] = {
    Format.OPENAI_CHAT: ("usage", ("choices", 0, "finish_reason")),
    Format.ANTHROPIC_MESSAGES: ("usage", ("stop_reason",)),
    Format.BEDROCK_CONVERSE: ("usage", ("stopReason",)),
}


def _ir_usage(ir: JSONObject) -> dict[str, int]:
    usage = ir.get("usage")
    if type(usage) is not dict:
        return {}
    return {k: v for k, v in usage.items() if type(v) is int}


def _ir_stop_reason(ir: JSONObject) -> str | None:
    reason = ir.get("stop_reason")
    return reason if type(reason) is str else None


def _error_text(body: bytes) -> str | None:
    text = body.decode("utf-8", errors="replace").strip()
    return text[:500] if text else None


def parse_error(
    status: int, body: bytes, *, source: Format, retry_after: str | None = None
) -> GatewayError:
    """An upstream error response (any body, even non-JSON) as a GatewayError."""
    try:
        parsed: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    ir = converter(source).error_to_ir(status, parsed)
    message = ir["message"]
    if type(parsed) is not dict and (text := _error_text(body)):
        message = f"upstream error (HTTP {status}): {text}"
    code = ir.get("code")
    wire_type = ir.get("type")
    err = UpstreamFormatError(
        message,
        wire_format=converter(source).FORMAT,
        wire_type=wire_type if type(wire_type) is str else None,
        status=status,
        kind=ir["kind"],
        param=ir.get("param") if type(ir.get("param")) is str else None,
        code=str(code) if code is not None else None,
        # Gemini says when to retry in the body (RetryInfo), not in a Retry-After header.
        retry_after=retry_after if retry_after is not None else ir.get("retry_after"),
    )
    err.retryable = ir["kind"] in _RETRYABLE
    return err


def render_error(err: GatewayError, target: Format) -> JSONObject:
    """The client-format error envelope for ``err`` (status is ``err.status``)."""
    ir: JSONObject = {"status": err.status, "kind": err.kind, "message": err.message}
    if err.param is not None:
        ir["param"] = err.param
    if err.code is not None:
        ir["code"] = err.code
    if err.retry_after is not None:
        ir["retry_after"] = err.retry_after  # Gemini clients read it from RetryInfo
    if isinstance(err, UpstreamFormatError) and err.wire_type is not None:
        ir["type"], ir["type_format"] = err.wire_type, err.wire_format
    _, body = converter(target).error_from_ir(ir)
    return body


# The stream translator is shared runtime code (runtime/streams/), re-exported here.
from interlingua.streams import StreamTranslator, render_stream_error  # noqa: E402
from interlingua.streams.registry import load_spec  # noqa: E402
from interlingua.streams.usage import usage_to_ir  # noqa: E402
