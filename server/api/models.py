"""``GET /v1/models`` and ``GET /v1/models/{id}`` in the caller's format.

A request carrying ``x-goog-api-key`` or ``x-goog-api-client`` (a Gemini SDK on
API version v1) gets Gemini's ``{"models": [...]}`` shape. One carrying
``anthropic-version`` or ``x-api-key`` gets Anthropic's shape (``type``, ``display_name``, ``created_at``; ``has_more``/``first_id``/
``last_id``); anything else gets OpenAI's ``{"object": "list", ...}``. The list
shows the configured model names that are not globs; ``/v1/models/{id}``
answers for any name the routing table accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from quart import Blueprint, Response, request

from interlingua.errors import InvalidRequest, NotFound
from interlingua.server.api import gemini
from interlingua.server.errors import client_format
from interlingua.server.state import StateHolder
from interlingua.translate import Format

__all__ = ["blueprint"]

_JSON = {"content-type": "application/json"}


def _model(holder: StateHolder, fmt: Format, model_id: str, display: str) -> dict[str, Any]:
    if fmt is Format.ANTHROPIC_MESSAGES:
        created = datetime.fromtimestamp(holder.started_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"type": "model", "id": model_id, "display_name": display, "created_at": created}
    owner = holder.current.router.route(model_id).targets[0].provider.name
    return {"id": model_id, "object": "model", "created": holder.started_at, "owned_by": owner}


def _format() -> Format:
    return client_format(request.path, (name for name, _ in request.scope["headers"]))


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("models", __name__)

    @bp.get("/v1/models")
    async def list_models() -> Response:
        fmt = _format()
        if fmt is Format.GEMINI:
            return gemini.model_list(holder)
        data = [_model(holder, fmt, model_id, display) for model_id, display in holder.current.router.listed()]
        if fmt is Format.ANTHROPIC_MESSAGES:
            first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
            body: dict[str, Any] = {"data": data, "has_more": False, "first_id": first, "last_id": last}
        else:
            body = {"object": "list", "data": data}
        return Response(orjson.dumps(body), headers=_JSON)

    @bp.get("/v1/models/<path:model_id>")
    async def get_model(model_id: str) -> Response:
        if _format() is Format.GEMINI:
            return gemini.model_info(holder, model_id)
        router = holder.current.router
        try:
            router.route(model_id)
        except InvalidRequest:
            raise NotFound(f"model {model_id!r} is not served by this gateway", param="model") from None
        display = dict(router.listed()).get(model_id, model_id)
        return Response(orjson.dumps(_model(holder, _format(), model_id, display)), headers=_JSON)

    return bp
