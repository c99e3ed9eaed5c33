"""Anthropic Messages for the fake upstream: reading a request, rendering an answer.

Reading: a Messages request is checked as strictly as Anthropic checks it.

Checked: ``model``, ``max_tokens``, roles, block types and their required
fields, every ``tool_use`` answered by a ``tool_result`` in the very next
message (and no ``tool_result`` without its ``tool_use``), tool definitions,
the thinking budget. A violation raises :class:`BadRequest` with the field
path, returned as Anthropic's 400 ``invalid_request_error``.
https://docs.anthropic.com/en/api/messages

Rendering: a plan as Anthropic Messages wire output: a ``message`` JSON or the full
event sequence (``message_start``, per block ``content_block_start`` /
``content_block_delta`` / ``content_block_stop``, ``message_delta``,
``message_stop``, with a ``ping`` after the start as the real API sends).
https://docs.anthropic.com/en/api/messages
https://docs.anthropic.com/en/docs/build-with-claude/streaming
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.fake_upstream.plan import (
    ARG_PIECE,
    BadRequest,
    Conversation,
    Plan,
    input_tokens,
    make_plan,
    split_words,
)
from interlingua.server.fake_upstream.structured import output_schema

__all__ = [
    "STOP_REASONS",
    "anthropic_error",
    "anthropic_json",
    "anthropic_sse",
    "anthropic_stream_error",
    "error_type",
    "messages_answer",
    "read_anthropic",
]

JSON = dict[str, Any]

# Mid-conversation "system" messages are accepted: newer API versions take them.
_ROLES = frozenset({"user", "assistant", "system"})
_REQUIRED = {
    "text": ("text",),
    "image": ("source",),
    "document": ("source",),
    "tool_use": ("id", "name", "input"),
    "tool_result": ("tool_use_id",),
    "thinking": ("thinking", "signature"),
    "redacted_thinking": ("data",),
}


def _blocks(content: Any, where: str) -> list[JSON]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise BadRequest(f"{where}: Input should be a valid list", where)
    for i, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in _REQUIRED:
            raise BadRequest(
                f"{where}.{i}.type: Input tag {kind!r} does not match any of the expected tags",
                f"{where}.{i}.type",
            )
        for name in _REQUIRED[kind]:
            if name not in block:
                raise BadRequest(f"{where}.{i}.{kind}.{name}: Field required", f"{where}.{i}.{name}")
        if kind == "image" and block["source"].get("type") not in ("base64", "url", "file"):
            raise BadRequest(
                f"{where}.{i}.image.source.type: invalid image source", f"{where}.{i}.source.type"
            )
    return content


def _result_text(block: JSON) -> str:
    content = block.get("content", "")
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return str(content)


def _check_pairing(i: int, blocks: list[JSON], pending: dict[str, str], conv: Conversation) -> None:
    """Tool results must answer exactly the tool_use ids of the previous assistant turn."""
    results = [b for b in blocks if b["type"] == "tool_result"]
    answered = {b["tool_use_id"] for b in results}
    if pending and not set(pending) <= answered:
        missing = sorted(set(pending) - answered)
        raise BadRequest(
            f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {', '.join(missing)}. "
            "Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
            f"messages.{i}.content",
        )
    for b in results:
        if b["tool_use_id"] not in pending:
            raise BadRequest(
                f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: {b['tool_use_id']}. "
                "Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
                f"messages.{i}.content",
            )
    conv.tool_result = (pending[results[-1]["tool_use_id"]], _result_text(results[-1])) if results else None


def _read_messages(body: JSON, conv: Conversation) -> None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages: Field required", "messages")
    pending: dict[str, str] = {}
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in _ROLES:
            raise BadRequest(
                f"messages.{i}.role: Input should be 'user' or 'assistant'", f"messages.{i}.role"
            )
        blocks = _blocks(msg.get("content"), f"messages.{i}.content")
        if role == "system":
            continue
        if role == "user":
            _check_pairing(i, blocks, pending, conv)
            texts = [b["text"] for b in blocks if b["type"] == "text"]
            if texts or not conv.tool_result:
                conv.last_user_text = "\n".join(texts)
                conv.last_text_block = texts[-1] if texts else ""
                conv.images_in_last_turn = sum(1 for b in blocks if b["type"] == "image")
                conv.turns += 1
            pending = {}
        else:
            if pending:
                _check_pairing(i, [], pending, conv)
            pending = {b["id"]: b["name"] for b in blocks if b["type"] == "tool_use"}
            conv.tool_result = None


def _read_tools(body: JSON, conv: Conversation) -> None:
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise BadRequest(f"tools.{i}.name: Field required", f"tools.{i}.name")
        if tool.get("type", "custom") == "custom":
            if not isinstance(tool.get("input_schema"), dict):
                raise BadRequest(f"tools.{i}.custom.input_schema: Field required", f"tools.{i}.input_schema")
            conv.tools.append((tool["name"], tool["input_schema"]))
    choice = body.get("tool_choice") or {}
    conv.tools_disabled = choice.get("type") == "none"
    if choice.get("type") == "tool":
        conv.forced_tool = choice.get("name")
    conv.parallel_allowed = not choice.get("disable_parallel_tool_use", False)


def _read_thinking(body: JSON, conv: Conversation) -> None:
    thinking = body.get("thinking") or {}
    kind = thinking.get("type")
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            raise BadRequest(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
                "thinking.budget_tokens",
            )
        if budget >= body["max_tokens"]:
            raise BadRequest("`max_tokens` must be greater than `thinking.budget_tokens`.", "max_tokens")
    conv.thinking = kind in ("enabled", "adaptive")
    if conv.thinking:
        _check_tool_loop_thinking(body["messages"])


def _check_tool_loop_thinking(messages: list[JSON]) -> None:
    """While thinking is on, the assistant turn a tool loop continues (the last one, answered by
    tool results) must start with a thinking block, as Anthropic answers otherwise."""
    last = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "assistant"), None)
    if last is None or last != len(messages) - 2:
        return
    blocks = messages[last].get("content")
    if not isinstance(blocks, list) or not any(b.get("type") == "tool_use" for b in blocks):
        return
    if blocks[0].get("type") not in ("thinking", "redacted_thinking"):
        raise BadRequest(
            f"messages.{last}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
            f"`{blocks[0].get('type')}`. When `thinking` is enabled, a final `assistant` message must start "
            "with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks).",
            f"messages.{last}.content.0.type",
        )


def read_anthropic(body: JSON) -> Conversation:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("model: Field required", "model")
    limit = body.get("max_tokens")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise BadRequest("max_tokens: Field required (a positive integer)", "max_tokens")
    conv = Conversation(model=model, max_tokens=limit)
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        _blocks(system, "system")
    _read_messages(body, conv)
    _read_tools(body, conv)
    _read_thinking(body, conv)
    conv.output_schema = output_schema("anthropic_messages", body)
    conv.stop = list(body.get("stop_sequences") or [])
    conv.input_tokens = input_tokens(body, "anthropic_messages")
    return conv


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


def messages_answer(body: JSON, rid: str) -> Any:
    """The answer to a Messages request: a message, or its SSE events."""
    conv = read_anthropic(body)
    plan = make_plan(conv)
    return (
        anthropic_sse(plan, conv.model, rid) if body.get("stream") else anthropic_json(plan, conv.model, rid)
    )
