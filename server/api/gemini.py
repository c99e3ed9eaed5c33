"""The Gemini surface (v1beta): ``POST /v1beta/models/{model}:generateContent``,
``:streamGenerateContent`` and ``:countTokens``; ``GET /v1beta/models[/{model}]``.
The same methods answer under ``/v1/models/`` (google-genai 3.x's default API version),
and ``GET /v1/models`` answers in Gemini's shape to a Gemini client (see api/models.py).

The model comes from the URL, the stream mode from the method. ``streamGenerateContent``
answers in SSE with ``?alt=sse`` (what the google-genai SDK and Gemini CLI ask for) and
otherwise, as Gemini does, as one JSON array whose elements arrive incrementally.
Clients authenticate with ``x-goog-api-key`` or ``?key=`` (see the middleware); the key
is never forwarded nor logged.

``countTokens`` is forwarded when the model's provider speaks Gemini; for any other
upstream the gateway answers with a local estimate (``x-interlingua-warning`` says so).
"""

from __future__ import annotations

from typing import Any

import orjson
from quart import Blueprint, Response, request

from interlingua.errors import InvalidRequest, NotFound
from interlingua.server.calls import read_call
from interlingua.server.gateway import Gateway
from interlingua.server.proxy import forward_plain, generate
from interlingua.server.tokens import estimate_input_tokens
from interlingua.translate import Format

__all__ = ["blueprint", "model_info", "model_list"]

_FMT = Format.GEMINI
_JSON = {"content-type": "application/json"}
_METHODS = ["generateContent", "streamGenerateContent", "countTokens"]


def blueprint(gw: Gateway) -> Blueprint:
    bp = Blueprint("gemini", __name__)

    @bp.post("/v1beta/models/<path:target>")
    @bp.post("/v1/models/<path:target>")  # google-genai 3.x defaults to api_version v1
    async def model_method(target: str) -> Response:
        model, _, method = target.rpartition(":")
        if not model:
            raise NotFound("expected /v1beta/models/{model}:{method}", code="route_not_found")
        if method == "generateContent":
            return await generate(gw, _FMT, await read_call(_FMT, model=model, stream=False))
        if method == "streamGenerateContent":
            sse = request.args.get("alt") == "sse"
            return await generate(gw, _FMT, await read_call(_FMT, model=model, stream=True, sse=sse))
        if method == "countTokens":
            return await _count_tokens(gw, model)
        raise NotFound(f"method {method!r} is not served; this gateway serves {', '.join(_METHODS)}")

    @bp.get("/v1beta/models")
    async def list_models() -> Response:
        return model_list(gw)

    @bp.get("/v1beta/models/<path:model>")
    async def get_model(model: str) -> Response:
        return model_info(gw, model)

    return bp


def model_list(gw: Gateway) -> Response:
    """Gemini's list shape (also for ``GET /v1/models`` from a Gemini client)."""
    models = [_model(model_id, display) for model_id, display in gw.router.listed()]
    return Response(orjson.dumps({"models": models}), headers=_JSON)


def model_info(gw: Gateway, model: str) -> Response:
    model = model.removeprefix("models/")
    try:
        gw.router.route(model)
    except InvalidRequest:
        raise NotFound(f"model {model!r} is not served by this gateway", param="model") from None
    display = dict(gw.router.listed()).get(model, model)
    return Response(orjson.dumps(_model(model, display)), headers=_JSON)


def _model(model_id: str, display: str) -> dict[str, Any]:
    return {
        "name": f"models/{model_id}",
        "baseModelId": model_id,
        "version": "interlingua",
        "displayName": display,
        "supportedGenerationMethods": _METHODS,
    }


async def _count_tokens(gw: Gateway, model: str) -> Response:
    call = await read_call(_FMT, model=model, stream=False, conversation=False)
    route = gw.router.route(model)
    upstream = gw.upstream(route.provider.name)
    body = call.body
    inner = body.get("generateContentRequest")
    if inner is not None and not isinstance(inner, dict):
        raise InvalidRequest("generateContentRequest: must be an object", param="generateContentRequest")
    if upstream.format is _FMT:
        payload = call.raw
        if inner is not None and "model" in inner and route.upstream_model != model:
            # The nested request names the model too; it must name the upstream's.
            inner = {**inner, "model": f"models/{route.upstream_model}"}
            payload = orjson.dumps({**body, "generateContentRequest": inner})
        return await forward_plain(upstream, "count_tokens", payload, _FMT, model=route.upstream_model)
    count = estimate_input_tokens(inner if inner is not None else body, _FMT.value)
    return Response(
        orjson.dumps({"totalTokens": count}),
        headers={**_JSON, "x-interlingua-warning": "totalTokens is a local estimate"},
    )
