"""Long-lived per-process resources that outlive any one config snapshot.

A hot reload swaps the :class:`~interlingua.server.state.GatewayState` (config, router,
upstream clients, feature hooks), but some things must carry over: counters of requests
still in flight, database and Redis connections, metric registries. They live here,
made once when serving starts and closed when it stops; features reach them through
the builders' ``services`` argument.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interlingua.server.keys.service import KeyService
from interlingua.server.limits.build import make_counters
from interlingua.server.limits.counters import Counters, LocalCounters
from interlingua.server.resilience.memory import RoutingMemory
from interlingua.server.responses import ResponseService

if TYPE_CHECKING:
    from interlingua.server.config import Config
    from interlingua.server.observability.prom import GatewayMetrics

__all__ = ["InflightCounter", "Services"]


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
    ``counters``: where limit counters live (this process, the workers' parent, Redis).
    All are made from the config the process started with: a reload does not move them."""

    def __init__(self, config: Config | None = None) -> None:
        self.inflight = InflightCounter()
        self.keys: KeyService | None = None
        self.responses: ResponseService | None = None
        self.counters: Counters = LocalCounters()
        if config is not None:
            self.keys = KeyService(config.store) if config.store.enabled else None
            if self.keys is not None and config.responses.store:
                self.responses = ResponseService(self.keys.store, config.responses)
            self.counters = make_counters(config)
        self.routing = RoutingMemory()  # target health and key pools, across reloads
        self._metrics: GatewayMetrics | None = None

    @property
    def metrics(self) -> GatewayMetrics:
        """The process's Prometheus instruments, made on first use (metrics or tracing on)."""
        if self._metrics is None:
            from interlingua.server.observability.prom import GatewayMetrics

            self._metrics = GatewayMetrics()
        return self._metrics

    async def start(self) -> None:
        """Open connections (store, Redis) inside the serving event loop."""
        if self.keys is not None:
            await self.keys.start()  # migrates the store first
        if self.responses is not None:
            await self.responses.start()

    async def stop(self) -> None:
        """Close them, after requests drained and features flushed."""
        if self.responses is not None:
            await self.responses.stop()
        if self.keys is not None:
            await self.keys.stop()
        await self.counters.close()
