"""``redis:``: limit counters, cooldowns and cached answers shared by several instances."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from interlingua.server.config._base import Strict

__all__ = ["RedisConfig"]


class RedisConfig(Strict):
    """Shared counters for several gateway instances (one Lua script per check)."""

    url: SecretStr | None = None  # redis://host:6379/0 [none: counters are per machine]
    # The url names one node of a Redis Cluster; the client discovers the others.
    cluster: bool = False
    # Redis unreachable: refuse limited requests (503), or count per instance meanwhile.
    on_error: Literal["fail_closed", "local"] = "local"
    timeout_ms: int = Field(500, gt=0)
