"""Per-target health: failures, cooldown and probe, in-flight count, time to first byte.

A target is one (provider, upstream model) pair; routes that share it share its health.
``cooldown.failures`` failures within ``cooldown.window_s`` take it out of rotation for
``cooldown.cooldown_s``. When that ends, exactly one request is let through as a probe
while the others still skip the target: the probe's success puts the target back, its
failure starts another cooldown (Envoy's outlier ejection works the same way, LiteLLM lets
every request back at once). A probe that never reports (its request was cancelled) is
given up after ``cooldown_s`` so a target cannot stay stuck in "probing".

State is per gateway process (each Hypercorn worker has its own) and survives config
reloads (:mod:`.memory`). With Redis configured, cooldowns and probes are also shared by
every process and instance (:mod:`.shared`, ``fleet`` here); without it, with N processes a
failing target is probed up to N times.

Latency is an exponentially decaying average of time to first byte (weight ``_ALPHA`` for
the newest sample), which ``balance: lowest_latency`` sorts by.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from interlingua.server.config.routing import CooldownConfig

if TYPE_CHECKING:
    from interlingua.server.resilience.shared import SharedCooldowns

__all__ = ["HealthBook", "TargetHealth"]

_ALPHA = 0.2


@dataclass(slots=True, eq=False)
class TargetHealth:
    name: str  # "provider/upstream-model": never a secret
    failures: deque[float] = field(default_factory=deque)
    cooling_until: float = 0.0  # monotonic clock; 0: not cooling
    probe_started: float | None = None  # a probe is in flight since then
    inflight: int = 0
    latency_s: float | None = None  # decaying average time to first byte
    requests: int = 0
    errors: int = 0

    def observe_latency(self, seconds: float) -> None:
        self.latency_s = (
            seconds if self.latency_s is None else self.latency_s + _ALPHA * (seconds - self.latency_s)
        )


class HealthBook:
    """Every target's health, made on first use."""

    def __init__(
        self,
        cooldown: CooldownConfig,
        clock: Callable[[], float] = time.monotonic,
        *,
        targets: dict[str, TargetHealth] | None = None,
        fleet: SharedCooldowns | None = None,
    ) -> None:
        self._cfg = cooldown
        self._clock = clock
        self._fleet = fleet
        # Shared with the process's RoutingMemory, so health outlives a config reload.
        self._targets: dict[str, TargetHealth] = {} if targets is None else targets

    def __getitem__(self, name: str) -> TargetHealth:
        health = self._targets.get(name)
        if health is None:
            health = self._targets[name] = TargetHealth(name)
            if self._fleet is not None:
                self._fleet.first_seen(health)
        return health

    def __iter__(self) -> Iterator[TargetHealth]:
        return iter(self._targets.values())

    def usable(self, health: TargetHealth) -> bool:
        """Whether a request may use the target now (without claiming a probe)."""
        if not health.cooling_until:
            return True
        now = self._clock()
        if now < health.cooling_until:
            return False
        return health.probe_started is None or now - health.probe_started > self._cfg.cooldown_s

    def claim(self, health: TargetHealth, *, force: bool = False) -> bool:
        """Take the target for one attempt: False if it is cooling or another request probes
        it (``force``: take it anyway, as a probe when cooling)."""
        if not force and health.cooling_until and not self.usable(health):  # (usable: True unless cooling)
            return False
        if health.cooling_until:
            health.probe_started = self._clock()
        health.inflight += 1
        health.requests += 1
        return True

    async def fleet_probe(self, health: TargetHealth) -> bool:
        """After :meth:`claim` took a cooled target as a probe: whether this process probes
        (no other instance does; always without Redis). If not, the target is skipped here
        as if a probe of this process were in flight."""
        fleet = self._fleet
        if fleet is None or await fleet.take_probe(health.name, self._cfg.cooldown_s):
            return True
        health.inflight -= 1
        health.requests -= 1
        return False

    def succeeded(self, health: TargetHealth) -> None:
        """The first byte arrived: the target is healthy (it stays in flight until :meth:`left`)."""
        if self._fleet is not None and (health.cooling_until or health.failures):
            if health.cooling_until:
                self._fleet.recovered(health.name)
            else:
                self._fleet.reset(health.name)
        if health.failures:  # (most answers follow answers: nothing to clear)
            health.failures.clear()
        health.cooling_until, health.probe_started = 0.0, None

    def failed(self, health: TargetHealth) -> None:
        """A failure that counts toward cooldown (see :class:`~.verdict.Verdict`)."""
        health.inflight -= 1
        health.errors += 1
        now = self._clock()
        cooled = health.probe_started is not None  # the probe failed: another full cooldown
        if not cooled:
            failures = health.failures
            failures.append(now)
            while failures and now - failures[0] > self._cfg.window_s:
                failures.popleft()
            cooled = len(failures) >= self._cfg.failures
        if cooled:
            self._cool(health, now)
        if self._fleet is not None:
            self._fleet.failed(health, self._cfg, cooled=cooled)

    def left(self, health: TargetHealth, *, released: bool = False) -> None:
        """The attempt's answer ended. ``released``: it said nothing about the target (client
        gone, key trouble, a client error), so a probe is handed back for the next request."""
        health.inflight -= 1
        if released and health.probe_started is not None:
            health.probe_started = None
            if self._fleet is not None:
                self._fleet.released(health.name)

    def soonest_s(self) -> float:
        """Seconds until the first cooling target may be probed."""
        now = self._clock()
        waits = [h.cooling_until - now for h in self._targets.values() if h.cooling_until > now]
        return min(waits) if waits else self._cfg.cooldown_s

    def _cool(self, health: TargetHealth, now: float) -> None:
        health.cooling_until = now + self._cfg.cooldown_s
        health.probe_started = None
        health.failures.clear()

    def describe(self, health: TargetHealth) -> dict[str, Any]:
        """The target's state for ``GET /admin/targets``."""
        now = self._clock()
        cooling = health.cooling_until > now
        state = "cooling" if cooling else ("probing" if health.probe_started is not None else "up")
        if not cooling and health.cooling_until and health.probe_started is None:
            state = "probe_due"
        window = self._cfg.window_s
        return {
            "target": health.name,
            "state": state,
            "cooling_for_s": round(health.cooling_until - now, 3) if cooling else 0,
            "recent_failures": sum(1 for t in health.failures if now - t <= window),
            "in_flight": health.inflight,
            "latency_ms": round(health.latency_s * 1000, 1) if health.latency_s is not None else None,
            "requests": health.requests,
            "errors": health.errors,
        }
