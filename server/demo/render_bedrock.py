"""A plan as Bedrock Converse wire output: the Converse JSON, or ConverseStream's
binary ``application/vnd.amazon.eventstream`` frames (``messageStart``,
``contentBlockStart``/``Delta``/``Stop``, ``messageStop``, ``metadata``),
and Bedrock's errors (``x-amzn-ErrorType`` header, ``{"message": ...}`` body;
mid-stream an exception frame).
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html

Frame layout (AWS event stream encoding): total length (u32), headers length
(u32), CRC32 of those 8 bytes, headers (name length u8, name, type 7 = string,
value length u16, value), payload, CRC32 of everything before it.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import orjson

from interlingua.server.demo.plan import ARG_PIECE, Plan, split_words

__all__ = ["bedrock_error", "bedrock_exception_frame", "bedrock_json", "bedrock_stream", "event_frame"]

JSON = dict[str, Any]
SIGNATURE = "ZGVtby1iZWRyb2NrLXNpZ25hdHVyZQ=="
STOP_REASONS = {
    "end": "end_turn",
    "stop_sequence": "stop_sequence",
    "tool": "tool_use",
    "max_tokens": "max_tokens",
}
ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", 7, len(raw_value)) + raw_value


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    encoded = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + encoded + payload
    return body + struct.pack("!I", zlib.crc32(body))


def event_frame(kind: str, payload: JSON) -> bytes:
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, orjson.dumps(payload))


def bedrock_exception_frame(status: int, message: str) -> bytes:
    kind = ERROR_TYPES.get(status, "InternalServerException")
    kind = "modelStreamErrorException" if status >= 500 else kind[0].lower() + kind[1:]
    headers = {":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"}
    return frame(headers, orjson.dumps({"message": message}))


def _content(plan: Plan, rid: str) -> list[JSON]:
    blocks: list[JSON] = []
    if plan.thinking:
        blocks.append(
            {"reasoningContent": {"reasoningText": {"text": plan.thinking, "signature": SIGNATURE}}}
        )
    if plan.text or not plan.tool_calls:
        blocks.append({"text": plan.text})
    for i, call in enumerate(plan.tool_calls):
        use = {"toolUseId": f"tooluse_{rid}_{i}", "name": call.name, "input": orjson.loads(call.arguments)}
        blocks.append({"toolUse": use})
    return blocks


def _usage(plan: Plan) -> JSON:
    return {
        "inputTokens": plan.input_tokens,
        "outputTokens": plan.output_tokens,
        "totalTokens": plan.input_tokens + plan.output_tokens,
    }


def bedrock_json(plan: Plan, rid: str) -> JSON:
    return {
        "output": {"message": {"role": "assistant", "content": _content(plan, rid)}},
        "stopReason": STOP_REASONS[plan.stop],
        "usage": _usage(plan),
        "metrics": {"latencyMs": 1},
    }


def _block_events(index: int, block: JSON, plan: Plan) -> list[tuple[str, JSON]]:
    at: JSON = {"contentBlockIndex": index}
    events: list[tuple[str, JSON]] = []
    if "reasoningContent" in block:
        deltas: list[JSON] = [{"reasoningContent": {"text": w}} for w in split_words(plan.thinking)]
        deltas.append({"reasoningContent": {"signature": SIGNATURE}})
    elif "text" in block:
        deltas = [{"text": w} for w in split_words(block["text"])]
    else:
        use = block["toolUse"]
        events.append(
            (
                "contentBlockStart",
                {**at, "start": {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}},
            )
        )
        args = orjson.dumps(use["input"]).decode()
        deltas = [{"toolUse": {"input": args[i : i + ARG_PIECE]}} for i in range(0, len(args), ARG_PIECE)]
    events += [("contentBlockDelta", {**at, "delta": d}) for d in deltas]
    events.append(("contentBlockStop", at))
    return events


def bedrock_stream(plan: Plan, rid: str) -> list[bytes]:
    events: list[tuple[str, JSON]] = [("messageStart", {"role": "assistant"})]
    for index, block in enumerate(_content(plan, rid)):
        events += _block_events(index, block, plan)
    events.append(("messageStop", {"stopReason": STOP_REASONS[plan.stop]}))
    events.append(("metadata", {"usage": _usage(plan), "metrics": {"latencyMs": 1}}))
    return [event_frame(kind, {**payload, "p": "abcdef"}) for kind, payload in events]


def bedrock_error(status: int, message: str) -> tuple[JSON, dict[str, str]]:
    """(body, headers) of a Bedrock error answer."""
    kind = ERROR_TYPES.get(status, "InternalServerException")
    headers = {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"}
    return {"message": message}, headers
