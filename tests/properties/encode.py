"""Render a (generated) response body as the stream its provider would have sent.

Texts, thinking and tool arguments are cut into deltas by ``split`` (drawn by
hypothesis), so tool-call arguments arrive in arbitrary pieces, as upstreams
send them (several tool calls per stream, thinking before text, usage last).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["anthropic_stream", "openai_stream"]

JSON = dict[str, Any]
Split = Callable[[str], list[str]]


def _event(payload: JSON) -> bytes:
    return b"event: " + str(payload["type"]).encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def _data(payload: JSON) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def anthropic_stream(body: JSON, split: Split) -> bytes:
    usage = body["usage"]
    start = {**body, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    out = [_event({"type": "message_start", "message": start})]
    for index, block in enumerate(body["content"]):
        out += _anthropic_block(index, block, split)
    delta = {"stop_reason": body["stop_reason"], "stop_sequence": None}
    out.append(
        _event({"type": "message_delta", "delta": delta, "usage": {"output_tokens": usage["output_tokens"]}})
    )
    out.append(_event({"type": "message_stop"}))
    return b"".join(out)


def _anthropic_block(index: int, block: JSON, split: Split) -> list[bytes]:
    kind = block["type"]
    if kind == "text":
        opening: JSON = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in split(block["text"])]
    elif kind == "thinking":
        opening = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in split(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        arguments = orjson.dumps(block["input"]).decode()
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in split(arguments)]
    out = [_event({"type": "content_block_start", "index": index, "content_block": opening})]
    out += [_event({"type": "content_block_delta", "index": index, "delta": d}) for d in deltas]
    out.append(_event({"type": "content_block_stop", "index": index}))
    return out


def openai_stream(body: JSON, split: Split) -> bytes:
    head = {k: body[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice, message = body["choices"][0], body["choices"][0]["message"]

    def chunk(delta: JSON, finish: str | None = None) -> bytes:
        return _data({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": p}) for p in split(message.get("content") or "")]
    for n, call in enumerate(message.get("tool_calls") or []):
        function = call["function"]
        first = {
            "index": n,
            "id": call["id"],
            "type": "function",
            "function": {"name": function["name"], "arguments": ""},
        }
        out.append(chunk({"tool_calls": [first]}))
        out += [
            chunk({"tool_calls": [{"index": n, "function": {"arguments": p}}]})
            for p in split(function["arguments"])
        ]
    out.append(chunk({}, choice["finish_reason"]))
    out.append(_data({**head, "choices": [], "usage": body["usage"]}))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)
