"""The owner's ``GET``/``DELETE /v1/responses/{id}`` and ``/input_items`` for an id a
Responses upstream issued on passthrough: forwarded to that upstream.

The gateway does not hold such a response (the upstream stores its own answers), but it
recorded who asked for it and where it came from (``claims.py``): the provider and the key
of its pool. For the recorded owner the call goes there, with the key the answer was made
with, and the upstream's answer (status and body, the same OpenAI format) goes back as it
came; a ``DELETE`` it accepts also forgets the record. Anyone else, and an id with no
record (or a record from before migration 0005, which lacks the provider), gets the 404 of
an unknown id: nothing tells another key that the id exists.

The id chooses nothing but the last path segment: it must match :data:`_ID` (ids OpenAI
issues are letters, digits, ``_`` and ``-``), and the URL is the provider's configured base
plus ``/responses/{id}``. Query parameters are the ones OpenAI documents for each endpoint
(anything else is a 400 naming it, never dropped silently); ``stream=true`` on a retrieve
(replaying a stored response as events) is a 400: out of scope for now.
https://platform.openai.com/docs/api-reference/responses/get
https://platform.openai.com/docs/api-reference/responses/delete
https://platform.openai.com/docs/api-reference/responses/input-items
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx
from quart import Response
from werkzeug.datastructures import Headers, MultiDict

from interlingua.errors import InvalidRequest
from interlingua.server.pipeline.relay import relayed_headers
from interlingua.server.state import StateHolder
from interlingua.server.upstream import TRANSPORT_ERRORS, Upstream, Upstreams, classify
from interlingua.translate import Format

__all__ = ["DELETE", "INPUT_ITEMS", "RETRIEVE", "Endpoint", "forwarded"]

_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


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


async def forwarded(
    holder: StateHolder,
    owner: str,
    response_id: str,
    endpoint: Endpoint,
    args: MultiDict[str, str],
    client_headers: Iterable[tuple[bytes, bytes]],
) -> Response | None:
    """The upstream's answer for ``owner``'s upstream-issued ``response_id``; None when the
    gateway has no such record for ``owner`` (the caller answers its 404). Raises
    :class:`~interlingua.errors.GatewayError` (a bad query, a failed upstream call)."""
    service = holder.services.responses
    if service is None or not _ID.fullmatch(response_id):
        return None
    issuer = await service.upstream_ids.issuer(owner, response_id)
    if issuer is None:
        return None
    query = _query(endpoint, args)
    state = holder.acquire()  # its clients stay open until this call is done
    try:
        upstream = _responses_upstream(state.upstreams, issuer.provider)
        if upstream is None:  # the provider left the config (or changed format)
            return None
        key = min(issuer.key, max(len(upstream.provider.keys) - 1, 0))
        path = f"/responses/{response_id}{endpoint.suffix}"
        answer = await _relay(await upstream.call(endpoint.method, path, query, client_headers, key=key), upstream)
    finally:
        holder.release(state)
    if endpoint is DELETE and answer.status_code in (200, 404):  # gone there: forget it here
        await service.upstream_ids.release(response_id)
    return answer


def _query(endpoint: Endpoint, args: MultiDict[str, str]) -> list[tuple[str, str]]:
    query = list(args.items(multi=True))
    for name, value in query:
        if name not in endpoint.params:
            raise InvalidRequest(f"Unknown parameter: '{name}'.", param=name)
        if name == "stream" and value.lower() not in ("false", "0"):
            raise InvalidRequest(
                "stream: replaying a response the upstream stored as events is not supported by this "
                "gateway; retrieve it without 'stream'",
                param="stream",
            )
    return query


def _responses_upstream(upstreams: Upstreams, provider: str) -> Upstream | None:
    try:
        upstream = upstreams[provider]
    except KeyError:
        return None
    return upstream if upstream.format is Format.OPENAI_RESPONSES else None


async def _relay(resp: httpx.Response, upstream: Upstream) -> Response:
    """The upstream's whole answer (a small JSON body), status and body as they came;
    a refusal's body with the provider's secrets redacted, as every relayed error."""
    try:
        data = await resp.aread()
    except TRANSPORT_ERRORS as exc:
        raise classify(exc, upstream.provider.name) from None
    finally:
        await resp.aclose()
    if resp.status_code >= 400 and upstream.redactor:
        data = upstream.redactor.data(data)
    return Response(data, status=resp.status_code, headers=Headers(relayed_headers(resp, upstream)))
