"""Routing state that outlives a config snapshot: target health and key pools, per process,
and the links to what instances share through Redis when it is configured (cooldowns, the
response cache's entries).

A hot reload builds a new router; cooldowns, latency averages and resting keys carry
over, so a reload neither forgets a failing target nor sends a benched key again. A
provider's pool carries over while its keys are the same (compared by digest); changed
keys start a fresh pool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import SecretStr

from interlingua.server.config.routing import KeyPoolConfig
from interlingua.server.resilience.health import TargetHealth
from interlingua.server.resilience.keys import KeyPool

if TYPE_CHECKING:
    from interlingua.server.cache.redis_store import RedisCache
    from interlingua.server.resilience.shared import SharedCooldowns

__all__ = ["RoutingMemory"]


class RoutingMemory:
    """``fleet`` and ``cache_store``: shared through Redis (None without it)."""

    def __init__(self, fleet: SharedCooldowns | None = None, cache_store: RedisCache | None = None) -> None:
        self.targets: dict[str, TargetHealth] = {}
        self.fleet = fleet
        self.cache_store = cache_store
        self._pools: dict[str, tuple[bytes, KeyPool]] = {}

    def pool(self, provider: str, keys: Sequence[SecretStr], config: KeyPoolConfig) -> KeyPool:
        digest = hashlib.sha256(b"\0".join(k.get_secret_value().encode() for k in keys)).digest()
        kept = self._pools.get(provider)
        if kept is not None and kept[0] == digest:
            kept[1].configure(config)
            return kept[1]
        pool = KeyPool(provider, len(keys), config)
        self._pools[provider] = (digest, pool)
        return pool
