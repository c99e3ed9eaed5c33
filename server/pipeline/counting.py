"""Count tokens on one target: the upstream's own counting endpoint, or a local estimate.

Anthropic (``/v1/messages/count_tokens``), Gemini (``:countTokens``), OpenAI Responses
(``/responses/input_tokens``) and Bedrock (``/model/{id}/count-tokens``) count tokens
themselves: the client's request goes there, as it came for a client of the same format
(answer relayed as is), else translated like a generation request and cut down to the fields
that endpoint's published schema accepts (what only shapes the answer, such as
``max_tokens`` or ``temperature``, counts no input), the count put in the client's own
answer. OpenAI Chat has no such endpoint: there the gateway estimates locally
(:mod:`interlingua.server.tokens`). ``x-interlingua-token-count`` says which it was
(``upstream`` or ``estimate``). Upstream errors go through :func:`attempt` like any other,
so a client reads them in its own envelope and status, with one exception: Bedrock's
CountTokens exists only for some models, and for the others Bedrock answers 400 "The
provided model doesn't support counting tokens." That says nothing about the client's
request: the target is passed over like one without a counting endpoint (not counted against
its health), so a later target of the route (in failover order, fallbacks included) counts
exactly; only when none can does the client get the estimate (and a warning naming the
reason) rather than an error its SDK cannot avoid (Claude Code counts before every turn).

:func:`count` walks the route: :func:`prepare_count` builds one target's request (the
failover walk tries the route's targets that can count, as for generation),
:func:`answer_count` answers from the one that did.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import orjson
from quart import Response

from interlingua.convert.gemini import camel_keys
from interlingua.errors import GatewayError, InvalidRequest, UpstreamError
from interlingua.server.errors import UpstreamRefused
from interlingua.server.pipeline.attempt import Outgoing
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.failover import Sent, walk
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.pipeline.prepare import (
    Prepared,
    count_tokens_payload,
    refuse_unresolved,
    translated_for_count,
)
from interlingua.server.pipeline.relay import relay
from interlingua.server.resilience.plan import Unfit
from interlingua.server.routing import Target
from interlingua.server.tokens import estimate_for
from interlingua.server.upstream import TRANSPORT_ERRORS, Upstream, classify
from interlingua.translate import Format

__all__ = ["TOKEN_COUNT_HEADER", "answer_count", "count", "estimate", "prepare_count"]

TOKEN_COUNT_HEADER = "x-interlingua-token-count"
# Anthropic's count request has no max_tokens, which its Messages converter needs; the
# translated value is dropped again by the shaping below (or by the count, for Gemini).
_PLACEHOLDER_MAX_TOKENS = 4096

JSONObject = dict[str, Any]

# Bedrock's answer for a model without CountTokens ("The provided model doesn't support
# counting tokens."), matched loosely: AWS rewords messages.
_BEDROCK_CANNOT_COUNT = re.compile(r"(?:n't|not) support\w* (?:counting tokens|token counting|count ?tokens)", re.I)


def _pick(body: JSONObject, keys: Iterable[str]) -> JSONObject:
    return {key: body[key] for key in keys if key in body}


def _anthropic(body: JSONObject, model: str) -> JSONObject:
    return {**_pick(body, ("messages", "system", "thinking", "tool_choice", "tools")), "model": model}


def _gemini(body: JSONObject, model: str) -> JSONObject:
    inner = _pick(
        body, ("systemInstruction", "contents", "tools", "toolConfig", "safetySettings", "cachedContent")
    )
    config = body.get("generationConfig")
    if isinstance(config, dict) and (config := {k: v for k, v in config.items() if k != "maxOutputTokens"}):
        inner["generationConfig"] = config
    return {"generateContentRequest": {"model": f"models/{model}", **inner}}


def _responses(body: JSONObject, model: str) -> JSONObject:
    keys = (
        "input",
        "tools",
        "text",
        "reasoning",
        "truncation",
        "instructions",
        "tool_choice",
        "parallel_tool_calls",
    )
    return {"model": model, **_pick(body, keys)}


def _bedrock(body: JSONObject, model: str) -> JSONObject:
    keys = ("messages", "system", "toolConfig", "additionalModelRequestFields")
    return {"input": {"converse": _pick(body, keys)}}


# Per upstream format with a counting endpoint: its request built from a translated
# generation request, and the field of its answer holding the count.
_COUNTERS: dict[Format, tuple[Callable[[JSONObject, str], JSONObject], str]] = {
    Format.ANTHROPIC_MESSAGES: (_anthropic, "input_tokens"),
    Format.GEMINI: (_gemini, "totalTokens"),
    Format.OPENAI_RESPONSES: (_responses, "input_tokens"),
    Format.BEDROCK_CONVERSE: (_bedrock, "inputTokens"),
}


async def count(ctx: RequestContext, call: ClientCall, client_headers: Iterable[tuple[bytes, bytes]]) -> Response:
    """The client's count-tokens answer: counted by the first target that can count (a
    Bedrock model without CountTokens is passed over like a target without a counting
    endpoint, so a later target of the route counts), else the local estimate."""
    cannot: list[str] = []  # why targets that have a counting endpoint could not count

    def unfit(err: GatewayError) -> bool:
        if _cannot_count(err):
            cannot.append(err.message)
            return True
        return False

    try:  # failover as for generate, over the targets that can count
        landing = await walk(ctx, call, client_headers, prepare_count, unfit)
    except Unfit:  # no target could count (OpenAI Chat; Bedrock models without CountTokens)
        if cannot:
            ctx.warnings.append(f"the upstream model cannot count tokens ({cannot[-1]})")
        return estimate(ctx, call)
    return await answer_count(ctx, call, landing.target, landing.result)


def _cannot_count(err: GatewayError) -> bool:
    return (
        isinstance(err, UpstreamRefused)
        and err.wire_format is Format.BEDROCK_CONVERSE
        and err.status == 400
        and _BEDROCK_CANNOT_COUNT.search(err.message) is not None
    )


def prepare_count(call: ClientCall, target: Target, upstream: Upstream) -> Prepared:
    """The count request for ``target``: the client's own for an upstream of its format,
    else translated and cut to the counting endpoint's fields. A target whose format has
    no counting endpoint is passed over (:class:`Unfit`); with none left the caller
    estimates."""
    counter = _COUNTERS.get(upstream.format)
    if counter is None:
        raise Unfit
    same = upstream.format is call.fmt
    payload = (
        count_tokens_payload(call, target) if same else _translated(call, target, upstream.format, counter[0])
    )
    return Prepared(Outgoing("count_tokens", payload, same_format=same, model=target.upstream_model))


async def answer_count(ctx: RequestContext, call: ClientCall, target: Target, sent: Sent) -> Response:
    """The client's count-tokens answer from the answering target's response."""
    upstream = sent.upstream
    if sent.prepared.outgoing.same_format:
        response, _ = await relay(ctx, call, target, upstream, sent.response)
    else:
        response = await _answer(call, upstream, sent.response, _COUNTERS[upstream.format][1])
    ctx.usage.reported = False  # a count is not usage
    response.headers[TOKEN_COUNT_HEADER] = "upstream"
    return response


def _translated(
    call: ClientCall, target: Target, upstream: Format, shape: Callable[[JSONObject, str], JSONObject]
) -> bytes:
    translated = translated_for_count(call, target, upstream, _as_generation(call))
    return orjson.dumps(shape(translated, target.upstream_model))


def _as_generation(call: ClientCall) -> JSONObject:
    """The client's count request as a generation request of its own format."""
    body = call.translation_body
    if call.fmt is Format.ANTHROPIC_MESSAGES:
        return {"max_tokens": _PLACEHOLDER_MAX_TOKENS, **body}
    if call.fmt is Format.GEMINI:  # {contents} or {generateContentRequest: {...}}, any spelling
        body = camel_keys(body, "count_tokens_request")
        inner = body.get("generateContentRequest")
        return {k: v for k, v in (inner if isinstance(inner, dict) else body).items() if k != "model"}
    return body


async def _answer(call: ClientCall, upstream: Upstream, resp: httpx.Response, field: str) -> Response:
    """The client's count answer holding the count the upstream's answer has in ``field``."""
    name = upstream.provider.name
    try:
        data = await resp.aread()
    except TRANSPORT_ERRORS as exc:
        raise classify(exc, name) from None
    finally:
        await resp.aclose()
    try:
        count = orjson.loads(data).get(field)
    except (orjson.JSONDecodeError, AttributeError):
        count = None
    if type(count) is not int or count < 0:
        raise UpstreamError(
            f"the upstream's token count ({field}) could not be read", status=502, provider=name
        )
    body = call.surface.count_tokens_body
    assert body is not None  # only surfaces with a count endpoint route here
    return Response(orjson.dumps(body(count)), headers={"content-type": "application/json"})


def _as_counted(ctx: RequestContext, call: ClientCall) -> JSONObject:
    """What the local estimate counts: a Responses request with its ``previous_response_id``
    and item references resolved from the gateway's stored responses (``stateful.py``, the
    owner checked as for a create), as the upstream would be sent it; references nothing
    resolved (no store) are refused as a translated create refuses them."""
    if call.fmt is not Format.OPENAI_RESPONSES:
        return call.body
    if call.resolved is None:
        route = ctx.route
        legs = (*route.legs, *route.context_legs) if route is not None else ()
        refuse_unresolved(call, ", ".join(sorted({t.provider.format.value for leg in legs for t in leg.targets})))
        return call.body
    # ``store`` is the honoured value set by resolve_call, not part of a count request.
    return {k: v for k, v in call.resolved.items() if k != "store" or "store" in call.body}


def estimate(ctx: RequestContext, call: ClientCall) -> Response:
    """The local estimate, for routes with no target that counts."""
    if call.fmt is Format.OPENAI_RESPONSES and "conversation" in call.body:
        # Its items live in an OpenAI account: counting without them would answer another request.
        raise InvalidRequest(
            "conversation: refers to state kept by an OpenAI Responses upstream; this model's "
            "upstreams cannot count it",
            param="conversation",
        )
    count, note = estimate_for(call.surface, _as_counted(ctx, call))
    ctx.warnings.append(note)
    body = call.surface.count_tokens_body
    assert body is not None
    headers = {"content-type": "application/json", TOKEN_COUNT_HEADER: "estimate"}
    return Response(orjson.dumps(body(count)), headers=headers)
