"""Spend from usage: the ``pricing:`` table (USD per million tokens, per model glob, first
match wins; matched against the model name the client asked for)."""

from __future__ import annotations

from collections.abc import Sequence

from interlingua.server.config.limits import PriceRule, glob_matches
from interlingua.server.pipeline.context import Usage

__all__ = ["Pricing"]


class Pricing:
    def __init__(self, rules: Sequence[PriceRule]) -> None:
        self.rules = tuple(rules)
        self._cache: dict[str, PriceRule | None] = {}

    def rule(self, model: str) -> PriceRule | None:
        try:
            return self._cache[model]
        except KeyError:
            found = next((r for r in self.rules if glob_matches(r.model, model)), None)
            if len(self._cache) < 10_000:
                self._cache[model] = found
            return found

    def cost(self, model: str, usage: Usage) -> float:
        """USD for settled usage (IR meaning: input excludes cache reads and writes)."""
        rule = self.rule(model) if self.rules else None
        if rule is None:
            return 0.0
        cache_read = rule.input if rule.cache_read is None else rule.cache_read
        cache_write = rule.input if rule.cache_write is None else rule.cache_write
        micro = (
            usage.input_tokens * rule.input
            + usage.output_tokens * rule.output
            + usage.cache_read_tokens * cache_read
            + usage.cache_creation_tokens * cache_write
        )
        return micro / 1_000_000

    def estimate(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """USD a request may cost at most (input estimate at the input price, output cap)."""
        rule = self.rule(model) if self.rules else None
        if rule is None:
            return 0.0
        return (input_tokens * rule.input + output_tokens * rule.output) / 1_000_000
