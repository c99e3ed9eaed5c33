"""Long-lived per-process resources that outlive any one config snapshot.

A hot reload swaps the :class:`~interlingua.server.state.GatewayState` (config, router,
upstream clients, feature hooks), but some things must carry over: counters of requests
still in flight, database and Redis connections, metric registries. They live here,
made once when serving starts and closed when it stops; features reach them through
the builders' ``services`` argument.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from interlingua.server.keys.service import KeyService
from interlingua.server.limits.build import make_counters
from interlingua.server.limits.counters import Counters, LocalCounters
from interlingua.server.observability.history import HistoryWriter
from interlingua.server.observability.history_store import StoreHistorySink
from interlingua.server.resilience.memory import RoutingMemory
from interlingua.server.responses import ResponseService
from interlingua.server.store.secret import SecretUnavailable, load_secret

if TYPE_CHECKING:
    from interlingua.server.config import Config
    from interlingua.server.observability.prom import GatewayMetrics
    from interlingua.server.redis_client import RedisClient

__all__ = ["InflightCounter", "Services"]

log = logging.getLogger("interlingua.server")


class InflightCounter:
    """API requests admitted and not yet finished, in this process (now and peak)."""

    __slots__ = ("now", "peak")

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        self.now += 1
        if self.now > self.peak:
            self.peak = self.now

    def leave(self) -> None:
        self.now -= 1


class Services:
    """``keys``: the store, issued keys and the usage writer (when the config has a store);
    ``responses``: the stored OpenAI Responses answers (a store and ``responses.store``);
    ``redis``: the client of ``redis.url``; ``counters``: where limit counters live (this
    process, the workers' parent, Redis); ``routing``: target health and key pools, and with
    Redis the shared cooldowns and response cache; ``history``: the request history's batch
    writer (a store and ``observability.history_days``). All are made from the config the
    process started with: a reload does not move them."""

    def __init__(self, config: Config | None = None) -> None:
        self.inflight = InflightCounter()
        self.keys: KeyService | None = None
        self.responses: ResponseService | None = None
        self.redis: RedisClient | None = None
        self.counters: Counters = LocalCounters()
        self.routing = RoutingMemory()
        self.history: HistoryWriter | None = None
        if config is not None:
            self.keys = KeyService(config.store) if config.store.enabled else None
            if self.keys is not None and config.responses.store:
                self.responses = ResponseService(self.keys.store, config.responses)
            if config.redis.url is not None:
                # Imported only when configured (the client and what it pulls in cost ~9 MB).
                from interlingua.server.redis_client import open_redis

                self.redis = open_redis(
                    config.redis.url.get_secret_value(),
                    cluster=config.redis.cluster,
                    timeout_s=config.redis.timeout_ms / 1000,
                )
            self.counters = make_counters(config, client=self.redis)
            self.routing = self._routing(self.redis)
            self.history = _history_writer(config, self.keys)
        self._metrics: GatewayMetrics | None = None

    @property
    def metrics(self) -> GatewayMetrics:
        """The process's Prometheus instruments, made on first use (metrics or tracing on)."""
        if self._metrics is None:
            from interlingua.server.observability.prom import GatewayMetrics

            self._metrics = GatewayMetrics()
        return self._metrics

    def _routing(self, client: RedisClient | None) -> RoutingMemory:
        if client is None:
            return RoutingMemory()
        from interlingua.server.cache.redis_store import RedisCache
        from interlingua.server.resilience.shared import SharedCooldowns

        secret = self._secret()
        if secret is None:
            log.error(
                "response cache: entries stay in each instance's memory: sharing them through Redis "
                "needs the server secret (store.secret, INTERLINGUA_SECRET or store.data_dir)"
            )
        return RoutingMemory(SharedCooldowns(client), RedisCache(client, secret) if secret else None)

    def _secret(self) -> bytes | None:
        if self.keys is not None:
            return self.keys.store.secret
        try:
            return load_secret(None, None, os.environ)
        except SecretUnavailable:
            return None

    async def start(self) -> None:
        """Open connections (store, Redis) inside the serving event loop."""
        if self.keys is not None:
            await self.keys.start()  # migrates the store first
        if self.responses is not None:
            await self.responses.start()
        if self.routing.fleet is not None:
            self.routing.fleet.start(self.routing.targets)
        if self.history is not None:
            await self.history.start()

    async def stop(self) -> None:
        """Close them, after requests drained and features flushed."""
        if self.history is not None:
            await self.history.stop()  # every queued record written, before the store closes
        if self.responses is not None:
            await self.responses.stop()
        if self.keys is not None:
            await self.keys.stop()
        if self.routing.fleet is not None:
            await self.routing.fleet.close()
        await self.counters.close()
        if self.redis is not None:
            await self.redis.aclose()


# A finished request reaches the store within this (the live tail polls every 0.5 s).
_HISTORY_FLUSH_MS = 500


def _history_writer(config: Config, keys: KeyService | None) -> HistoryWriter | None:
    days = config.observability.history_days
    if keys is None or days <= 0:
        return None
    return HistoryWriter(StoreHistorySink(keys.store.engine), keep_days=days, flush_ms=_HISTORY_FLUSH_MS)
