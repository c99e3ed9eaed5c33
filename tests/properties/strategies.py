"""Hypothesis strategies for *valid* OpenAI Chat and Anthropic Messages bodies.

Valid means what each provider documents: OpenAI tool messages follow the
assistant message that called them; Anthropic roles alternate starting with
``user``, tool results open the user turn right after the ``tool_use`` blocks
they answer, ``max_tokens`` is present, thinking budgets stay below it and
forced tool choice is not combined with thinking. Texts are non-empty
(Anthropic rejects empty text blocks) and cover all of Unicode except lone
surrogates. Covered: system prompts (string, parts, blocks), consecutive user
turns, text/image parts, tool calls with arbitrary JSON arguments, tool results
(string, parts, images, ``is_error``), replayed signed thinking, ``cache_control``,
sampling parameters, stop sequences and every tool choice.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import strategies as st

__all__ = [
    "anthropic_requests",
    "anthropic_responses",
    "json_values",
    "openai_requests",
    "openai_responses",
]

JSON = dict[str, Any]
Draw = st.DrawFn

texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=24)
names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,15}", fullmatch=True)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
arguments = st.dictionaries(names, json_values, max_size=4)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
_IMAGE: JSON = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}


def _tools(draw: Draw) -> list[str]:
    return draw(st.lists(names, min_size=1, max_size=3, unique=True))


class _Ids:
    """Unique tool-call ids per body (providers require them unique within a conversation)."""

    def __init__(self, prefix: str) -> None:
        self.prefix, self.n = prefix, 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.prefix}{self.n:04d}"


# --- OpenAI Chat ---------------------------------------------------------------------------


def _openai_user(draw: Draw) -> JSON:
    if draw(st.booleans()):
        return {"role": "user", "content": draw(texts)}
    parts: list[JSON] = [{"type": "text", "text": t} for t in draw(st.lists(texts, min_size=1, max_size=3))]
    if draw(st.booleans()):
        url = draw(st.sampled_from([f"data:image/png;base64,{PNG}", "https://example.com/cat.jpg"]))
        parts.insert(draw(st.integers(0, len(parts))), {"type": "image_url", "image_url": {"url": url}})
    return {"role": "user", "content": parts}


def _openai_turn(draw: Draw, tools: list[str], new_id: _Ids) -> list[JSON]:
    calls = [
        {
            "id": new_id(),
            "type": "function",
            "function": {"name": draw(st.sampled_from(tools)), "arguments": draw(arguments.map(_dumps))},
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    assistant: JSON = {"role": "assistant"}
    if not calls or draw(st.booleans()):
        assistant["content"] = draw(texts) if draw(st.booleans()) else _parts(draw)
    if calls:
        assistant["tool_calls"] = calls
    results = [{"role": "tool", "tool_call_id": c["id"], "content": _tool_content(draw)} for c in calls]
    users = [_openai_user(draw) for _ in range(draw(st.integers(1, 2)))]  # consecutive user turns are valid
    return [*users, assistant, *results]


def _parts(draw: Draw) -> list[JSON]:
    return [{"type": "text", "text": t} for t in draw(st.lists(texts, min_size=1, max_size=3))]


def _tool_content(draw: Draw) -> Any:
    return draw(texts) if draw(st.booleans()) else _parts(draw)


@st.composite
def openai_requests(draw: Draw) -> JSON:
    tools, new_id = _tools(draw), _Ids("call_")
    messages: list[JSON] = []
    for _ in range(draw(st.integers(0, 2))):
        messages.append({"role": draw(st.sampled_from(["system", "developer"])), "content": draw(texts)})
    for _ in range(draw(st.integers(0, 3))):
        messages.extend(_openai_turn(draw, tools, new_id))
    messages.append(_openai_user(draw))
    body: JSON = {
        "model": "gpt-4.1",
        "messages": messages,
        "tools": [
            {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in tools
        ],
    }
    optional = {
        "temperature": st.floats(0, 1),
        "top_p": st.floats(0, 1),
        "max_completion_tokens": st.integers(1, 8192),
        "stop": st.lists(texts, min_size=1, max_size=2),
        "tool_choice": st.sampled_from(
            ["auto", "none", "required", {"type": "function", "function": {"name": tools[0]}}]
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


@st.composite
def openai_responses(draw: Draw) -> JSON:
    new_id = _Ids("call_")
    calls = [
        {
            "id": new_id(),
            "type": "function",
            "function": {"name": draw(names), "arguments": draw(arguments.map(_dumps))},
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    message: JSON = {
        "role": "assistant",
        "content": draw(texts) if not calls or draw(st.booleans()) else None,
    }
    finish = "tool_calls" if calls else draw(st.sampled_from(["stop", "length"]))
    if calls:
        message["tool_calls"] = calls
    prompt, completion = draw(st.integers(1, 10**6)), draw(st.integers(1, 10**5))
    return {
        "id": "chatcmpl-prop",
        "object": "chat.completion",
        "created": 1_750_000_000,
        "model": "gpt-4.1",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


# --- Anthropic Messages ------------------------------------------------------------------------


def _text_blocks(draw: Draw, min_size: int = 1) -> list[JSON]:
    return [{"type": "text", "text": t} for t in draw(st.lists(texts, min_size=min_size, max_size=3))]


def _anthropic_user(draw: Draw, answered: list[str]) -> JSON:
    results: list[JSON] = []
    for call_id in answered:
        result: JSON = {"type": "tool_result", "tool_use_id": call_id}
        result["content"] = draw(texts) if draw(st.booleans()) else _text_blocks(draw)
        if isinstance(result["content"], list) and draw(st.booleans()):
            result["content"].append(_IMAGE)
        if draw(st.booleans()):
            result["is_error"] = draw(st.booleans())
        results.append(result)
    extra = _text_blocks(draw, min_size=0 if results else 1)
    if draw(st.booleans()):
        extra.append(_IMAGE)
    if extra and draw(st.booleans()):
        extra[-1] = {**extra[-1], "cache_control": {"type": "ephemeral"}}
    if not results and len(extra) == 1 and extra[0]["type"] == "text" and draw(st.booleans()):
        return {"role": "user", "content": extra[0]["text"]}
    return {"role": "user", "content": results + extra}


def _anthropic_assistant(draw: Draw, tools: list[str], new_id: _Ids, thinking: bool) -> JSON:
    blocks = _text_blocks(draw, min_size=0)
    if thinking:  # replayed thinking leads the assistant turn, with its signature
        blocks.insert(0, {"type": "thinking", "thinking": draw(texts), "signature": "RXVnQ0NrQUlDeGdDS2tB"})
    for _ in range(draw(st.integers(0 if blocks else 1, 3))):
        blocks.append(
            {
                "type": "tool_use",
                "id": new_id(),
                "name": draw(st.sampled_from(tools)),
                "input": draw(arguments),
            }
        )
    return {"role": "assistant", "content": blocks}


@st.composite
def anthropic_requests(draw: Draw) -> JSON:
    tools, new_id, thinking = _tools(draw), _Ids("toolu_"), draw(st.booleans())
    messages: list[JSON] = []
    answered: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        messages.append(_anthropic_user(draw, answered))
        assistant = _anthropic_assistant(draw, tools, new_id, thinking)
        messages.append(assistant)
        answered = [b["id"] for b in assistant["content"] if b["type"] == "tool_use"]
    messages.append(_anthropic_user(draw, answered))
    body: JSON = {
        "model": "claude-sonnet-4-5",
        "max_tokens": draw(st.integers(2048 if thinking else 1, 8192)),
        "messages": messages,
        "tools": [{"name": n, "input_schema": {"type": "object"}} for n in tools],
    }
    if draw(st.booleans()):
        body["system"] = draw(texts) if draw(st.booleans()) else _text_blocks(draw)
    optional = {
        "temperature": st.floats(0, 1),
        "top_p": st.floats(0, 1),
        "stop_sequences": st.lists(texts, min_size=1, max_size=2),
        "tool_choice": st.sampled_from(
            [{"type": "auto"}, {"type": "any"}, {"type": "tool", "name": tools[0]}]
        ),
    }
    if thinking:  # documented: with thinking, budget < max_tokens and tool_choice only auto/none
        body["thinking"] = {
            "type": "enabled",
            "budget_tokens": draw(st.integers(1024, body["max_tokens"] - 1)),
        }
        optional["tool_choice"] = st.just({"type": "auto"})
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


@st.composite
def anthropic_responses(draw: Draw) -> JSON:
    new_id = _Ids("toolu_")
    content: list[JSON] = []
    if draw(st.booleans()):
        content.append({"type": "thinking", "thinking": draw(texts), "signature": "c2lnbmF0dXJl"})
    content += _text_blocks(draw, min_size=0)
    calls = [
        {"type": "tool_use", "id": new_id(), "name": draw(names), "input": draw(arguments)}
        for _ in range(draw(st.integers(0 if content else 1, 3)))
    ]
    stop = "tool_use" if calls else draw(st.sampled_from(["end_turn", "max_tokens"]))
    usage: JSON = {"input_tokens": draw(st.integers(0, 10**6)), "output_tokens": draw(st.integers(1, 10**5))}
    if draw(st.booleans()):
        usage["cache_read_input_tokens"] = draw(st.integers(0, 10**5))
    return {
        "id": "msg_prop",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": content + calls,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
