"""Usage records of issued keys, written to the store in batches off the request path.

``record()`` only appends to a list; a background task writes a batch every
``store.usage_flush_ms`` or as soon as ``store.usage_batch_size`` records wait, and
``stop()`` (graceful shutdown) writes what is left. A failed write is retried with the
next batch (records are kept, up to a bound, and the loss is logged if the bound is hit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from interlingua.server.background import cancel_and_wait
from interlingua.server.store import Store
from interlingua.server.store.schema import usage_records

__all__ = ["UsageRecorder"]

log = logging.getLogger("interlingua.limits")

_MAX_PENDING = 200_000


class UsageRecorder:
    def __init__(self, store: Store, *, batch_size: int = 500, flush_s: float = 1.0) -> None:
        self.store = store
        self._batch_size = batch_size
        self._flush_s = flush_s
        self._pending: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def record(
        self, *, key_id: str, model: str, request_id: str, status: int | None, tokens: tuple[int, int, int, int], cost: float
    ) -> None:
        if len(self._pending) >= _MAX_PENDING:
            log.error("usage: %d records waiting for the store; dropping the oldest", len(self._pending))
            del self._pending[: self._batch_size]
        self._pending.append(
            {
                "key_id": key_id, "ts": datetime.now(UTC), "model": model[:200], "request_id": request_id,
                "status": status, "input_tokens": tokens[0], "output_tokens": tokens[1],
                "cache_read_tokens": tokens[2], "cache_creation_tokens": tokens[3], "cost_usd": cost,
            }
        )
        if len(self._pending) >= self._batch_size:
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="interlingua-usage-writer")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        while self._pending and await self.flush():
            pass

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._flush_s)
            self._wake.clear()
            # Every full batch now; a partial one only when the interval is up.
            while await self.flush() and len(self._pending) >= self._batch_size:
                pass

    async def flush(self) -> bool:
        """Write one batch; False if the store refused it (the records stay queued)."""
        batch = self._pending[: self._batch_size]
        if not batch:
            return True
        try:
            async with self.store.engine.begin() as conn:
                await conn.execute(insert(usage_records), batch)
        except Exception as exc:
            log.warning("usage: writing %d records failed (%s); retrying with the next batch", len(batch), exc)
            return False
        del self._pending[: len(batch)]
        return True
