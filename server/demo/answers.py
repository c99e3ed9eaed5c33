"""The fake upstream's answers for Gemini, OpenAI Responses, Azure OpenAI and
Bedrock Converse: read the request, plan, render (JSON, SSE events, a JSON
array for Gemini streams without ``alt=sse``, or Bedrock event-stream frames).
Each raises :class:`BadRequest` for a request the real API would refuse."""

from __future__ import annotations

from typing import Any

from interlingua.server.demo.plan import make_plan
from interlingua.server.demo.read_bedrock import read_bedrock
from interlingua.server.demo.read_gemini import read_gemini, read_gemini_count_tokens
from interlingua.server.demo.read_openai import BadRequest
from interlingua.server.demo.read_responses import read_responses
from interlingua.server.demo.render_bedrock import bedrock_json, bedrock_stream
from interlingua.server.demo.render_gemini import gemini_chunks, gemini_json, gemini_sse
from interlingua.server.demo.render_responses import responses_json, responses_sse

__all__ = ["azure_body", "bedrock_answer", "gemini_answer", "responses_answer"]

JSON = dict[str, Any]


def gemini_answer(body: JSON, model: str, method: str, sse: bool, rid: str) -> Any:
    if method == "countTokens":
        return {"totalTokens": read_gemini_count_tokens(body, model)}
    if method not in ("generateContent", "streamGenerateContent"):
        raise BadRequest(f"Method {method!r} not found for models/{model}.")
    plan = make_plan(read_gemini(body, model))
    if method == "generateContent":
        return gemini_json(plan, model, rid)
    return gemini_sse(plan, model, rid) if sse else tuple(gemini_chunks(plan, model, rid))


def responses_answer(body: JSON, rid: str) -> Any:
    plan = make_plan(read_responses(body))
    return responses_sse(plan, body, rid) if body.get("stream") else responses_json(plan, body, rid)


def azure_body(body: JSON, deployment: str, api_version: str | None) -> JSON:
    """The Chat Completions body Azure serves: the deployment is the model."""
    if not api_version:
        raise BadRequest("Missing required query parameter: api-version.", "api-version")
    return {**body, "model": body.get("model") or deployment}


def bedrock_answer(body: JSON, model: str, method: str, rid: str) -> Any:
    if method not in ("converse", "converse-stream"):
        raise BadRequest(f"Unknown operation {method!r}.")
    plan = make_plan(read_bedrock(body, model))
    return bedrock_stream(plan, rid) if method == "converse-stream" else bedrock_json(plan, rid)
