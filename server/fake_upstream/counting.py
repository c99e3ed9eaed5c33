"""The fake upstream's token-counting endpoints, one per format that has one.

Anthropic ``POST /v1/messages/count_tokens``, Gemini ``models/{m}:countTokens``, OpenAI
Responses ``POST /v1/responses/input_tokens`` and Bedrock ``POST /model/{id}/count-tokens``
(``{"input": {"converse": {...}}}``). Like the real ones they refuse fields their published
schemas do not have (a generation-only field such as ``max_tokens`` is a 400), and each
count is the fake's own reading of the body plus :data:`COUNT_OFFSET`, so a test can tell an
upstream count from the gateway's local estimate (:mod:`interlingua.server.tokens`).

Bedrock's CountTokens exists only for some models (Anthropic's Claude); for any other model
id the fake answers as Bedrock does, a 400 ``ValidationException`` "The provided model
doesn't support counting tokens." (:data:`BEDROCK_CANNOT_COUNT`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from interlingua.server.fake_upstream.anthropic_messages import read_anthropic
from interlingua.server.fake_upstream.bedrock_converse import read_bedrock
from interlingua.server.fake_upstream.gemini import read_gemini
from interlingua.server.fake_upstream.openai_responses import read_responses
from interlingua.server.fake_upstream.plan import BadRequest, input_tokens, rough_tokens

__all__ = ["BEDROCK_CANNOT_COUNT", "COUNT_OFFSET", "anthropic_count", "bedrock_count", "gemini_count", "responses_count"]

JSON = dict[str, Any]

# Added to every fake count: no local estimate of a small test request comes near it.
COUNT_OFFSET = 100_000

BEDROCK_CANNOT_COUNT = "The provided model doesn't support counting tokens."

# The request fields of each counting endpoint's published schema (../shared/reference/specs).
_ANTHROPIC = ("messages", "model", "system", "thinking", "tool_choice", "tools")
_GEMINI = ("contents", "generateContentRequest")
_GEMINI_INNER = (
    "model", "systemInstruction", "contents", "tools", "toolConfig", "safetySettings", "generationConfig",
    "cachedContent",
)  # fmt: skip
_RESPONSES = (
    "model", "input", "previous_response_id", "tools", "text", "reasoning", "truncation", "instructions",
    "personality", "conversation", "tool_choice", "parallel_tool_calls",
)  # fmt: skip
_CONVERSE = ("messages", "system", "toolConfig", "additionalModelRequestFields")


def _only(body: JSON, allowed: Iterable[str], where: str = "") -> None:
    for key in body:
        if key not in allowed:
            raise BadRequest(f"{where}{key}: Extra inputs are not permitted", f"{where}{key}")


def anthropic_count(body: JSON) -> JSON:
    _only(body, _ANTHROPIC)
    read_anthropic({**body, "max_tokens": 1 << 20})
    return {"input_tokens": COUNT_OFFSET + input_tokens(body, "anthropic_messages")}


def gemini_count(body: JSON, model: str) -> JSON:
    _only(body, _GEMINI)
    inner = body.get("generateContentRequest")
    if isinstance(inner, dict):
        _only(inner, _GEMINI_INNER, "generateContentRequest.")
    request = inner if isinstance(inner, dict) else body
    read_gemini(request, model)
    return {"totalTokens": COUNT_OFFSET + rough_tokens(request)}


def responses_count(body: JSON) -> JSON:
    _only(body, _RESPONSES)
    read_responses(body)
    return {"object": "response.input_tokens", "input_tokens": COUNT_OFFSET + rough_tokens(body)}


def bedrock_count(body: JSON, model: str) -> JSON:
    if "anthropic.claude" not in model:
        raise BadRequest(BEDROCK_CANNOT_COUNT)
    _only(body, ("input",))
    wrapped = body.get("input")
    converse = wrapped.get("converse") if isinstance(wrapped, dict) else None
    if not isinstance(converse, dict):
        raise BadRequest(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: converse"
        )
    _only(converse, _CONVERSE, "input.converse.")
    read_bedrock(converse, model)
    return {"inputTokens": COUNT_OFFSET + rough_tokens(converse)}
