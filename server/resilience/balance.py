"""The order in which one request tries a route's targets.

Targets are grouped by ``priority`` (0 first); a group is used only when every target of
the groups before it is unavailable (cooling) or has failed for this request. Within a
group the strategy picks the first target; the others follow as failover order:

================  ==========================================================================
strategy          first target
================  ==========================================================================
weighted          smooth weighted round robin (nginx): exact shares over any window, no
                  randomness, so 3:1 weights give 300:100 over 400 requests
round_robin       the next target in turn, weights ignored
least_busy        the fewest requests in flight from this process (ties: in turn)
lowest_latency    the lowest decaying average time to first byte; a target never measured
                  goes first, so every target gets measured
================  ==========================================================================

Failover order after the first: by weight (weighted), in turn (round_robin), by in-flight
count (least_busy), by latency (lowest_latency). State is per process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby

from interlingua.server.config.routing import Balance
from interlingua.server.resilience.health import TargetHealth
from interlingua.server.resilience.keys import KeyPool

__all__ = ["Balancer", "Slot"]


class Slot:
    """One target of a route, as the balancer sees it."""

    __slots__ = ("current", "health", "index", "pool", "priority", "weight")

    def __init__(self, index: int, weight: float, priority: int, health: TargetHealth, pool: KeyPool) -> None:
        self.index = index
        self.weight = weight
        self.priority = priority
        self.health = health
        self.pool = pool  # the provider's keys
        self.current = 0.0  # smooth weighted round robin's running weight


class Balancer:
    __slots__ = ("_groups", "_strategy", "_turn", "single")

    def __init__(self, slots: Sequence[Slot], strategy: Balance) -> None:
        ordered = sorted(slots, key=lambda s: s.priority)
        self._groups = [list(group) for _, group in groupby(ordered, key=lambda s: s.priority)]
        self._strategy = strategy
        self._turn = 0
        self.single = len(slots) == 1

    def order(self, usable: Callable[[Slot], bool]) -> list[Slot]:
        """Every usable target, in the order this request should try them."""
        if self.single:
            slot = self._groups[0][0]
            return [slot] if usable(slot) else []
        turn, self._turn = self._turn, self._turn + 1
        out: list[Slot] = []
        for group in self._groups:
            live = [slot for slot in group if usable(slot)]
            if live:
                out += self._rank(live, turn)
        return out

    def _rank(self, live: list[Slot], turn: int) -> list[Slot]:
        if len(live) == 1:
            return live
        strategy, n = self._strategy, len(live)
        turn %= n
        if strategy == "weighted":
            first = _smooth_pick(live)
            rest = [s for s in live if s is not first]
            if len(rest) > 1:  # two targets (the common case) need no sort
                rest.sort(key=_heaviest_first)
            return [first, *rest]
        if strategy == "round_robin":
            return live[turn:] + live[:turn]
        if strategy == "least_busy":
            return sorted(live, key=lambda s: (s.health.inflight, (live.index(s) - turn) % n))
        return sorted(live, key=lambda s: -1.0 if s.health.latency_s is None else s.health.latency_s)


def _heaviest_first(slot: Slot) -> float:
    return -slot.weight


def _smooth_pick(live: list[Slot]) -> Slot:
    total = 0.0
    best = live[0]
    for slot in live:
        slot.current += slot.weight
        total += slot.weight
        if slot.current > best.current:
            best = slot
    best.current -= total
    return best
