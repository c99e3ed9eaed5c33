"""``limits:`` (rate, token and concurrency limits per model route and/or key name) and
``pricing:`` (USD per million tokens per model glob)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydantic import Field, model_validator

from interlingua.server.config._base import Strict

__all__ = ["LimitRule", "LimitValues", "PriceRule", "glob_matches"]


def glob_matches(pattern: str, name: str) -> bool:
    """Case-sensitive glob (``*``, ``?``, ``[..]``), as model routes match."""
    return fnmatchcase(name, pattern)


class LimitValues(Strict):
    """Each value optional; absent means unlimited."""

    rpm: int | None = Field(None, ge=1)  # requests per minute
    tpm: int | None = Field(None, ge=1)  # tokens per minute (input + output, cache included)
    max_parallel: int | None = Field(None, ge=1)  # requests in flight

    @property
    def empty(self) -> bool:
        return self.rpm is None and self.tpm is None and self.max_parallel is None


class LimitRule(LimitValues):
    """A limit from config: per model route (``model`` glob), optionally only for keys
    whose name matches ``key`` (glob). ``per_key``: each matching key gets its own counter,
    otherwise all matching requests share one."""

    name: str | None = None  # shown in headers/logs [model/key globs]
    model: str = "*"
    key: str | None = None
    per_key: bool = False
    shadow: bool = False  # counted and reported, never refused

    @model_validator(mode="after")
    def _some_limit(self) -> LimitRule:
        if self.empty:
            raise ValueError("set at least one of rpm, tpm, max_parallel")
        return self

    @property
    def label(self) -> str:
        return self.name or f"model={self.model}" + (f",key={self.key}" if self.key else "")


class PriceRule(Strict):
    """USD per million tokens for models matching ``model`` (first match wins)."""

    model: str
    input: float = Field(0.0, ge=0)
    output: float = Field(0.0, ge=0)
    cache_read: float | None = Field(None, ge=0)  # [input]
    cache_write: float | None = Field(None, ge=0)  # [input]
