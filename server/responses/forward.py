"""The owner's ``GET``/``DELETE /v1/responses/{id}`` and ``/input_items`` for an id a
Responses upstream issued on passthrough: forwarded to that upstream.

The gateway does not hold such a response (the upstream stores its own answers), but it
recorded who asked for it and where it came from (``claims.py``): the provider and the key
of its pool. For the recorded owner the call goes there, with the key the answer was made
with, as one attempt of the request pipeline (:func:`~interlingua.server.pipeline.attempt.attempt`:
its timeouts, its error classification, its hooks), after the caller's admission
(``pipeline/execute.py``: :func:`serve_stored`); the upstream's answer is relayed by the
relay stage (a 2xx as it came, a retrieve with ``stream=true`` as the upstream's events,
incrementally; an error in OpenAI's envelope, the upstream's own body when it sent one). A
``DELETE`` it accepts, or answers 404, also forgets the record. Anyone else, and an id with
no record, gets the 404 of an unknown id: nothing tells another key that the id exists.
A record from before migration 0005 names no provider: its owner gets a 404 saying so.

The id chooses nothing but the last path segment: it must match :data:`_ID` (ids OpenAI
issues are letters, digits, ``_`` and ``-``), and the URL is the provider's configured base
plus ``/responses/{id}``. Query parameters are the ones OpenAI documents for each endpoint
(anything else is a 400 naming it, never dropped silently).
https://platform.openai.com/docs/api-reference/responses/get
https://platform.openai.com/docs/api-reference/responses/delete
https://platform.openai.com/docs/api-reference/responses/input-items
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from quart import Response
from werkzeug.datastructures import MultiDict

from interlingua.errors import InvalidRequest, NotFound
from interlingua.server.errors import UpstreamRefused
from interlingua.server.pipeline.attempt import Outgoing, attempt
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.pipeline.relay import relay
from interlingua.server.responses.claims import UNRECORDED, UpstreamIds
from interlingua.server.responses.service import owner_of
from interlingua.server.upstream import Upstream, Upstreams
from interlingua.translate import Format

__all__ = ["DELETE", "INPUT_ITEMS", "RETRIEVE", "Endpoint", "Query", "forwarded", "query_of"]

_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_FALSE = ("false", "0")


class Endpoint:
    """One of the three endpoints: its method, path suffix and documented query parameters."""

    __slots__ = ("method", "params", "suffix")

    def __init__(self, method: str, suffix: str, params: Iterable[str]) -> None:
        self.method, self.suffix = method, suffix
        names = frozenset(params)
        # The array ``include`` arrives as ``include=a&include=b`` or ``include[]=a`` (SDKs differ).
        self.params = names | {"include[]"} if "include" in names else names


RETRIEVE = Endpoint("GET", "", ("include", "include_obfuscation", "starting_after", "stream"))
INPUT_ITEMS = Endpoint("GET", "/input_items", ("after", "include", "limit", "order"))
DELETE = Endpoint("DELETE", "", ())


class Query(NamedTuple):
    """A call's query parameters (forwarded as they came), and whether it asks for a stream."""

    params: list[tuple[str, str]]
    stream: bool


def query_of(endpoint: Endpoint, args: MultiDict[str, str]) -> Query:
    """400 naming a parameter the endpoint does not document; ``stream=true`` (a retrieve)
    asks for the response's events."""
    params = list(args.items(multi=True))
    stream = False
    for name, value in params:
        if name not in endpoint.params:
            raise InvalidRequest(f"Unknown parameter: '{name}'.", param=name)
        if name == "stream":
            stream = value.lower() not in _FALSE
    return Query(params, stream)


async def forwarded(
    ctx: RequestContext,
    ids: UpstreamIds,
    response_id: str,
    endpoint: Endpoint,
    query: Query,
    client_headers: Iterable[tuple[bytes, bytes]],
) -> tuple[Response, bool] | None:
    """The upstream's answer for the caller's upstream-issued ``response_id`` (and whether it
    is a stream, which accounts the request when it ends); None when the gateway has no
    such record for the caller (who gets the 404 of an unknown id). Raises
    :class:`~interlingua.errors.GatewayError` (a bad query, a failed upstream call)."""
    if not _ID.fullmatch(response_id):
        return None
    issuer = await ids.issuer(owner_of(ctx.principal), response_id)
    if issuer is UNRECORDED:
        raise NotFound(
            f"Response with id '{response_id}' was recorded by an earlier version of this gateway, "
            "which did not note the provider that holds it; it cannot be retrieved or deleted here. "
            "It can still be continued (previous_response_id) through the gateway.",
            param="response_id",
        )
    if issuer is None:
        return None
    state = ctx.state
    upstream = _responses_upstream(state.upstreams, issuer.provider)
    if upstream is None:  # the provider left the config (or changed format)
        return None
    target = state.router.target(issuer.provider)
    key = min(issuer.key, max(len(upstream.provider.keys) - 1, 0))
    stream = query.stream
    outgoing = Outgoing.bodiless(
        endpoint.method, f"/responses/{response_id}{endpoint.suffix}", query.params, key=key, stream=stream
    )
    first_byte_ms = state.router.resilience.config.timeouts.first_byte_ms
    outgoing.first_byte_s = first_byte_ms / 1000 if stream and first_byte_ms is not None else None
    ctx.stream = stream
    try:
        resp = await attempt(ctx, target, upstream, outgoing, client_headers)
    except UpstreamRefused as err:
        if endpoint is DELETE and err.status == 404:  # gone there: forget it here
            await ids.release(response_id)
        raise
    answer = await relay(ctx, ClientCall(ctx.surface, b"", {}, "", stream), target, upstream, resp)
    if endpoint is DELETE:
        await ids.release(response_id)
    return answer


def _responses_upstream(upstreams: Upstreams, provider: str) -> Upstream | None:
    try:
        upstream = upstreams[provider]
    except KeyError:
        return None
    return upstream if upstream.format is Format.OPENAI_RESPONSES else None
