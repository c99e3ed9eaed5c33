"""Message-level procedures: the steps no field mapping can express.

- OpenAI spreads one turn over ``content``, ``tool_calls``, ``refusal``, the
  reasoning field and ``tool_call_id``: :func:`openai_message_to_parts`
  gathers them into one parts list (wire-side parts ``function``,
  ``tool_result`` and ``reasoning`` exist only inside the converter) and
  :func:`openai_split_messages` / :func:`openai_parts_to_message` undo it,
  splitting tool results out into ``tool`` messages.
- Anthropic wants system text outside ``messages``, alternating roles and
  tool results in user turns: :func:`anthropic_finish_messages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlingua.convert.base import FieldPath, JSONObject, bad_type, bad_value, warn
from interlingua.convert.content import collapse_text

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = [
    "anthropic_finish_messages",
    "openai_message_content",
    "openai_message_to_parts",
    "openai_parts_to_message",
    "openai_prepend_system",
    "openai_split_messages",
]

_INTERNAL_PARTS = frozenset({"function", "tool_result", "reasoning"})
_GATHERED = ("content", "tool_calls", "refusal", "tool_call_id")


def _content_list(content: Any, path: FieldPath) -> list[Any]:
    if content is None:
        return []
    if type(content) is str:
        return [{"type": "text", "text": content}] if content else []
    if type(content) is not list:
        raise bad_type(path, "content", "a string or an array of content parts")
    for i, part in enumerate(content):
        if type(part) is dict and part.get("type") in _INTERNAL_PARTS:
            raise bad_value(((path, "content"), i), "type", part.get("type"))
    return content


def _gather(message: JSONObject, path: FieldPath, reasoning_field: str) -> list[Any]:
    parts: list[Any] = []
    reasoning = message.get(reasoning_field) if reasoning_field else None
    if type(reasoning) is str and reasoning:
        parts.append({"type": "reasoning", "text": reasoning})
    parts.extend(_content_list(message.get("content"), path))
    refusal = message.get("refusal")
    if type(refusal) is str and refusal:
        parts.append({"type": "refusal", "refusal": refusal})
    calls = message.get("tool_calls")
    if calls is not None:
        if type(calls) is not list:
            raise bad_type(path, "tool_calls", "an array")
        parts.extend(calls)
    return parts


def openai_message_to_parts(message: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Pre step (to IR): one OpenAI message -> ``{role, name?, content: [parts], ...other keys}``."""
    field = policy.reasoning_field
    out = dict(message)
    for key in _GATHERED:
        out.pop(key, None)
    if field:
        out.pop(field, None)
    if message.get("role") == "tool":
        tool_call_id = message.get("tool_call_id")
        if type(tool_call_id) is not str:
            raise bad_type(path, "tool_call_id", "a string")
        result = {"type": "tool_result", "tool_call_id": tool_call_id,
                  "content": _content_list(message.get("content"), path)}
        out["content"] = [result]
        return out
    out["content"] = _gather(message, path, field)
    return out


def openai_message_content(message: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> list[Any]:
    """Value helper (to IR): a response's ``choices[0].message`` -> its parts list."""
    if type(message) is not dict:
        raise bad_type(path, "", "an object")
    return _gather(message, path, policy.reasoning_field)


def _tool_message(part: JSONObject, media: list[Any], warnings: list[str]) -> JSONObject:
    """A tool message; non-text results (images) are collected into ``media`` for a user message."""
    content = part.get("content") or []
    texts = []
    for item in content:
        if item.get("type") == "text":
            texts.append({"type": "text", "text": item.get("text", "")})
        else:
            media.append(item)
            warn(warnings, "tool result images moved to a user message: openai_chat tool messages hold text only")
    if part.get("is_error"):
        warn(warnings, "tool_result is_error dropped: openai_chat has no error flag on tool messages")
    body: Any = texts[0]["text"] if len(texts) == 1 else texts
    return {"role": "tool", "tool_call_id": part.get("tool_call_id"), "content": body or ""}


def openai_parts_to_message(parts: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Value helper (from IR): wire-side parts -> an assistant message (content, tool_calls, reasoning)."""
    message: JSONObject = {"role": "assistant"}
    _assemble(message, parts, policy, warnings)
    content = message.get("content")
    if type(content) is list:  # a response message's content is a string in the OpenAI API
        message["content"] = "".join(p.get("text", "") for p in content if p.get("type") == "text")
    message.setdefault("content", None)
    return message


def _assemble(message: JSONObject, parts: list[Any], policy: Policy, warnings: list[str]) -> list[JSONObject]:
    """Fill ``message`` from wire-side parts; returns the tool messages split out of it."""
    content: list[Any] = []
    calls: list[Any] = []
    reasoning: list[str] = []
    tools: list[JSONObject] = []
    media: list[Any] = []
    for part in parts:
        kind = part.get("type")
        if kind == "function":
            calls.append(part)
        elif kind == "tool_result":
            tools.append(_tool_message(part, media, warnings))
        elif kind == "reasoning":
            reasoning.append(part.get("text", ""))
        elif kind == "refusal" and message.get("role") == "assistant":
            message["refusal"] = part.get("refusal")
        else:
            content.append(part)
    text = "".join(reasoning)
    if text and policy.reasoning_field:
        message[policy.reasoning_field] = text
    elif text:
        warn(warnings, "thinking dropped: policy reasoning_field is empty")
    if content:
        message["content"] = _collapse(content)
    if calls:
        message["tool_calls"] = calls
    if media:
        tools.append({"role": "user", "content": media})
    return tools


def _collapse(content: list[Any]) -> Any:
    if all(p.get("type") == "text" for p in content):
        return "".join(p.get("text", "") for p in content) if len(content) == 1 else content
    return content


def openai_split_messages(messages: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> list[JSONObject]:
    """Value helper (from IR): wire-side messages -> OpenAI messages, tool results split out."""
    out: list[JSONObject] = []
    for message in messages:
        tools = _assemble(message, message.pop("content", None) or [], policy, warnings)
        out.extend(tools)
        if message.get("role") == "tool":
            continue  # an IR tool message is only its results
        has_body = any(k in message for k in ("content", "tool_calls", "refusal", policy.reasoning_field))
        if tools and not has_body:
            continue  # a user turn that only carried tool results
        if "content" not in message:
            message["content"] = None if message.get("role") == "assistant" else ""
        out.append(message)
    return out


def openai_prepend_system(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): the IR's top-level system parts become a leading system message."""
    system = src.get("system")
    if not system:
        return
    texts = [p.get("text", "") for p in system if p.get("type") == "text"]
    if any("cache_control" in p for p in system):
        warn(warnings, "cache_control dropped: the target format has no counterpart")
    content: Any = texts[0] if len(texts) == 1 else [{"type": "text", "text": t} for t in texts]
    out["messages"] = [{"role": "system", "content": content}, *out.get("messages", [])]


def _as_blocks(content: Any) -> list[Any]:
    if type(content) is str:
        return [{"type": "text", "text": content}]
    return list(content or [])


def anthropic_finish_messages(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): hoist leading system messages into ``system``, merge consecutive
    same-role messages (tool results join the user turn), write single plain text parts as strings.

    System messages after the conversation started stay in place (Anthropic accepts
    ``role: "system"`` mid-conversation; Claude Code sends one)."""
    system = _as_blocks(out.get("system"))
    merged: list[JSONObject] = []
    for message in out.get("messages", []):
        if message.get("role") == "system" and not merged:
            system.extend(_as_blocks(message.get("content")))
            continue
        if merged and merged[-1].get("role") == message.get("role"):
            # .get: a turn of a source format may carry no content at all
            merged[-1]["content"] = _as_blocks(merged[-1].get("content")) + _as_blocks(message.get("content"))
            continue
        merged.append(message)
    for message in merged:
        message["content"] = collapse_text(message.get("content"), path, policy, warnings)
    out["messages"] = merged
    if system:
        out["system"] = collapse_text(system, path, policy, warnings)
