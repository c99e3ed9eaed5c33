"""Request history: each request's record, written to the store in batches, off the request path.

The ``complete`` hook only appends the record to a bounded in-memory queue
(:meth:`HistoryWriter.add`, no I/O, no await); a background task writes what is queued
every ``flush_ms`` (or as soon as a batch is full) through a :class:`HistorySink`, and
prunes records older than ``observability.history_days`` once an hour. When the store is
slower than the traffic, records beyond ``max_queue`` are dropped and counted rather than
held without bound. On shutdown what is queued is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["HistorySink", "HistoryWriter"]

log = logging.getLogger("interlingua.server")

_PRUNE_EVERY_S = 3600.0
# How long stop() lets a write under way finish before cancelling it.
_STOP_WAIT_S = 30.0


class HistorySink(Protocol):
    async def write(self, records: Sequence[dict[str, Any]]) -> None:
        """Store ``records`` (access-log records, :mod:`.record`)."""
        ...

    async def prune(self, before: float) -> None:
        """Delete records received before ``before`` (Unix time)."""
        ...


class HistoryWriter:
    def __init__(
        self,
        sink: HistorySink,
        *,
        keep_days: float,
        batch: int = 500,
        flush_ms: int = 1000,
        max_queue: int = 50_000,
    ) -> None:
        self._sink = sink
        self._keep_s = keep_days * 86400
        self._batch = batch
        self._flush_s = flush_ms / 1000
        self._queue: deque[dict[str, Any]] = deque()
        self._max_queue = max_queue
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = 0.0
        self._stopping = False
        self.dropped = 0

    def add(self, record: dict[str, Any]) -> None:
        if len(self._queue) >= self._max_queue:
            self.dropped += 1
            return
        self._queue.append(record)
        if len(self._queue) >= self._batch:
            self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Write what is queued. The background task is asked to end, not cancelled: a
        cancel landing inside a write lost that batch (it had left the queue), which a
        loaded machine made likely. Only a task still busy after ``_STOP_WAIT_S`` (a store
        that stopped answering) is cancelled."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            await asyncio.wait({task}, timeout=_STOP_WAIT_S)
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._stopping = False
        await self._flush()

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._flush_s)
            self._wake.clear()
            await self._flush()
            if not self._stopping and time.time() - self._pruned_at > _PRUNE_EVERY_S:
                await self._prune()

    async def _flush(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self._batch, len(self._queue)))]
            try:
                await self._sink.write(batch)
            except Exception:
                self.dropped += len(batch)
                log.exception("request history: %d records could not be written", len(batch))
                return

    async def _prune(self) -> None:
        self._pruned_at = time.time()
        try:
            await self._sink.prune(self._pruned_at - self._keep_s)
        except Exception:
            log.exception("request history: pruning old records failed")
