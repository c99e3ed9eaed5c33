"""A plan as Gemini wire output: a ``GenerateContentResponse`` JSON, or its
``streamGenerateContent?alt=sse`` chunks (``data: {...}\\r\\n\\r\\n``; text
in word pieces, each function call whole, the last chunk carrying
``finishReason`` and ``usageMetadata``).
https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse

Thought parts (``thought: true``) carry a ``thoughtSignature``; the first
function call part carries one too, as Gemini 3 models send it.
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.demo.plan import Plan, split_words

__all__ = ["GEMINI_SIGNATURE", "gemini_error", "gemini_json", "gemini_models", "gemini_sse"]

JSON = dict[str, Any]
GEMINI_SIGNATURE = "ZGVtby1nZW1pbmktc2lnbmF0dXJl"
FINISH_REASONS = {"end": "STOP", "stop_sequence": "STOP", "tool": "STOP", "max_tokens": "MAX_TOKENS"}
MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "demo-gemini")
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _call_parts(plan: Plan, rid: str) -> list[JSON]:
    parts: list[JSON] = []
    for i, call in enumerate(plan.tool_calls):
        part: JSON = {
            "functionCall": {"id": f"fc_{rid}_{i}", "name": call.name, "args": orjson.loads(call.arguments)}
        }
        if i == 0:
            part["thoughtSignature"] = GEMINI_SIGNATURE
        parts.append(part)
    return parts


def _usage(plan: Plan) -> JSON:
    candidates = plan.output_tokens - plan.reasoning_tokens
    usage: JSON = {
        "promptTokenCount": plan.input_tokens,
        "candidatesTokenCount": candidates,
        "totalTokenCount": plan.input_tokens + plan.output_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": plan.input_tokens}],
    }
    if plan.reasoning_tokens:
        usage["thoughtsTokenCount"] = plan.reasoning_tokens
    return usage


def _chunk(
    parts: list[JSON], model: str, rid: str, finish: str | None = None, usage: JSON | None = None
) -> JSON:
    candidate: JSON = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    out: JSON = {"candidates": [candidate], "modelVersion": model, "responseId": rid}
    if usage:
        out["usageMetadata"] = usage
    return out


def gemini_json(plan: Plan, model: str, rid: str) -> JSON:
    parts: list[JSON] = []
    if plan.thinking:
        parts.append({"text": plan.thinking, "thought": True, "thoughtSignature": GEMINI_SIGNATURE})
    if plan.text or not plan.tool_calls:
        parts.append({"text": plan.text})
    parts += _call_parts(plan, rid)
    return _chunk(parts, model, rid, FINISH_REASONS[plan.stop], _usage(plan))


def gemini_chunks(plan: Plan, model: str, rid: str) -> list[JSON]:
    pieces: list[JSON] = [{"text": w, "thought": True} for w in split_words(plan.thinking)]
    if pieces:
        pieces[-1]["thoughtSignature"] = GEMINI_SIGNATURE
    pieces += [{"text": w} for w in split_words(plan.text)]
    pieces += _call_parts(plan, rid)
    chunks = [_chunk([p], model, rid) for p in pieces]
    if not chunks:
        chunks = [_chunk([{"text": ""}], model, rid)]
    last = chunks[-1]
    last["candidates"][0]["finishReason"] = FINISH_REASONS[plan.stop]
    last["usageMetadata"] = _usage(plan)
    return chunks


def gemini_sse(plan: Plan, model: str, rid: str) -> list[bytes]:
    return [b"data: " + orjson.dumps(c) + b"\r\n\r\n" for c in gemini_chunks(plan, model, rid)]


def gemini_error(status: int, message: str) -> JSON:
    return {"error": {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}}


def gemini_models() -> JSON:
    return {
        "models": [
            {
                "name": f"models/{m}",
                "version": "001",
                "displayName": f"{m} (demo)",
                "description": "Fake Gemini model of the Interlingua demo upstream.",
                "inputTokenLimit": 1_048_576,
                "outputTokenLimit": 65_536,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "thinking": True,
            }
            for m in MODELS
        ]
    }
