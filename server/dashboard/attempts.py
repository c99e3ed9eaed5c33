"""Sign-in attempt limiting: failed attempts per client address in a sliding window.

In-process (each worker counts its own; with ``--workers N`` an address gets at most N
times the allowance), which is enough to make guessing a 16+ character key hopeless
while never locking the admin out for longer than the window.
"""

from __future__ import annotations

import time
from collections import deque

__all__ = ["FailedAttempts"]

_MAX_ADDRESSES = 10_000  # bound memory under a spray from many addresses


class FailedAttempts:
    def __init__(self, allowed: int = 10, window_s: float = 300.0) -> None:
        self.allowed = allowed
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def retry_after(self, address: str, now: float | None = None) -> int:
        """Seconds until ``address`` may try again (0: now)."""
        now = time.monotonic() if now is None else now
        failures = self._recent(address, now)
        if len(failures) < self.allowed:
            return 0
        return max(1, int(failures[0] + self.window_s - now + 0.999))

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if address not in self._failures and len(self._failures) >= _MAX_ADDRESSES:
            self._failures.pop(next(iter(self._failures)))  # the oldest address
        self._failures.setdefault(address, deque()).append(now)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
