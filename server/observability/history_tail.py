"""The live tail of the request history: new records as Server-Sent Events.

It polls the store (every :data:`POLL_S`), not this process's memory, so it shows the
requests of every worker and every instance writing to one store. Ids are assigned when
a batch is inserted; on PostgreSQL two writers' transactions may commit out of id order,
so each poll looks back :data:`LOOKBACK` ids below the highest one sent and sends those
it has not sent yet (an id-only query; whole records only for what is new). A comment
line goes out every :data:`HEARTBEAT_S` so proxies keep an idle tail open.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from interlingua.server.observability.history_query import Filters, by_ids, ids_above

__all__ = ["HEARTBEAT_S", "LOOKBACK", "POLL_S", "TailCursor", "tail_events"]

POLL_S = 0.5
HEARTBEAT_S = 15.0
LOOKBACK = 2000
_BATCH = 500


class TailCursor:
    """What a tail has sent: ids above ``start`` are new; ``sent`` remembers the recent ones."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.high = start
        self.sent: set[int] = set()

    @property
    def floor(self) -> int:
        return max(self.start, self.high - LOOKBACK)

    def unsent(self, ids: list[int]) -> list[int]:
        return [i for i in ids if i not in self.sent][:_BATCH]

    def mark(self, ids: list[int]) -> None:
        self.sent.update(ids)
        self.high = max(self.high, *ids)
        floor = self.floor
        self.sent = {i for i in self.sent if i > floor}


def _event(record: dict[str, Any]) -> bytes:
    return b"id: %d\ndata: %s\n\n" % (record["id"], orjson.dumps(record))


async def tail_events(
    engine: AsyncEngine,
    filters: Filters,
    cursor: TailCursor,
    *,
    heartbeat_s: float = HEARTBEAT_S,
    stop: asyncio.Event | None = None,
) -> AsyncIterator[bytes]:
    """Events until the client goes away (the server then cancels this generator) or ``stop``
    is set (a graceful shutdown: the response ends, and a reconnecting client resumes from
    its ``Last-Event-ID`` on another instance or after the restart)."""
    stop = stop or asyncio.Event()
    yield b": tail of the request history\n\n"
    quiet_since = time.monotonic()
    while True:
        fresh = cursor.unsent(await ids_above(engine, filters, cursor.floor, LOOKBACK + _BATCH))
        if fresh:
            records = await by_ids(engine, fresh)
            cursor.mark(fresh)
            yield b"".join(_event(r) for r in records)
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= heartbeat_s:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_S)
        if stop.is_set():
            return
