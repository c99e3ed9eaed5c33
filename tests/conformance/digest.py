"""What a conversion must never lose, read straight from wire bodies of either format.

A :class:`Digest` is the format-neutral content of a request or a response:
texts by speaker, tool calls ``(id, name, parsed arguments)``, tool results
``(tool_call_id, text)``, thinking texts, image count, stop reason category and
usage. Two digests of the same conversation in two formats must agree; the
``assert_*`` helpers say precisely what was lost.

Text is compared as an ordered subsequence of the target's joined text of the
same speaker (a converter may merge messages or join parts with a separator,
but must keep every character of every original text, in order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from interlingua.convert.blobs import original_call_id
from interlingua.convert.ids import unwrap
from interlingua.translate import Format

__all__ = [
    "Digest",
    "assert_kept",
    "assert_usage_kept",
    "parse_arguments",
    "request_digest",
    "response_digest",
    "stop_category",
]

JSON = dict[str, Any]

# Stop/finish reasons of both formats, by what they mean to a client.
_STOP_CATEGORY = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "stop": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "length": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool",
    "tool_calls": "tool",
    "function_call": "tool",
    "refusal": "filter",
    "content_filter": "filter",
}


@dataclass
class Digest:
    texts: dict[str, list[str]] = field(default_factory=dict)  # speaker -> texts in order
    tool_calls: list[tuple[str, str, Any]] = field(default_factory=list)
    tool_results: dict[str, list[str]] = field(default_factory=dict)  # tool_call_id -> texts
    thinking: list[str] = field(default_factory=list)
    images: int = 0
    stop: str | None = None
    usage: dict[str, int] = field(default_factory=dict)

    def add_text(self, speaker: str, text: str) -> None:
        self.texts.setdefault(speaker, []).append(text)


def parse_arguments(arguments: Any) -> Any:
    """Tool arguments as a value: OpenAI's JSON string (``""`` meaning ``{}``) or Anthropic's object."""
    if isinstance(arguments, str):
        try:
            return orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:  # compared as such: a truncated stream's partial arguments
            return {"<invalid JSON>": arguments}
    return arguments


def stop_category(reason: str | None) -> str | None:
    return None if reason is None else _STOP_CATEGORY.get(reason, reason)


def request_digest(fmt: Format, body: JSON) -> Digest:
    if fmt is Format.OPENAI_RESPONSES:
        from conformance import judges_responses

        return judges_responses.request_digest(body)
    if fmt is Format.GEMINI:
        from conformance import judges_gemini

        return judges_gemini.request_digest(body)
    if fmt is Format.BEDROCK_CONVERSE:
        from conformance import judges_bedrock

        return judges_bedrock.request_digest(body)
    digest = Digest()
    if fmt is Format.OPENAI_CHAT:
        for message in body.get("messages", []):
            _openai_message(digest, message)
    else:
        for text in _texts(body.get("system")):
            digest.add_text("system", text)
        for message in body.get("messages", []):
            _anthropic_blocks(digest, message["role"], message.get("content"))
    return digest


def response_digest(fmt: Format, body: JSON) -> Digest:
    if fmt is Format.OPENAI_RESPONSES:
        from conformance import judges_responses

        return judges_responses.response_digest(body)
    if fmt is Format.GEMINI:
        from conformance import judges_gemini

        return judges_gemini.response_digest(body)
    if fmt is Format.BEDROCK_CONVERSE:
        from conformance import judges_bedrock

        return judges_bedrock.response_digest(body)
    digest = Digest()
    if fmt is Format.OPENAI_CHAT:
        choice = (body.get("choices") or [{}])[0]
        _openai_message(digest, choice.get("message") or {"role": "assistant"})
        digest.stop = stop_category(_openai_finish_reason(choice))
        digest.usage = _openai_usage(body.get("usage"))
    else:
        _anthropic_blocks(digest, "assistant", body.get("content"))
        digest.stop = stop_category(body.get("stop_reason"))
        digest.usage = _anthropic_usage(body.get("usage"))
    return digest


def _openai_finish_reason(choice: JSON) -> str | None:
    """OpenAI ends a forced named tool call with ``stop``; the turn still asks for tool use."""
    reason = choice.get("finish_reason")
    if reason == "stop" and (choice.get("message") or {}).get("tool_calls"):
        return "tool_calls"
    return reason


def _texts(content: Any) -> list[str]:
    """Texts of a string-or-parts content (OpenAI text parts, Anthropic text blocks)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    return [part["text"] for part in content if part.get("type") == "text"]


def _openai_message(digest: Digest, message: JSON) -> None:
    role = message.get("role", "assistant")
    speaker = "system" if role in ("system", "developer") else role
    if role == "tool":
        digest.tool_results.setdefault(message["tool_call_id"], []).extend(_texts(message.get("content")))
        return
    for text in _texts(message.get("content")):
        digest.add_text(speaker, text)
    if isinstance(message.get("content"), list):
        for part in message["content"]:
            digest.images += part.get("type") == "image_url"
            if part.get("type") == "refusal":
                digest.add_text(speaker, part["refusal"])
    if message.get("refusal"):
        digest.add_text(speaker, message["refusal"])
    if message.get("reasoning_content"):
        digest.thinking.append(message["reasoning_content"])
    for call in message.get("tool_calls") or []:
        function = call["function"]
        digest.tool_calls.append(
            (call["id"], function["name"], parse_arguments(function.get("arguments", "")))
        )


def _anthropic_blocks(digest: Digest, role: str, content: Any) -> None:
    if isinstance(content, str):
        digest.add_text(role, content)
        return
    for block in content or []:
        kind = block.get("type")
        if kind == "text":
            digest.add_text(role, block["text"])
        elif kind == "image":
            digest.images += 1
        elif kind == "tool_use":
            digest.tool_calls.append((block["id"], block["name"], parse_arguments(block.get("input", {}))))
        elif kind == "tool_result":
            texts = digest.tool_results.setdefault(block["tool_use_id"], [])
            texts.extend(_texts(block.get("content")))
            digest.images += sum(
                1 for b in block.get("content") or [] if isinstance(b, dict) and b.get("type") == "image"
            )
        elif kind == "thinking":
            digest.thinking.append(block["thinking"])


def _openai_usage(usage: JSON | None) -> dict[str, int]:
    if not usage:
        return {}
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    out = {"input": usage["prompt_tokens"], "output": usage["completion_tokens"]}
    if cached:
        out["cache_read"] = cached
    return out


def _anthropic_usage(usage: JSON | None) -> dict[str, int]:
    if not usage:
        return {}
    read = usage.get("cache_read_input_tokens") or 0
    created = usage.get("cache_creation_input_tokens") or 0
    out = {
        "input": (usage.get("input_tokens") or 0) + read + created,
        "output": usage.get("output_tokens") or 0,
    }
    if read:
        out["cache_read"] = read
    return out


def _assert_subsequence(what: str, original: list[str], converted: list[str]) -> None:
    haystack, pos = "\x00".join(converted), 0
    for text in original:
        found = haystack.find(text, pos)
        assert found >= 0, f"{what}: {text!r} lost (converted: {converted!r})"
        pos = found + len(text)


def _native(digest: Digest) -> Digest:
    """Ids as their issuer made them: a client of another format sees them restyled (convert/ids.py),
    a Chat client's Gemini calls with their signature sealed in (convert/blobs.py)."""
    return replace(
        digest,
        tool_calls=[(unwrap(original_call_id(i)), name, args) for i, name, args in digest.tool_calls],
        tool_results={unwrap(original_call_id(i)): texts for i, texts in digest.tool_results.items()},
    )


def assert_kept(original: Digest, converted: Digest, *, thinking: bool = True, images: bool = True) -> None:
    """Nothing of ``original`` is missing from ``converted`` (the same conversation in another format)."""
    original, converted = _native(original), _native(converted)
    for speaker, texts in original.texts.items():
        _assert_subsequence(f"{speaker} text", texts, converted.texts.get(speaker, []))
    assert Counter(map(_hashable, converted.tool_calls)) == Counter(map(_hashable, original.tool_calls)), (
        f"tool calls differ: {original.tool_calls!r} -> {converted.tool_calls!r}"
    )
    assert set(converted.tool_results) == set(original.tool_results), (
        f"tool results differ: {sorted(original.tool_results)} -> {sorted(converted.tool_results)}"
    )
    for call_id, texts in original.tool_results.items():
        _assert_subsequence(f"tool result {call_id}", texts, converted.tool_results[call_id])
    if thinking:
        _assert_subsequence("thinking", original.thinking, converted.thinking)
    if images:
        assert converted.images == original.images, f"images: {original.images} -> {converted.images}"
    assert converted.stop == original.stop, f"stop reason: {original.stop} -> {converted.stop}"


def assert_usage_kept(original: dict[str, int], converted: dict[str, int]) -> None:
    """Usage survives; where the source reported none, the target may only say zero (Anthropic requires usage)."""
    if original:
        assert converted == original, f"usage: {original} -> {converted}"
    else:
        assert not any(converted.values()), f"usage invented: {converted}"


def _hashable(call: tuple[str, str, Any]) -> tuple[str, str, bytes]:
    return call[0], call[1], orjson.dumps(call[2], option=orjson.OPT_SORT_KEYS)
