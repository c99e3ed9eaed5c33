"""Token buckets with reserve-before / settle-after and debt: the limit algorithm.

Every limited quantity is a bucket of ``capacity`` refilled at ``rate`` per second
(requests per minute: capacity = rpm, rate = rpm/60; tokens per minute likewise;
concurrency: capacity = max_parallel, rate 0, and the slot comes back at settle). A new
bucket starts full, or at ``initial`` (a budget seeded with the spend already recorded
this period).

``reserve`` is all-or-nothing over a request's buckets: when an enforced bucket holds less
than the request needs, nothing is taken and the answer says how long until it would fit;
otherwise every bucket is charged. Shadow buckets are charged too (they measure) but
never refuse; the decision lists which of them would have.

``settle`` adds ``need - actual`` back: a refund when the request used less than reserved,
a further charge when it used more. Balances may go below zero (debt), repaid as the
bucket refills, so overage is never lost: across any number of concurrent requests the
tokens served stay within the limit plus one request's estimate error.

The same arithmetic runs in Redis as a Lua script (``redis_counters``); this module is the
in-process implementation and the reference the Lua script is tested against.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Buckets", "Charge", "Decision", "Settle", "retry_after_header"]


# Charge and Settle are made per request: plain (not frozen) slotted dataclasses, whose
# construction costs a third of a frozen one's.
@dataclass(slots=True)
class Charge:
    key: str  # counter name (never a secret: a key's public id at most)
    need: float
    capacity: float
    rate: float  # refill per second; 0: a concurrency counter (refunded at settle)
    enforce: bool = True  # False: shadow mode
    initial: float | None = None  # a new bucket's balance [capacity]
    window_s: float = 60.0  # for the "reset" figure of rate-limit headers


@dataclass(slots=True)
class Settle:
    key: str
    delta: float  # need - actual: positive refunds, negative charges more
    capacity: float
    rate: float
    initial: float | None = None


@dataclass(slots=True)
class Decision:
    allowed: bool
    retry_after_s: float = 0.0
    too_large: bool = False  # an enforced bucket can never hold what the request needs
    refused: list[int] = field(default_factory=list)  # charges that refused (or would: shadow)
    remaining: list[float] = field(default_factory=list)  # per charge, after the decision
    reset_s: list[float] = field(default_factory=list)  # per charge: seconds until full again
    fallback: bool = False  # decided by a fallback (Redis was unreachable): settle there too


def _reset(balance: float, capacity: float, rate: float) -> float:
    return 0.0 if balance >= capacity or rate <= 0 else (capacity - balance) / rate


# Buckets untouched this long are forgotten (a budget is then re-seeded from the store).
_IDLE_S = 6 * 3600.0
_SWEEP_EVERY = 4096


class Buckets:
    """In-process buckets: ``key -> (balance, updated, capacity, rate)``; used from one
    thread at a time (an event loop, or the counter server's loop), so no lock."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._state: dict[str, tuple[float, float, float, float]] = {}
        self._clock = clock or time.monotonic
        self._ops = 0

    def _balance(self, key: str, capacity: float, rate: float, initial: float | None, now: float) -> float:
        state = self._state.get(key)
        if state is None:
            return capacity if initial is None else min(capacity, initial)
        balance, updated = state[0], state[1]
        return min(capacity, balance + (now - updated) * rate) if rate > 0 else min(capacity, balance)

    def _sweep(self, now: float) -> None:
        """Drop buckets that are full again (they would start full anyway) or long idle."""
        self._state = {
            key: (balance, updated, capacity, rate)
            for key, (balance, updated, capacity, rate) in self._state.items()
            if now - updated < _IDLE_S and balance + (now - updated) * rate < capacity
        }

    def reserve(self, charges: Sequence[Charge]) -> Decision:
        # Every request runs this: one pass to decide, one to store, balances inlined
        # (same arithmetic as ``_balance``), no per-charge helper calls.
        now = self._clock()
        state = self._state
        balances = []
        allowed, too_large, retry, refused = True, False, 0.0, []
        for i, c in enumerate(charges):
            st = state.get(c.key)
            if st is None:
                balance = c.capacity if c.initial is None or c.initial > c.capacity else c.initial
            else:
                balance = st[0] + (now - st[1]) * c.rate if c.rate > 0 else st[0]
                if balance > c.capacity:
                    balance = c.capacity
            balances.append(balance)
            if balance >= c.need:
                continue
            refused.append(i)
            if not c.enforce:
                continue
            allowed = False
            if c.need > c.capacity:
                too_large = True
            wait = (c.need - balance) / c.rate if c.rate > 0 else 1.0
            if wait > retry:
                retry = wait
        remaining, resets = [], []
        for c, balance in zip(charges, balances, strict=True):
            after = balance - c.need if allowed else balance
            state[c.key] = (after, now, c.capacity, c.rate)
            remaining.append(after)
            resets.append(0.0 if after >= c.capacity or c.rate <= 0 else (c.capacity - after) / c.rate)
        self._ops += 1  # _tick, inlined: every request reserves
        if not self._ops % _SWEEP_EVERY:
            self._sweep(now)
        return Decision(allowed, retry, too_large, refused, remaining, resets)

    def settle(self, settles: Sequence[Settle]) -> None:
        now = self._clock()
        state = self._state
        for s in settles:
            balance = self._balance(s.key, s.capacity, s.rate, s.initial, now)
            state[s.key] = (min(s.capacity, balance + s.delta), now, s.capacity, s.rate)
        self._ops += 1  # _tick, inlined: every request settles
        if not self._ops % _SWEEP_EVERY:
            self._sweep(now)

    def peek(self, charges: Sequence[Charge]) -> list[tuple[float, float]]:
        """``(remaining, reset_s)`` per charge, changing nothing."""
        now = self._clock()
        out = []
        for c in charges:
            balance = self._balance(c.key, c.capacity, c.rate, c.initial, now)
            out.append((balance, _reset(balance, c.capacity, c.rate)))
        return out

    def __len__(self) -> int:
        return len(self._state)


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
