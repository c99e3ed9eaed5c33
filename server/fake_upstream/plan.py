"""What the fake model answers: a format-neutral plan built from a request.

The fake upstream reads a request of any of its formats (``read_*`` functions of the format modules:
OpenAI Chat, Anthropic Messages, Gemini, OpenAI Responses, Bedrock Converse)
into a :class:`Conversation` (just what the answer depends on), decides a
deterministic :class:`Plan` (thinking, text, tool calls, stop reason, usage),
and the format renderers turn the plan into wire JSON, SSE
events or Bedrock's binary event-stream frames.

The fake model's rules (documented for test writers and README readers):

1. The last message is a tool result -> text summarising it:
   ``The tool get_weather returned: {"temp": 21}.``
2. Else tools are offered (and ``tool_choice`` is not ``none``) -> it calls the
   tool ``tool_choice`` names, else the tool whose name the last user text block
   contains as a word, else the first tool, with arguments made from the schema
   (strings: a `backquoted` part of that text block, e.g. a shell command). When the last user text says "parallel" (and parallel calls are not
   disabled) it calls every tool once (the first tool twice if there is only one).
3. Else text: ``Hello from the demo upstream! You said: <last user text>``,
   plus ``I see N image(s).`` when the last user turn has images; when the request asks
   for structured output in its format's own field (``structured.py``), the text is
   instead the schema's minimal instance, as JSON (arguments' rules, rule 2).
4. Thinking is produced when requested (Anthropic ``thinking`` enabled or
   adaptive; OpenAI ``reasoning_effort``; Gemini ``thinkingConfig.includeThoughts``;
   Responses ``reasoning`` (summary text only with ``reasoning.summary``);
   Bedrock ``additionalModelRequestFields.thinking``), before the text or tool calls.
5. ``max_tokens`` cuts the text at that many output tokens (stop reason
   ``max_tokens`` / ``length``); a stop sequence found in the text cuts it
   there (``stop_sequence`` / ``stop``).

One output token is one whitespace-separated word of text (or one 8-byte piece
of tool arguments); the input token count is :func:`estimate_input_tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from interlingua.server.tokens import estimate_input_tokens

__all__ = [
    "ARG_PIECE",
    "BadRequest",
    "Conversation",
    "Plan",
    "ToolCall",
    "input_tokens",
    "make_plan",
    "rough_tokens",
    "split_words",
]

JSON = dict[str, Any]
ARG_PIECE = 8


@dataclass(slots=True)
class ToolCall:
    name: str
    arguments: str  # JSON text, streamed in ARG_PIECE-byte pieces


@dataclass(slots=True)
class Conversation:
    """The parts of a request the fake model's answer depends on."""

    model: str
    last_user_text: str = ""
    last_text_block: str = ""  # the last text block of the last user turn (the prompt, for agents)
    images_in_last_turn: int = 0
    tool_result: tuple[str, str] | None = None  # (tool name, result text) when the last turn is one
    tools: list[tuple[str, JSON]] = field(default_factory=list)  # (name, JSON schema)
    forced_tool: str | None = None
    tools_disabled: bool = False
    parallel_allowed: bool = True
    thinking: bool = False
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    input_tokens: int = 0
    turns: int = 0
    output_schema: JSON | None = None  # structured output asked for (structured.py: resolved)


@dataclass(slots=True)
class Plan:
    thinking: str = ""
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop: str = "end"  # end | tool | max_tokens | stop_sequence
    stop_sequence: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0


class BadRequest(Exception):
    """A request the real API would refuse: answered ``status`` (400) in the format's envelope, naming ``param``."""

    def __init__(self, message: str, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status  # 404: an id the real API does not hold


def split_words(text: str) -> list[str]:
    """Text as streamed pieces: each word with the space before it (one token each)."""
    words = text.split(" ")
    return [words[0]] + [" " + w for w in words[1:]] if text else []


def _snippet(user_text: str) -> str:
    """The first `backquoted` part of the user's text, else its start: string arguments."""
    parts = user_text.split("`")
    return parts[1] if len(parts) > 2 and parts[1] else user_text[:60] or "demo"


def _sample_value(name: str, schema: JSON, user_text: str) -> Any:
    if schema.get("enum"):
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1)) if isinstance(schema.get("minimum"), int) else 1
    if kind == "boolean":
        return True
    if kind == "array":
        items, least = schema.get("items"), schema.get("minItems")
        count = least if isinstance(least, int) and isinstance(items, dict) else 0
        return [_sample_value(name, items, user_text) for _ in range(count)] if isinstance(items, dict) else []
    if kind == "object":
        return _sample_arguments(schema, user_text)
    if any(hint in name.lower() for hint in ("location", "city", "place")):
        return "Paris"
    return _snippet(user_text)


def _sample_arguments(schema: JSON, user_text: str) -> JSON:
    """Plausible arguments: every required property (all properties if none required)."""
    props = schema.get("properties") or {}
    wanted = schema.get("required") or list(props)
    return {name: _sample_value(name, props.get(name) or {}, user_text) for name in wanted}


def _tool_calls(conv: Conversation) -> list[ToolCall]:
    # The forced tool, else the one the user's last text block names, else the first.
    named = [t for t in conv.tools if f" {t[0]} " in f" {conv.last_text_block} "]
    chosen = [t for t in conv.tools if t[0] == conv.forced_tool] or named[:1] or conv.tools[:1]
    if conv.parallel_allowed and "parallel" in conv.last_user_text.lower():
        chosen = conv.tools if len(conv.tools) > 1 else conv.tools * 2
    return [
        ToolCall(name, orjson.dumps(_sample_arguments(schema, conv.last_text_block)).decode())
        for name, schema in chosen
    ]


def _answer_text(conv: Conversation) -> str:
    if conv.output_schema is not None:
        value = _sample_value("", conv.output_schema, conv.last_text_block or conv.last_user_text)
        return orjson.dumps(value).decode()
    if conv.tool_result is not None:
        name, result = conv.tool_result
        return f"The tool {name} returned: {result[:200]}."
    text = f"Hello from the demo upstream! You said: {conv.last_user_text[:500]}"
    if conv.images_in_last_turn:
        text += f" I see {conv.images_in_last_turn} image(s)."
    return text


def _apply_limits(plan: Plan, conv: Conversation) -> None:
    for seq in conv.stop:
        if seq and seq in plan.text:
            plan.text = plan.text[: plan.text.index(seq)]
            plan.stop, plan.stop_sequence = "stop_sequence", seq
            break
    words = split_words(plan.text)
    budget = (conv.max_tokens or 1 << 30) - len(split_words(plan.thinking))
    if len(words) > budget:
        plan.text = "".join(words[: max(budget, 0)])
        plan.stop = "max_tokens"


def make_plan(conv: Conversation) -> Plan:
    plan = Plan(input_tokens=conv.input_tokens)
    if conv.thinking:
        plan.thinking = f"The user wrote {len(conv.last_user_text)} characters; I will answer briefly."
    if conv.tool_result is None and conv.tools and not conv.tools_disabled:
        plan.tool_calls = _tool_calls(conv)
        plan.stop = "tool"
    else:
        plan.text = _answer_text(conv)
        _apply_limits(plan, conv)
    plan.reasoning_tokens = len(split_words(plan.thinking))
    args = sum(-(-len(c.arguments) // ARG_PIECE) + 1 for c in plan.tool_calls)
    plan.output_tokens = max(1, plan.reasoning_tokens + len(split_words(plan.text)) + args)
    return plan


def input_tokens(body: JSON, fmt: str) -> int:
    return estimate_input_tokens(body, fmt)


def rough_tokens(body: Any) -> int:
    """The fake's input token count for formats without a dedicated estimate: 4 bytes a token."""
    return max(1, len(orjson.dumps(body)) // 4)
