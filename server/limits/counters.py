"""Where limit counters live, behind one interface (:class:`Counters`):

- :class:`LocalCounters`: this process's memory (one process, or a test).
- :class:`~interlingua.server.limits.shared.SocketCounters`: the parent process of
  ``--workers N`` holds the buckets and every worker asks it over a Unix socket, so
  limits are exact across workers without Redis (never per-worker counters silently
  multiplied by the worker count).
- :class:`~interlingua.server.limits.redis_counters.RedisCounters`: Redis, one Lua
  script per reserve and one per settle, for several instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from interlingua.server.limits.buckets import Buckets, Charge, Decision, Settle

__all__ = ["Counters", "LocalCounters"]


class Counters(Protocol):
    name: str

    async def reserve(self, charges: Sequence[Charge]) -> Decision: ...

    async def settle(self, settles: Sequence[Settle], decision: Decision | None = None) -> None: ...

    async def peek(self, charges: Sequence[Charge]) -> list[tuple[float, float]]: ...

    def status(self) -> dict[str, object]: ...

    async def close(self) -> None: ...


class LocalCounters:
    name = "local"

    def __init__(self, buckets: Buckets | None = None) -> None:
        self.buckets = buckets if buckets is not None else Buckets()  # an empty one is falsy (len)

    async def reserve(self, charges: Sequence[Charge]) -> Decision:
        return self.buckets.reserve(charges)

    async def settle(self, settles: Sequence[Settle], decision: Decision | None = None) -> None:
        self.buckets.settle(settles)

    async def peek(self, charges: Sequence[Charge]) -> list[tuple[float, float]]:
        return self.buckets.peek(charges)

    def status(self) -> dict[str, object]:
        return {"backend": self.name, "ok": True}

    async def close(self) -> None:
        pass
