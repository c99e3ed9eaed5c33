"""The response cache in the pipeline: a hit answers before any attempt, a miss is recorded
as it is relayed (:mod:`interlingua.server.cache.serve` has the rules).

Only routes with ``cache:`` get here; others pay one attribute check.

A ``shared: true`` cache is skipped for stateful Responses calls (an answer that is stored,
``store`` being true by default, or one that continues a stored response): a hit would hand the caller a response id
stored for another key, which the caller could then neither retrieve nor continue. A cache
partitioned by key keeps serving them: the same key asking the same thing continues the same
stored conversation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from quart import Response
from quart.wrappers.response import IterableBody
from werkzeug.datastructures import Headers

from interlingua.server.cache.serve import Recorder
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.pipeline.relay import SSE_HEADERS, sse_to_json_array
from interlingua.server.responses.resolve import has_references
from interlingua.translate import Format

__all__ = ["CACHE_KEY", "cache_hit", "recorded", "recorder_for"]

CACHE_KEY = "cache"  # ctx.extras: "hit" or "miss", for the response header


def recorder_for(
    ctx: RequestContext, call: ClientCall, headers: Iterable[tuple[bytes, bytes]], query: bytes
) -> Recorder | None:
    route, cache = ctx.route, ctx.state.router.cache
    if route is None or route.cache is None or cache is None:
        return None
    if route.cache.shared and _stateful(call):
        return None
    return cache.recorder(route.cache, call, route.policy, headers, query)


async def cache_hit(ctx: RequestContext, call: ClientCall, recorder: Recorder) -> Response | None:
    """The cached answer in the caller's format, or None (a miss)."""
    found = await recorder.hit()
    replayed = recorder.replay(found, call.surface.stream_usage_wanted(call.body)) if found else None
    if replayed is None:
        ctx.extras[CACHE_KEY] = "miss"
        return None
    ctx.extras[CACHE_KEY] = "hit"
    if not call.stream:
        return Response(replayed, status=200, headers=Headers([("content-type", "application/json")]))
    body: AsyncIterator[bytes] = _once(replayed)
    headers = dict(SSE_HEADERS)
    if not call.sse:
        body, headers["content-type"] = sse_to_json_array(body), "application/json"
    response = Response(body, status=200, headers=Headers(list(headers.items())))
    response.timeout = None
    return response


async def recorded(response: Response, streaming: bool, call: ClientCall, recorder: Recorder) -> Response:
    """``response`` (a 2xx in the client's format), its answer recorded for the next asker."""
    if not streaming:
        await recorder.record_whole(call.fmt, await response.get_data(as_text=False))
        return response
    body = response.response
    if isinstance(body, IterableBody):
        body.iter = recorder.record_stream(body.iter)
    return response


def _stateful(call: ClientCall) -> bool:
    """A Responses call whose answer is stored (by the gateway or a Responses upstream:
    ``store`` defaults to true) or that refers to stored ones."""
    body = call.body
    return call.fmt is Format.OPENAI_RESPONSES and (body.get("store") is not False or has_references(body))


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
