"""The history writer batches records off the request path, bounds its queue and flushes on stop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from interlingua.server.observability.history import HistoryWriter


class MemorySink:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.pruned: list[float] = []
        self.fail = fail
        self.wrote = asyncio.Event()

    async def write(self, records: Sequence[dict[str, Any]]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.batches.append(list(records))
        self.wrote.set()

    async def prune(self, before: float) -> None:
        self.pruned.append(before)


async def test_history_full_batch_written_without_waiting_for_the_interval() -> None:
    sink = MemorySink()
    writer = HistoryWriter(sink, keep_days=7, batch=3, flush_ms=60_000)
    await writer.start()
    for n in range(3):
        writer.add({"n": n})
    await asyncio.wait_for(sink.wrote.wait(), 10)
    await writer.stop()
    assert sink.batches == [[{"n": 0}, {"n": 1}, {"n": 2}]]
    assert len(sink.pruned) == 1  # pruned once at start, then hourly


async def test_history_stop_flushes_and_queue_is_bounded() -> None:
    sink = MemorySink()
    writer = HistoryWriter(sink, keep_days=1, batch=10, flush_ms=60_000, max_queue=4)
    for n in range(6):
        writer.add({"n": n})
    await writer.stop()
    assert [r["n"] for batch in sink.batches for r in batch] == [0, 1, 2, 3]
    assert writer.dropped == 2


async def test_history_sink_failure_is_logged_and_counted_not_raised() -> None:
    writer = HistoryWriter(MemorySink(fail=True), keep_days=1)
    writer.add({"n": 1})
    await writer.stop()
    assert writer.dropped == 1


class SlowSink(MemorySink):
    """A write that waits until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def write(self, records: Sequence[dict[str, Any]]) -> None:
        self.entered.set()
        await self.release.wait()
        await super().write(records)


async def test_history_stop_during_a_write_loses_nothing() -> None:
    """Shutdown arriving while a batch is being written (a loaded machine's slow store):
    that batch and everything queued after it reach the store."""
    sink = SlowSink()
    writer = HistoryWriter(sink, keep_days=7, batch=2, flush_ms=60_000)
    await writer.start()
    writer.add({"n": 0})
    writer.add({"n": 1})  # a full batch: the background task starts writing it
    await asyncio.wait_for(sink.entered.wait(), 10)
    writer.add({"n": 2})
    stopping = asyncio.create_task(writer.stop())
    await asyncio.sleep(0)  # stop() is now waiting on the write under way
    sink.release.set()
    await asyncio.wait_for(stopping, 10)
    assert [r["n"] for batch in sink.batches for r in batch] == [0, 1, 2]
    assert writer.dropped == 0
