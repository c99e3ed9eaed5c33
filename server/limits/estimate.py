"""What a request may cost before it runs: input tokens (the local estimate of
:mod:`interlingua.server.tokens`) plus its output cap (the client's ``max_tokens`` in
its format's field, else ``policies.default_max_tokens``)."""

from __future__ import annotations

from typing import Any

from interlingua.server.tokens import estimate_input_tokens
from interlingua.translate import Format

__all__ = ["output_cap", "request_tokens"]


def _int(value: object) -> int | None:
    return value if type(value) is int and value > 0 else None


def output_cap(body: dict[str, Any], fmt: Format) -> int | None:
    if fmt is Format.OPENAI_CHAT:
        return _int(body.get("max_completion_tokens")) or _int(body.get("max_tokens"))
    if fmt is Format.OPENAI_RESPONSES:
        return _int(body.get("max_output_tokens"))
    if fmt is Format.ANTHROPIC_MESSAGES:
        return _int(body.get("max_tokens"))
    config = body.get("generationConfig" if fmt is Format.GEMINI else "inferenceConfig")
    if isinstance(config, dict):
        return _int(config.get("maxOutputTokens" if fmt is Format.GEMINI else "maxTokens"))
    return None


def request_tokens(body: dict[str, Any], raw_size: int, fmt: Format, default_cap: int) -> tuple[int, int]:
    """``(input estimate, output cap)``."""
    try:
        estimate = estimate_input_tokens(body, fmt.value)
    except ValueError:  # no structured estimate for this format: ~4 bytes a token
        estimate = raw_size // 4 + 1
    return estimate, output_cap(body, fmt) or default_cap
