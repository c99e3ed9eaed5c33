"""One generation request, end to end: parse, route, forward or translate, answer.

Same format (client and upstream): the client's bytes go upstream with only
the model name changed and the upstream's bytes come back untouched (errors
too, when they are JSON). Different formats: the body goes through
:func:`~interlingua.translate.translate_request`, the answer through
``translate_response`` / :class:`~interlingua.translate.StreamTranslator`, and
the client sees the model name it asked for.

Formats differ in where the model and stream flag live (Gemini: the URL) and in
how upstreams are addressed; those differences are tables, not branches here:
:mod:`interlingua.server.calls` (client side) and :mod:`interlingua.server.adapters`
(upstream side). The passthrough path does only the checks needed to route;
schema validation runs on the translated path, where the translator needs
well-formed input anyway.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson
from quart import Response, request
from werkzeug.datastructures import Headers

from interlingua.errors import GatewayError, UpstreamError
from interlingua.server.calls import ClientCall, merge_warnings, read_call, translation_warnings
from interlingua.server.errors import error_body, error_headers, error_status, warning_headers
from interlingua.server.gateway import Gateway
from interlingua.server.headers import response_headers
from interlingua.server.rewrite import replace_model
from interlingua.server.routing import Route
from interlingua.server.streaming import SSE_HEADERS, passthrough_stream, sse_to_json_array, translated_stream
from interlingua.server.upstream import TRANSPORT_ERRORS, Upstream, classify
from interlingua.translate import Format, StreamTranslator, parse_error, translate_request, translate_response
from interlingua.validation import validate

__all__ = ["error_response", "forward_plain", "generate", "read_json", "upstream_error_response"]

log = logging.getLogger("interlingua.server")

_MAX_ERROR_BODY = 1 << 20


def error_response(err: GatewayError, fmt: Format) -> Response:
    return Response(
        error_body(err, fmt), status=error_status(err, fmt), headers=Headers(error_headers(err, fmt))
    )


async def read_json(fmt: Format) -> tuple[bytes, dict[str, Any]]:
    """The request body and its JSON object (400 naming the problem otherwise)."""
    call = await read_call(fmt)
    return call.raw, call.body


async def generate(gw: Gateway, fmt: Format, call: ClientCall | None = None) -> Response:
    """Serve one generation request of client format ``fmt`` (read from the request if not given)."""
    if call is None:
        call = await read_call(fmt)
    route = gw.router.route(call.model)
    upstream = gw.upstream(route.provider.name)
    if upstream.format is fmt:
        return await _passthrough(upstream, route, call)
    return await _translated(upstream, route, call)


async def _passthrough(upstream: Upstream, route: Route, call: ClientCall) -> Response:
    # Only the model may change; Gemini clients name it in the URL, which is rebuilt anyway.
    payload = replace_model(call.raw, call.body, route.upstream_model) if call.model_in_body else call.raw
    resp = await upstream.send(
        "generate",
        payload,
        request.scope["headers"],
        same_format=True,
        model=route.upstream_model,
        stream=call.stream,
        sse=call.sse,
    )
    if resp.status_code >= 400:
        return await upstream_error_response(resp, upstream, call.fmt)
    if call.stream:
        headers = SSE_HEADERS | dict(response_headers(resp.headers.raw))
        if call.sse:
            headers["content-type"] = SSE_HEADERS["content-type"]
        stream = passthrough_stream(resp, call.fmt, upstream.provider.name, sse=call.sse)
        return _sse(stream, headers)
    return await _relay_plain(resp, upstream)


async def forward_plain(
    upstream: Upstream, op: str, payload: bytes, fmt: Format, model: str = ""
) -> Response:
    """A same-format, non-streamed call (e.g. count_tokens): the upstream's answer as is."""
    resp = await upstream.send(op, payload, request.scope["headers"], same_format=True, model=model)
    if resp.status_code >= 400:
        return await upstream_error_response(resp, upstream, fmt)
    return await _relay_plain(resp, upstream)


async def _relay_plain(resp: httpx.Response, upstream: Upstream) -> Response:
    data = await _read_all(resp, upstream)
    return Response(data, status=resp.status_code, headers=Headers(response_headers(resp.headers.raw)))


async def _read_all(resp: httpx.Response, upstream: Upstream) -> bytes:
    try:
        return await resp.aread()
    except TRANSPORT_ERRORS as exc:
        raise classify(exc, upstream.provider.name) from None
    finally:
        await resp.aclose()


async def _translated(upstream: Upstream, route: Route, call: ClientCall) -> Response:
    fmt, body = call.fmt, call.body
    notes = translation_warnings(call, upstream.format)
    validate(fmt, "request", body)
    out = translate_request(
        body,
        source=fmt,
        target=upstream.format,
        policy=route.policy,
        model=route.upstream_model,
        stream=call.stream,
    )
    upstream_body = upstream.adapter.prepare(out.body, route.upstream_model, call.stream)
    resp = await upstream.send(
        "generate",
        orjson.dumps(upstream_body),
        request.scope["headers"],
        same_format=False,
        model=route.upstream_model,
        stream=call.stream,
    )
    if resp.status_code >= 400:
        return await upstream_error_response(resp, upstream, fmt)
    warnings = warning_headers(merge_warnings(call, notes, out.warnings))
    if call.stream:
        translator = StreamTranslator(
            source=upstream.format,
            target=fmt,
            policy=route.policy,
            model=route.client_model,
            include_usage=_wants_usage(body, fmt),
        )
        stream = translated_stream(resp, translator, upstream.provider.name)
        if not call.sse:
            return _sse(
                sse_to_json_array(stream), {**SSE_HEADERS, "content-type": "application/json"}, warnings
            )
        return _sse(stream, {**SSE_HEADERS}, warnings)
    data = await _read_all(resp, upstream)
    try:
        answer = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise UpstreamError("the upstream answered with a body that is not JSON", status=502) from None
    result = translate_response(
        answer, source=upstream.format, target=fmt, policy=route.policy, model=route.client_model
    )
    headers = [("content-type", "application/json"), *warnings, *warning_headers(result.warnings)]
    return Response(orjson.dumps(result.body), status=200, headers=Headers(headers))


def _wants_usage(body: dict[str, Any], fmt: Format) -> bool:
    if fmt is not Format.OPENAI_CHAT:
        return True
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _sse(stream: Any, headers: dict[str, str], extra: list[tuple[str, str]] | None = None) -> Response:
    response = Response(stream, status=200, headers=Headers([*headers.items(), *(extra or [])]))
    response.timeout = None  # streams last as long as the upstream keeps sending
    return response


async def upstream_error_response(resp: httpx.Response, upstream: Upstream, fmt: Format) -> Response:
    """An upstream 4xx/5xx in the client's format, status and ``retry-after`` kept."""
    try:
        data = await _read_limited(resp)
    except TRANSPORT_ERRORS as exc:
        raise classify(exc, upstream.provider.name) from None
    finally:
        await resp.aclose()
    same = upstream.format is fmt
    if same and resp.headers.get("content-type", "").startswith("application/json") and data.startswith(b"{"):
        return Response(data, status=resp.status_code, headers=Headers(response_headers(resp.headers.raw)))
    data = upstream.adapter.error_body(data, resp.headers)
    retry_after = resp.headers.get("retry-after")
    try:
        err = parse_error(resp.status_code, data, source=upstream.format, retry_after=retry_after)
    except Exception:  # the error path must not fail: keep status and retry-after at least
        log.exception("parse_error failed for an upstream HTTP %s", resp.status_code)
        err = UpstreamError(
            f"the upstream answered HTTP {resp.status_code}", status=resp.status_code, retry_after=retry_after
        )
    err.provider = upstream.provider.name
    return error_response(err, fmt)


async def _read_limited(resp: httpx.Response) -> bytes:
    data = bytearray()
    async for chunk in resp.aiter_raw():
        data += chunk
        if len(data) > _MAX_ERROR_BODY:
            break
    return bytes(data[:_MAX_ERROR_BODY])
