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
from urllib.parse import parse_qsl

import orjson
import werkzeug.urls  # noqa: F401 (registers the "werkzeug.url_quote" error handler read below)
from quart import Blueprint, Response

from interlingua.errors import InvalidRequest, NotFound
from interlingua.server.adapters import refuse_dot_segment
from interlingua.server.api.route import post
from interlingua.server.pipeline.execute import count_tokens, generate
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint", "model_info", "model_list"]

_SURFACE = surface_for(Format.GEMINI)
_JSON = {"content-type": "application/json"}
_METHODS = ["generateContent", "streamGenerateContent", "countTokens"]


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("gemini", __name__)

    # /v1/models/: google-genai 3.x defaults to api_version v1.
    @post(bp, "/v1beta/models/<path:target>", "/v1/models/<path:target>")
    async def model_method(inbound: Inbound, target: str) -> Response:
        model, _, method = target.rpartition(":")
        if not model:
            raise NotFound("expected /v1beta/models/{model}:{method}", code="route_not_found")
        refuse_dot_segment(model)
        if method == "generateContent":
            return await generate(holder, _SURFACE, inbound, model=model, stream=False)
        if method == "streamGenerateContent":
            sse = _query_arg(inbound.scope, "alt") == "sse"
            return await generate(holder, _SURFACE, inbound, model=model, stream=True, sse=sse)
        if method == "countTokens":
            return await count_tokens(holder, _SURFACE, inbound, model=model, stream=False)
        raise NotFound(f"method {method!r} is not served; this gateway serves {', '.join(_METHODS)}")

    @bp.get("/v1beta/models")
    async def list_models() -> Response:
        return model_list(holder)

    @bp.get("/v1beta/models/<path:model>")
    async def get_model(model: str) -> Response:
        return model_info(holder, model)

    return bp


def model_list(holder: StateHolder) -> Response:
    """Gemini's list shape (also for ``GET /v1/models`` from a Gemini client)."""
    models = [_model(model_id, display) for model_id, display in holder.current.router.listed()]
    return Response(orjson.dumps({"models": models}), headers=_JSON)


def model_info(holder: StateHolder, model: str) -> Response:
    model = model.removeprefix("models/")
    router = holder.current.router
    try:
        router.route(model)
    except InvalidRequest:
        raise NotFound(f"model {model!r} is not served by this gateway", param="model") from None
    display = dict(router.listed()).get(model, model)
    return Response(orjson.dumps(_model(model, display)), headers=_JSON)


def _query_arg(scope: dict[str, Any], name: str) -> str | None:
    """The query's first ``name``, read as Quart's ``request.args.get(name)`` reads it
    (werkzeug's parse: blank values kept, bad percent-escapes left as they are)."""
    query: bytes = scope["query_string"]
    if not query:
        return None
    pairs = parse_qsl(query.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    return next((value for key, value in pairs if key == name), None)


def _model(model_id: str, display: str) -> dict[str, Any]:
    return {
        "name": f"models/{model_id}",
        "baseModelId": model_id,
        "version": "interlingua",
        "displayName": display,
        "supportedGenerationMethods": _METHODS,
    }
