"""Formats and conversion policy (re-exported by :mod:`interlingua.translate`).

Warnings are short, stable, human-readable notes; the server sends them in the
``x-interlingua-warning`` header. See ``codegen/README.md`` for the full list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

__all__ = ["DEFAULT_POLICY", "DocumentPolicy", "Format", "Policy", "budget_to_effort", "effort_to_budget"]


class Format(StrEnum):
    """Wire formats, named as in the config's ``providers[].format``."""

    OPENAI_CHAT = "openai_chat"
    ANTHROPIC_MESSAGES = "anthropic_messages"
    OPENAI_RESPONSES = "openai_responses"
    GEMINI = "gemini"
    BEDROCK_CONVERSE = "bedrock_converse"


DocumentPolicy = Literal["reject", "drop", "text"]


@dataclass(frozen=True, slots=True)
class Policy:
    """What to do where formats differ. Mirrors the config's ``translation`` section."""

    # Anthropic requires max_tokens; used when an OpenAI request has none.
    default_max_tokens: int = 4096
    # Ascending (upper bound inclusive, effort): budget_tokens -> reasoning_effort.
    thinking_budget_to_effort: tuple[tuple[int, str], ...] = (
        (4000, "low"),
        (8000, "medium"),
        (1_000_000, "high"),
    )
    # reasoning_effort -> budget_tokens, for requests going to Anthropic.
    effort_to_budget: Mapping[str, int] = field(
        default_factory=lambda: {"minimal": 1024, "low": 4000, "medium": 8000, "high": 16000, "xhigh": 32000}
    )
    # Anthropic `document` blocks toward a format without documents.
    documents: DocumentPolicy = "reject"
    allow_images: bool = True
    # OpenAI-compatible dialects stream reasoning text in this delta/message field.
    reasoning_field: str = "reasoning_content"
    # How OpenAI-format requests spell the output limit: OpenAI's own API wants
    # max_completion_tokens (reasoning models reject max_tokens); some compatible
    # servers only read the legacy max_tokens.
    openai_max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"


DEFAULT_POLICY = Policy()


def budget_to_effort(policy: Policy, budget: int) -> str:
    """The effort whose (inclusive) upper bound first covers ``budget``."""
    for bound, effort in policy.thinking_budget_to_effort:
        if budget <= bound:
            return effort
    return policy.thinking_budget_to_effort[-1][1] if policy.thinking_budget_to_effort else "high"


def effort_to_budget(policy: Policy, effort: str) -> int | None:
    return policy.effort_to_budget.get(effort)
