"""A plan as Anthropic Messages wire output: a ``message`` JSON or the full
event sequence (``message_start``, per block ``content_block_start`` /
``content_block_delta`` / ``content_block_stop``, ``message_delta``,
``message_stop``, with a ``ping`` after the start as the real API sends).
https://docs.anthropic.com/en/api/messages
https://docs.anthropic.com/en/docs/build-with-claude/streaming
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.demo.plan import ARG_PIECE, Plan, split_words

__all__ = ["STOP_REASONS", "anthropic_error", "anthropic_json", "anthropic_sse", "error_type"]

JSON = dict[str, Any]
STOP_REASONS = {
    "end": "end_turn",
    "stop_sequence": "stop_sequence",
    "tool": "tool_use",
    "max_tokens": "max_tokens",
}
SIGNATURE = "ZGVtby1zaWduYXR1cmU="  # opaque, as real signatures are
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    return _ERROR_TYPES.get(status, "api_error")


def _content(plan: Plan, rid: str) -> list[JSON]:
    blocks: list[JSON] = []
    if plan.thinking:
        blocks.append({"type": "thinking", "thinking": plan.thinking, "signature": SIGNATURE})
    if plan.text or not plan.tool_calls:
        blocks.append({"type": "text", "text": plan.text})
    for i, call in enumerate(plan.tool_calls):
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_{rid}_{i}",
                "name": call.name,
                "input": orjson.loads(call.arguments),
            }
        )
    return blocks


def _usage(plan: Plan, output_tokens: int) -> JSON:
    return {
        "input_tokens": plan.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def anthropic_json(plan: Plan, model: str, rid: str) -> JSON:
    return {
        "id": f"msg_{rid}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _content(plan, rid),
        "stop_reason": STOP_REASONS[plan.stop],
        "stop_sequence": plan.stop_sequence,
        "usage": _usage(plan, plan.output_tokens),
    }


def _event(name: str, data: JSON) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _block_events(index: int, block: JSON) -> list[bytes]:
    kind = block["type"]
    if kind == "thinking":
        start: JSON = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": w} for w in split_words(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "text":
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": w} for w in split_words(block["text"])]
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        args = orjson.dumps(block["input"]).decode()
        deltas = [{"type": "input_json_delta", "partial_json": ""}]
        deltas += [
            {"type": "input_json_delta", "partial_json": args[i : i + ARG_PIECE]}
            for i in range(0, len(args), ARG_PIECE)
        ]
    events = [
        _event("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
    ]
    events += [
        _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    ]
    events.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def anthropic_sse(plan: Plan, model: str, rid: str) -> list[bytes]:
    message = anthropic_json(plan, model, rid)
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "usage": _usage(plan, 1)}
    events = [
        _event("message_start", {"type": "message_start", "message": start}),
        _event("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(message["content"]):
        events += _block_events(index, block)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    usage = {
        "input_tokens": plan.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": plan.output_tokens,
    }
    events.append(_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    events.append(_event("message_stop", {"type": "message_stop"}))
    return events


def anthropic_error(status: int, message: str) -> JSON:
    return {
        "type": "error",
        "error": {"type": error_type(status), "message": message},
        "request_id": "req_demo",
    }


def anthropic_stream_error(status: int, message: str) -> bytes:
    body = {"type": "error", "error": {"type": error_type(status), "message": message}}
    return _event("error", body)
