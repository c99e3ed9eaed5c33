"""What a request may cost before it runs: input tokens (bytes / 4 for small bodies, the
local estimate of :mod:`interlingua.server.tokens` for large ones) plus its output cap (the
client's ``max_tokens`` in its format's field, else ``translation.default_max_tokens``)."""

from __future__ import annotations

from typing import Any

from interlingua.server.tokens import estimate_input_tokens
from interlingua.translate import Format

__all__ = ["output_cap", "request_tokens"]


def _int(value: object) -> int | None:
    return value if type(value) is int and value > 0 else None


def output_cap(body: dict[str, Any], fmt: Format) -> int | None:
    if fmt is Format.OPENAI_CHAT:  # every limited chat request: _int inlined
        cap = body.get("max_completion_tokens")
        if type(cap) is int and cap > 0:
            return cap
        cap = body.get("max_tokens")
        return cap if type(cap) is int and cap > 0 else None
    if fmt is Format.OPENAI_RESPONSES:
        return _int(body.get("max_output_tokens"))
    if fmt is Format.ANTHROPIC_MESSAGES:
        return _int(body.get("max_tokens"))
    config = body.get("generationConfig" if fmt is Format.GEMINI else "inferenceConfig")
    if isinstance(config, dict):
        return _int(config.get("maxOutputTokens" if fmt is Format.GEMINI else "maxTokens"))
    return None


# Below this size the body's bytes / 4 is the input estimate: never lower than the
# structured estimate by much (JSON framing counts as text), and ~100x cheaper. Larger
# bodies may carry images or documents, which bytes would overstate by far.
_SMALL_BODY = 16_384


def request_tokens(body: dict[str, Any], raw_size: int, fmt: Format, default_cap: int) -> tuple[int, int]:
    """``(input estimate, output cap)``."""
    cap = output_cap(body, fmt) or default_cap
    if 0 < raw_size <= _SMALL_BODY:
        return raw_size // 4 + 1, cap
    try:
        return estimate_input_tokens(body, fmt.value), cap
    except ValueError:  # no structured estimate for this format (Bedrock): bytes / 4
        return raw_size // 4 + 1, cap
