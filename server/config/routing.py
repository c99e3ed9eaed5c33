"""The ``routing`` section (retries, cooldowns, key pools, first-byte timeout, the response
cache's store) and the routing parts of a model route (targets, balance, cache).

Behaviour: ``docs/design/routing.md``. The one-provider form of a model route
(``provider:`` + ``upstream_model:``) is read as a route with one target.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from interlingua.server.config._base import Strict

__all__ = [
    "Balance",
    "CacheStoreConfig",
    "CooldownConfig",
    "KeyPoolConfig",
    "RetriesConfig",
    "RouteCache",
    "RoutingConfig",
    "RoutingTimeouts",
    "TargetConfig",
]

Balance = Literal["round_robin", "weighted", "least_busy", "lowest_latency"]



class TargetConfig(Strict):
    """One place a model route may send a request."""

    provider: str
    upstream_model: str | None = None  # [the client's model name]
    weight: float = Field(1.0, gt=0)  # share of traffic within its priority (balance: weighted)
    priority: int = Field(0, ge=0)  # 0 first; higher only when every lower one is unavailable


class RetriesConfig(Strict):
    # The most passes over a route's targets (each pass tries every available target once);
    # 1: every target once (failover), no retry of the same target.
    attempts: int = Field(1, ge=1, le=10)
    backoff_ms: int = Field(250, ge=0)  # before the 2nd pass; doubles per pass, with full jitter
    max_backoff_ms: int = Field(8_000, ge=0)  # a longer retry-after ends the retries instead of waiting

    @model_validator(mode="after")
    def _ordered(self) -> RetriesConfig:
        if self.max_backoff_ms < self.backoff_ms:
            raise ValueError("max_backoff_ms: must be at least backoff_ms")
        return self


class CooldownConfig(Strict):
    failures: int = Field(3, ge=1)  # this many failures of a target ...
    window_s: float = Field(30.0, gt=0)  # ... within this many seconds ...
    cooldown_s: float = Field(30.0, gt=0)  # ... take it out of rotation this long; then one probe decides


class KeyPoolConfig(Strict):
    bench_s: float = Field(600.0, gt=0)  # a key the upstream refused (401/403) rests this long
    rate_limit_s: float = Field(5.0, gt=0)  # a key's rest after a 429 without retry-after


class RoutingTimeouts(Strict):
    # Streams: time from sending the request until the answer's first event; longer counts as
    # a failure and the next target is tried. Non-streamed answers arrive whole, so the
    # provider's read_ms bounds them instead. [none: providers' read_ms only]
    first_byte_ms: int | None = Field(None, gt=0)


class RouteCache(Strict):
    """A model route's response cache (opt-in): exact match on the request's canonical IR."""

    ttl_s: float = Field(gt=0)
    shared: bool = False  # one entry for every caller, instead of one per presented key


class CacheStoreConfig(Strict):
    max_entries: int = Field(10_000, ge=1)  # least recently used entries go first
    max_entry_bytes: int = Field(1_000_000, ge=1)  # larger answers are not cached


class RoutingConfig(Strict):
    retries: RetriesConfig = RetriesConfig()
    cooldown: CooldownConfig = CooldownConfig()
    keys: KeyPoolConfig = KeyPoolConfig()
    timeouts: RoutingTimeouts = RoutingTimeouts()
    cache: CacheStoreConfig = CacheStoreConfig()
