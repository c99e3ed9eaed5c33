"""Long-lived per-process resources that outlive any one config snapshot.

A hot reload swaps the :class:`~interlingua.server.state.GatewayState` (config, router,
upstream clients, feature hooks), but some things must carry over: counters of requests
still in flight, database and Redis connections, metric registries. They live here,
made once when serving starts and closed when it stops; features reach them through
the builders' ``services`` argument.
"""

from __future__ import annotations

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
    def __init__(self) -> None:
        self.inflight = InflightCounter()

    async def start(self) -> None:
        """Open connections (store, Redis) inside the serving event loop."""

    async def stop(self) -> None:
        """Close them, after requests drained and features flushed."""
