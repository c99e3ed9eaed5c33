"""OpenAI Chat Completions for the fake upstream: reading a request, rendering an answer.

Reading: a Chat Completions request is checked as strictly as OpenAI checks it.

The checks are the ones a translator is most likely to break: roles, tool
messages answering an earlier ``tool_calls`` id, arguments being JSON text,
tool definitions, content part types. A violation raises :class:`BadRequest`
with the offending field path, which the fake upstream returns as OpenAI's
400 ``invalid_request_error``.
https://platform.openai.com/docs/api-reference/chat/create

Rendering: a plan as OpenAI Chat Completions wire output: a ``chat.completion`` JSON or
``chat.completion.chunk`` SSE events ending in ``data: [DONE]``.
https://platform.openai.com/docs/api-reference/chat/object
https://platform.openai.com/docs/api-reference/chat-streaming

Reasoning text goes in the ``reasoning_content`` field (the dialect of
OpenAI-compatible servers such as DeepSeek and vLLM; OpenAI itself hides it).
"""

from __future__ import annotations

import re
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
    "FINISH_REASONS",
    "azure_body",
    "chat_answer",
    "openai_error",
    "openai_json",
    "openai_sse",
    "read_openai",
]

JSON = dict[str, Any]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _text_of(content: Any, where: str) -> tuple[str, int, str]:
    """(text, number of images, last text part) of a message's content."""
    if content is None or isinstance(content, str):
        return content or "", 0, content or ""
    if not isinstance(content, list):
        raise BadRequest(f"Invalid type for '{where}': expected a string or an array.", where)
    texts, images = [], 0
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in _PART_TYPES:
            raise BadRequest(f"Invalid value for '{where}[{i}].type': {kind!r}.", f"{where}[{i}].type")
        if kind == "text":
            if not isinstance(part.get("text"), str):
                raise BadRequest(f"Missing required parameter: '{where}[{i}].text'.", f"{where}[{i}].text")
            texts.append(part["text"])
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url")
            if not isinstance(url, str) or not url.startswith(("data:image/", "http://", "https://")):
                raise BadRequest(
                    f"Invalid image URL in '{where}[{i}].image_url.url'.", f"{where}[{i}].image_url.url"
                )
            images += 1
    return "\n".join(texts), images, (texts[-1] if texts else "")


def _check_tool_calls(calls: Any, where: str) -> dict[str, str]:
    if not isinstance(calls, list):
        raise BadRequest(f"Invalid type for '{where}': expected an array.", where)
    names: dict[str, str] = {}
    for i, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not call.get("id") or not isinstance(fn.get("name"), str):
            raise BadRequest(f"Missing required parameter: '{where}[{i}].function'.", f"{where}[{i}]")
        try:
            orjson.loads(fn.get("arguments", ""))
        except orjson.JSONDecodeError:
            raise BadRequest(
                f"'{where}[{i}].function.arguments' is not valid JSON.", f"{where}[{i}].function.arguments"
            ) from None
        names[call["id"]] = fn["name"]
    return names


def _read_messages(body: JSON, conv: Conversation) -> None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("Missing required parameter: 'messages'.", "messages")
    call_names: dict[str, str] = {}
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in _ROLES:
            raise BadRequest(f"Invalid value for '{where}.role': {role!r}.", f"{where}.role")
        text, images, last = _text_of(msg.get("content"), f"{where}.content")
        if role == "assistant" and msg.get("tool_calls") is not None:
            call_names.update(_check_tool_calls(msg["tool_calls"], f"{where}.tool_calls"))
        conv.tool_result = None
        if role == "tool":
            call_id = msg.get("tool_call_id")
            if call_id not in call_names:
                raise BadRequest(
                    f"Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' ({where}.tool_call_id={call_id!r}).",
                    f"{where}.tool_call_id",
                )
            conv.tool_result = (call_names[call_id], text)
        elif role == "user":
            conv.last_user_text, conv.images_in_last_turn, conv.last_text_block = text, images, last
            conv.turns += 1


def _read_tools(body: JSON, conv: Conversation) -> None:
    tools = body.get("tools") or []
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(fn, dict)
            or tool.get("type") != "function"
            or not _TOOL_NAME.match(str(fn.get("name")))
        ):
            raise BadRequest(
                f"Invalid value for 'tools[{i}]': a function with a valid name is required.", f"tools[{i}]"
            )
        conv.tools.append((fn["name"], fn.get("parameters") or {}))
    choice = body.get("tool_choice")
    conv.tools_disabled = choice == "none"
    if isinstance(choice, dict):
        conv.forced_tool = (choice.get("function") or {}).get("name")
    conv.parallel_allowed = body.get("parallel_tool_calls", True) is not False


def read_openai(body: JSON) -> Conversation:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("Missing required parameter: 'model'.", "model")
    conv = Conversation(model=model)
    _read_messages(body, conv)
    _read_tools(body, conv)
    effort = body.get("reasoning_effort")
    conv.thinking = effort is not None and effort != "none"
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise BadRequest(
            "Invalid 'max_completion_tokens': must be a positive integer.", "max_completion_tokens"
        )
    conv.max_tokens = limit
    stop = body.get("stop")
    conv.stop = [stop] if isinstance(stop, str) else list(stop or [])
    conv.output_schema = output_schema("openai_chat", body)
    conv.input_tokens = input_tokens(body, "openai_chat")
    return conv


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


def chat_answer(body: JSON, rid: str) -> Any:
    """The answer to a Chat Completions request: a completion, or its SSE events."""
    conv = read_openai(body)
    plan = make_plan(conv)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return openai_sse(plan, conv.model, rid, include_usage)
    return openai_json(plan, conv.model, rid)


def azure_body(body: JSON, deployment: str, api_version: str | None) -> JSON:
    """The Chat Completions body Azure serves: the deployment is the model."""
    if not api_version:
        raise BadRequest("Missing required query parameter: api-version.", "api-version")
    return {**body, "model": body.get("model") or deployment}
