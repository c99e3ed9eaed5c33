"""Config sections of issued keys, limits and budgets: ``store``, ``admin``, ``redis``,
``limits``, ``pricing``.

Split from :mod:`interlingua.server.config` (which documents every key) to keep modules small.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "AdminConfig",
    "LimitRule",
    "LimitValues",
    "PriceRule",
    "RedisConfig",
    "StoreConfig",
    "glob_matches",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def glob_matches(pattern: str, name: str) -> bool:
    """Case-sensitive glob (``*``, ``?``, ``[..]``), as model routes match."""
    return fnmatchcase(name, pattern)


class StoreConfig(_Strict):
    """Where keys and usage records live (SQLAlchemy async URL)."""

    # [sqlite+aiosqlite:///<data_dir>/interlingua.db]; or postgresql+asyncpg://user:pw@host/db
    url: SecretStr | None = None
    # [a `data` folder next to the config file; without --config: $XDG_DATA_HOME/interlingua]
    data_dir: str | None = None
    # HMAC key for issued keys [$INTERLINGUA_SECRET, else <data_dir>/secret, made on first start]
    secret: SecretStr | None = None
    migrate_on_start: bool = True
    # How often each process asks the store whether keys changed (revocations apply within it).
    revision_poll_ms: int = Field(250, ge=10, le=1000)
    # Usage records are written in batches: at most this many, or every flush_ms.
    usage_batch_size: int = Field(500, ge=1)
    usage_flush_ms: int = Field(1000, ge=10)

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not re.match(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://", url.get_secret_value()):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @property
    def enabled(self) -> bool:
        return self.url is not None or self.data_dir is not None


class AdminConfig(_Strict):
    """The admin HTTP API (``/admin/keys``) is served only when ``api_key`` is set."""

    api_key: SecretStr | None = None

    @field_validator("api_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (is its environment variable set?)")
        return key


class RedisConfig(_Strict):
    """Shared counters for several gateway instances (one Lua script per check)."""

    url: SecretStr | None = None  # redis://host:6379/0 [none: counters are per machine]
    # Redis unreachable: refuse limited requests (503), or count per instance meanwhile.
    on_error: Literal["fail_closed", "local"] = "local"
    timeout_ms: int = Field(500, gt=0)


class LimitValues(_Strict):
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


class PriceRule(_Strict):
    """USD per million tokens for models matching ``model`` (first match wins)."""

    model: str
    input: float = Field(0.0, ge=0)
    output: float = Field(0.0, ge=0)
    cache_read: float | None = Field(None, ge=0)  # [input]
    cache_write: float | None = Field(None, ge=0)  # [input]
