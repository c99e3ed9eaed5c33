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
(forwarded there: ``responses/forward.py``); every other key the same 404. All three are
admitted (the key's request and concurrency limits), recorded and measured like every
other call (``pipeline/execute.py``: ``serve_stored``).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import orjson
from quart import Blueprint, Response, request

from interlingua.errors import InvalidRequest, NotFound
from interlingua.server.api.route import post, quart_inbound
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.execute import Stages, count_tokens, generate, serve_stored
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.responses import ResponseService, owner_of
from interlingua.server.responses.forward import (
    DELETE,
    INPUT_ITEMS,
    RETRIEVE,
    Endpoint,
    Query,
    forwarded,
    query_of,
)
from interlingua.server.responses.listing import input_items_page
from interlingua.server.state import StateHolder
from interlingua.server.surfaces import surface_for
from interlingua.translate import Format

__all__ = ["blueprint"]

_SURFACE = surface_for(Format.OPENAI_RESPONSES)
_JSON = {"content-type": "application/json"}


def blueprint(holder: StateHolder) -> Blueprint:
    bp = Blueprint("responses", __name__)

    @post(bp, "/v1/responses")
    def responses(inbound: Inbound) -> Coroutine[Any, Any, Response]:
        return generate(holder, _SURFACE, inbound)

    @post(bp, "/v1/responses/input_tokens")
    def input_tokens(inbound: Inbound) -> Coroutine[Any, Any, Response]:
        return count_tokens(holder, _SURFACE, inbound)

    @bp.get("/v1/responses/<response_id>")
    async def retrieve(response_id: str) -> Response:
        stages = _stages(holder, response_id, RETRIEVE)
        return await serve_stored(holder, _SURFACE, quart_inbound(), "retrieve", stages)

    @bp.get("/v1/responses/<response_id>/input_items")
    async def input_items(response_id: str) -> Response:
        stages = _stages(holder, response_id, INPUT_ITEMS)
        return await serve_stored(holder, _SURFACE, quart_inbound(), "input_items", stages)

    @bp.delete("/v1/responses/<response_id>")
    async def delete(response_id: str) -> Response:
        stages = _stages(holder, response_id, DELETE)
        return await serve_stored(holder, _SURFACE, quart_inbound(), "delete", stages)

    return bp


def _stages(holder: StateHolder, response_id: str, endpoint: Endpoint) -> Stages:
    """After admission: the caller's response from the gateway's store, else the answer of
    the upstream that issued it to the caller (``responses/forward.py``), else a 404."""

    async def stages(ctx: RequestContext, scope: dict[str, Any]) -> tuple[Response, bool]:
        service = holder.services.responses
        query = query_of(endpoint, request.args)
        if service is not None:
            local = await _local(service, owner_of(ctx.principal), response_id, endpoint, query)
            if local is not None:
                return Response(orjson.dumps(local), headers=_JSON), False
            answer = await forwarded(ctx, service.upstream_ids, response_id, endpoint, query, scope["headers"])
            if answer is not None:
                return answer
        raise _not_found(response_id, service)

    return stages


async def _local(service: ResponseService, owner: str, response_id: str, endpoint: Endpoint, query: Query) -> Any:
    """The answer from the gateway's own store; None when it holds no such response of ``owner``."""
    if endpoint is DELETE:
        deleted = await service.repo.delete(owner, response_id)
        return {"id": response_id, "object": "response", "deleted": True} if deleted else None
    stored = await service.repo.get(owner, response_id)
    if stored is None:
        return None
    if endpoint is INPUT_ITEMS:
        return input_items_page(stored.input, response_id, request.args)
    if query.stream:  # the gateway keeps the answer, not the events it was streamed as
        raise InvalidRequest(
            "stream: this response was stored by the gateway (translated from another format), which "
            "keeps the response, not its events; retrieve it without 'stream'",
            param="stream",
        )
    return stored.response


def _not_found(response_id: str, service: ResponseService | None) -> NotFound:
    why = "" if service is not None else " (this gateway keeps no responses: no store, or responses.store is false)"
    return NotFound(f"Response with id '{response_id}' not found.{why}", param="response_id")
