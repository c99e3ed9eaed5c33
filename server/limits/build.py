"""The counters a process uses, from config and environment: Redis when ``redis.url`` is
set (falling back to the local kind), else the workers' shared counters when this process
is a worker of ``--workers N``, else this process's own."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from interlingua.server.config import Config
from interlingua.server.keys.service import KeyService
from interlingua.server.limits.counters import Counters, LocalCounters
from interlingua.server.limits.feature import LimitsFeature
from interlingua.server.limits.shared import ENV_VAR, SocketCounters

if TYPE_CHECKING:
    from interlingua.server.redis_client import RedisClient

__all__ = ["build_feature", "make_counters"]


def make_counters(
    config: Config, env: Mapping[str, str] | None = None, client: RedisClient | None = None
) -> Counters:
    """``client``: the process's Redis client, when it has one (else one is made)."""
    env = os.environ if env is None else env
    path = env.get(ENV_VAR)
    local: Counters = SocketCounters(path) if path else LocalCounters()
    if config.redis.url is None:
        return local
    # Imported only when configured: the Redis client (and the OpenTelemetry SDK and
    # cryptography it pulls in) costs ~9 MB of every worker's memory.
    from interlingua.server.limits.redis_counters import RedisCounters

    return RedisCounters(
        config.redis.url.get_secret_value(),
        on_error=config.redis.on_error,
        timeout_s=config.redis.timeout_ms / 1000,
        fallback=local,
        client=client,
        cluster=config.redis.cluster,
    )


def build_feature(
    config: Config, counters: Counters, keys: KeyService | None
) -> LimitsFeature | None:
    """The limits feature of a config snapshot; None when nothing is limited or issued."""
    if keys is None and not config.limits:
        return None
    return LimitsFeature(
        config,
        counters,
        repo=keys.repo if keys is not None else None,
        usage=keys.usage if keys is not None else None,
        authenticator=keys.authenticator if keys is not None else None,
    )
