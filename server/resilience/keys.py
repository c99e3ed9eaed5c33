"""A provider's pool of upstream keys.

Requests take the usable keys in turn. A key the upstream refuses (401/403) is benched for
``routing.keys.bench_s``; a key it rate-limits (429) rests for the answer's ``retry-after``
(``rate_limit_s`` without one), and the request moves on to the next key at once. A
resting key is used again only when every other key rests too. Logs and
the admin view name a key by provider and position (``openai key #2``), never by value.
A provider with no key has a pool of none, which is always usable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

from interlingua.server.config.routing import KeyPoolConfig

__all__ = ["KeyPool"]

log = logging.getLogger("interlingua.server")


class KeyPool:
    __slots__ = ("_cfg", "_clock", "_next", "_reason", "_rest_until", "_rested", "provider", "size")

    def __init__(
        self, provider: str, size: int, config: KeyPoolConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.provider = provider
        self.size = size
        self._cfg = config
        self._clock = clock
        self._rest_until = [0.0] * size
        self._reason = [""] * size
        self._next = 0
        # No key has rested yet: every key is usable without reading the clock (the happy path).
        self._rested = False

    def pick(self, exclude: AbstractSet[int] = frozenset()) -> int | None:
        """The next key's index, not in ``exclude`` (the keys this request already tried);
        None when every key was tried. Keys in turn, skipping resting ones; when every
        untried key rests, the one that wakes first (refusing outright would turn an
        upstream's rate limit into the gateway's). A pool of no keys answers -1 once."""
        if self.size == 0:
            return None if -1 in exclude else -1
        now = self._clock() if self._rested else 0.0
        for step in range(self.size):
            index = (self._next + step) % self.size
            if index not in exclude and self._rest_until[index] <= now:
                self._next = (index + 1) % self.size
                return index
        untried = [i for i in range(self.size) if i not in exclude]
        return min(untried, key=self._rest_until.__getitem__) if untried else None

    def configure(self, config: KeyPoolConfig) -> None:
        """New rest durations (a reload); keys resting now keep resting as decided."""
        self._cfg = config

    def ready(self) -> bool:
        """Whether some key is not resting."""
        return not self._rested or self.size == 0 or min(self._rest_until) <= self._clock()

    def rate_limited(self, index: int, retry_after_s: float | None) -> None:
        rest = retry_after_s if retry_after_s is not None else self._cfg.rate_limit_s
        self._rest(index, rest, "rate limited (429)")

    def refused(self, index: int, status: int) -> None:
        self._rest(index, self._cfg.bench_s, f"refused ({status})")

    def wait_s(self) -> float:
        """Seconds until some key is usable again (0: one is usable now)."""
        if self.size == 0:
            return 0.0
        return max(0.0, min(self._rest_until) - self._clock())

    def _rest(self, index: int, seconds: float, reason: str) -> None:
        if index < 0:
            return
        self._rest_until[index] = self._clock() + seconds
        self._rested = True
        self._reason[index] = reason
        log.warning("%s key #%d %s: resting %.1f s", self.provider, index + 1, reason, seconds)

    def describe(self) -> list[dict[str, Any]]:
        now = self._clock()
        return [
            {
                "key": f"#{i + 1}",
                "state": "resting" if until > now else "up",
                "resting_for_s": round(until - now, 3) if until > now else 0,
                "reason": self._reason[i] if until > now else None,
            }
            for i, until in enumerate(self._rest_until)
        ]
