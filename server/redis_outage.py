"""Redis unreachable, as one component sees it (limit counters, shared cooldowns, the
response cache): logged once when an outage starts and once when it ends, and Redis left
alone for ``retry_s`` after each failure, so requests do not each wait for a dead server."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["Outage"]


class Outage:
    """``down``: the error logged at the start (``%s``: the exception's type); ``up``: the
    warning when Redis answers again. ``error``: the current outage's exception type."""

    __slots__ = ("_clock", "_down", "_log", "_retry_s", "_up", "error", "until")

    def __init__(
        self,
        log: logging.Logger,
        down: str,
        up: str,
        retry_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log, self._down, self._up = log, down, up
        self._retry_s = retry_s
        self._clock = clock
        self.error: str | None = None
        self.until = 0.0

    def waiting(self) -> bool:
        """Whether Redis failed less than ``retry_s`` ago (skip it for now)."""
        return self._clock() < self.until

    def failed(self, exc: BaseException) -> None:
        if self.error is None:
            self._log.error(self._down, type(exc).__name__)
        self.error = type(exc).__name__
        self.until = self._clock() + self._retry_s

    def recovered(self) -> None:
        if self.error is not None:
            self._log.warning(self._up)
        self.error = None
