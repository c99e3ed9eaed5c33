"""The ``translation`` section (formerly ``policies``): what to do where formats differ.

It becomes the translator's :class:`~interlingua.translate.Policy`, one per provider,
since OpenAI-compatible dialects name their fields differently.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from interlingua.server.config._base import Strict
from interlingua.server.config.providers import Dialect
from interlingua.translate import Policy

__all__ = ["Effort", "TranslationConfig"]

Effort = Literal["minimal", "low", "medium", "high", "xhigh"]
_DEFAULT_EFFORTS: dict[int, Effort] = {4000: "low", 8000: "medium", 1_000_000: "high"}


class TranslationConfig(Strict):
    allow_images: bool = True
    documents: Literal["reject", "drop", "text"] = "reject"
    default_max_tokens: int = Field(4096, ge=1)
    thinking_budget_to_effort: dict[int, Effort] = Field(default_factory=lambda: dict(_DEFAULT_EFFORTS))

    def to_policy(self, dialect: Dialect | None = None) -> Policy:
        """The translator's :class:`~interlingua.translate.Policy` (per provider: dialects differ)."""
        dialect = dialect or Dialect()
        return Policy(
            default_max_tokens=self.default_max_tokens,
            thinking_budget_to_effort=tuple(sorted(self.thinking_budget_to_effort.items())),
            documents=self.documents,
            allow_images=self.allow_images,
            reasoning_field=dialect.reasoning,
            openai_max_tokens_field=dialect.max_tokens,
        )
