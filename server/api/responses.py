"""The OpenAI Responses surface: ``POST /v1/responses`` (streamed with ``"stream": true``),
``POST /v1/responses/input_tokens`` (forwarded to a Responses upstream, else a local
estimate), and ``GET``/``DELETE /v1/responses/{id}`` and ``GET /v1/responses/{id}/input_items``
for the responses the gateway stored.

Toward a Responses upstream the request passes through (``store`` and
``previous_response_id`` included): that upstream stores its answers and resolves its own
ids (the gateway refuses another key's: ``responses/claims.py``). Toward any other upstream format the gateway keeps the answer in its store (unless
``store: false``) and resolves ``previous_response_id`` and ``item_reference`` items from
there (:mod:`interlingua.server.pipeline.stateful`); ids it does not hold for the caller's
key are a 400 naming them. ``GET``/``DELETE`` see only the caller's own responses: another
key's are a 404, like ids that never existed. For an id a Responses upstream issued on
passthrough, the key that asked for it gets the upstream's own answer to these three
(forwarded there: ``responses/forward.py``); every other key the same 404.
"""

from __future__ import annotations

import orjson
from quart import Blueprint, Response, request

from interlingua.errors import GatewayError, InvalidRequest, NotFound
from interlingua.server.errors import error_response
from interlingua.server.features.auth import principal_of
from interlingua.server.pipeline.execute import count_tokens, generate
from interlingua.server.responses import ResponseService, owner_of
from interlingua.server.responses.forward import DELETE, INPUT_ITEMS, RETRIEVE, Endpoint, forwarded
from interlingua.server.responses.listing import input_items_page
from interlingua.server.responses.repository import StoredResponse
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.OPENAI_RESPONSES)
_JSON = {"content-type": "application/json"}


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("responses", __name__)

    @bp.post("/v1/responses")
    async def responses() -> Response:
        return await generate(holder, _SURFACE)

    @bp.post("/v1/responses/input_tokens")
    async def input_tokens() -> Response:
        return await count_tokens(holder, _SURFACE)

    @bp.get("/v1/responses/<response_id>")
    async def retrieve(response_id: str) -> Response:
        stored = await _stored(holder, response_id, RETRIEVE)
        if isinstance(stored, Response):
            return stored
        return Response(orjson.dumps(stored.response), headers=_JSON)

    @bp.get("/v1/responses/<response_id>/input_items")
    async def input_items(response_id: str) -> Response:
        stored = await _stored(holder, response_id, INPUT_ITEMS)
        if isinstance(stored, Response):
            return stored
        try:
            page = input_items_page(stored.input, response_id, request.args)
        except InvalidRequest as err:
            return error_response(err, Format.OPENAI_RESPONSES)
        return Response(orjson.dumps(page), headers=_JSON)

    @bp.delete("/v1/responses/<response_id>")
    async def delete(response_id: str) -> Response:
        service = holder.services.responses
        if service is not None and await service.repo.delete(_owner(), response_id):
            body = {"id": response_id, "object": "response", "deleted": True}
            return Response(orjson.dumps(body), headers=_JSON)
        return await _upstreams(holder, response_id, DELETE)

    return bp


async def _stored(holder: StateHolder, response_id: str, endpoint: Endpoint) -> StoredResponse | Response:
    """The caller's stored response, or the answer instead: the upstream's for an id a
    Responses upstream issued to the caller (``responses/forward.py``), else a 404."""
    service = holder.services.responses
    stored = await service.repo.get(_owner(), response_id) if service is not None else None
    return stored if stored is not None else await _upstreams(holder, response_id, endpoint)


async def _upstreams(holder: StateHolder, response_id: str, endpoint: Endpoint) -> Response:
    try:
        answer = await forwarded(holder, _owner(), response_id, endpoint, request.args, request.scope["headers"])
    except GatewayError as err:
        return error_response(err, Format.OPENAI_RESPONSES)
    return answer if answer is not None else _not_found(response_id, holder.services.responses)


def _owner() -> str:
    return owner_of(principal_of(request.scope))


def _not_found(response_id: str, service: ResponseService | None) -> Response:
    why = "" if service is not None else " (this gateway keeps no responses: no store, or responses.store is false)"
    err = NotFound(f"Response with id '{response_id}' not found.{why}", param="response_id")
    return error_response(err, Format.OPENAI_RESPONSES)
