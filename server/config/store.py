"""``store:``: where issued keys and usage records live (SQLAlchemy async URL), the server
secret, migrations and the usage writer's batching."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator

from interlingua.server.config._base import Strict

__all__ = ["StoreConfig"]


class StoreConfig(Strict):
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
