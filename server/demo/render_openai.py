"""A plan as OpenAI Chat Completions wire output: a ``chat.completion`` JSON or
``chat.completion.chunk`` SSE events ending in ``data: [DONE]``.
https://platform.openai.com/docs/api-reference/chat/object
https://platform.openai.com/docs/api-reference/chat-streaming

Reasoning text goes in the ``reasoning_content`` field (the dialect of
OpenAI-compatible servers such as DeepSeek and vLLM; OpenAI itself hides it).
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.demo.plan import ARG_PIECE, Plan, split_words

__all__ = ["FINISH_REASONS", "openai_error", "openai_json", "openai_sse"]

JSON = dict[str, Any]
FINISH_REASONS = {"end": "stop", "stop_sequence": "stop", "tool": "tool_calls", "max_tokens": "length"}
CREATED = 1_700_000_000
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def _usage(plan: Plan) -> JSON:
    return {
        "prompt_tokens": plan.input_tokens,
        "completion_tokens": plan.output_tokens,
        "total_tokens": plan.input_tokens + plan.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": plan.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def openai_json(plan: Plan, model: str, rid: str) -> JSON:
    message: JSON = {"role": "assistant", "content": plan.text or None, "refusal": None, "annotations": []}
    if plan.thinking:
        message["reasoning_content"] = plan.thinking
    if plan.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{rid}_{i}",
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for i, c in enumerate(plan.tool_calls)
        ]
    return {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": FINISH_REASONS[plan.stop]}
        ],
        "usage": _usage(plan),
        "service_tier": "default",
        "system_fingerprint": "fp_demo",
    }


def _deltas(plan: Plan, rid: str) -> list[JSON]:
    deltas: list[JSON] = [{"role": "assistant", "content": "", "refusal": None}]
    deltas += [{"reasoning_content": w} for w in split_words(plan.thinking)]
    deltas += [{"content": w} for w in split_words(plan.text)]
    for i, call in enumerate(plan.tool_calls):
        head = {
            "index": i,
            "id": f"call_{rid}_{i}",
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        deltas.append({"tool_calls": [head]})
        for at in range(0, len(call.arguments), ARG_PIECE):
            piece = call.arguments[at : at + ARG_PIECE]
            deltas.append({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    return deltas


def openai_sse(plan: Plan, model: str, rid: str, include_usage: bool) -> list[bytes]:
    """Every event of the stream, each a complete ``data: ...\\n\\n`` frame."""
    base: JSON = {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "service_tier": "default",
        "system_fingerprint": "fp_demo",
    }
    if include_usage:
        base["usage"] = None
    chunks: list[JSON] = [
        {**base, "choices": [{"index": 0, "delta": d, "logprobs": None, "finish_reason": None}]}
        for d in _deltas(plan, rid)
    ]
    finish = FINISH_REASONS[plan.stop]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}]})
    if include_usage:
        chunks.append({**base, "choices": [], "usage": _usage(plan)})
    return [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]


def openai_error(status: int, message: str, param: str | None = None) -> JSON:
    kind, code = _ERROR_TYPES.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
