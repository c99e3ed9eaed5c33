"""The ``server`` section: how the gateway listens and protects itself."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from interlingua.server.config._base import Strict

__all__ = ["ServerConfig"]


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=256)
    max_body_bytes: int = Field(20_000_000, ge=1)
    max_inflight: int = Field(512, ge=1)
    shutdown_grace_ms: int = Field(30_000, ge=0)
    # An idle keep-alive connection is closed after this long. Hypercorn's 5 s default is
    # shorter than client pools keep connections (a user thinking between turns), and a
    # client POSTing on a connection the server just closed fails (POSTs are not retried).
    keep_alive_timeout_s: float = Field(75.0, gt=0)
    # The whole request body must arrive within this long, else 408 (a trickling body holds
    # a connection and, with the in-flight limit, a slot).
    body_timeout_ms: int = Field(60_000, gt=0)
    api_keys: tuple[SecretStr, ...] = ()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    upstream_transport: Literal["aiohttp", "httpx"] = "aiohttp"

    @field_validator("api_keys")
    @classmethod
    def _no_empty_keys(cls, keys: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(not key.get_secret_value() for key in keys):
            raise ValueError("an API key is empty (is its environment variable set?)")
        return keys
