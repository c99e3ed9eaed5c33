"""Limit counters shared by the workers of ``--workers N`` without Redis.

The parent process (which only supervises the workers) runs a :class:`CounterServer` in
a thread: the buckets of :mod:`~interlingua.server.limits.buckets` behind a Unix socket
in a private temporary directory. Each worker's :class:`SocketCounters` sends one
message per reserve and one per settle (newline-delimited JSON, pipelined: many requests
in flight share one connection, answers matched by id). The buckets are touched by one
thread only, so decisions are exact across workers; the parent's thread costs CPU only
while messages arrive.

The socket path reaches the workers through ``INTERLINGUA_COUNTERS_SOCKET``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from interlingua.server.limits.buckets import Buckets, Charge, Decision, Settle

__all__ = ["ENV_VAR", "CounterServer", "SocketCounters"]

log = logging.getLogger("interlingua.limits")

ENV_VAR = "INTERLINGUA_COUNTERS_SOCKET"


def _charges(rows: list[list[Any]]) -> list[Charge]:
    return [Charge(*row) for row in rows]


def _decision_row(d: Decision) -> list[Any]:
    return [d.allowed, d.retry_after_s, d.too_large, d.refused, d.remaining, d.reset_s]


def _handle(buckets: Buckets, op: str, rows: list[list[Any]]) -> Any:
    if op == "reserve":
        return _decision_row(buckets.reserve(_charges(rows)))
    if op == "settle":
        buckets.settle([Settle(*row) for row in rows])
        return None
    if op == "peek":
        return buckets.peek(_charges(rows))
    raise ValueError(op)


class CounterServer:
    """The parent's counter service (start before spawning workers, stop after)."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="interlingua-counters-"))
        self.path = str(self._dir / "counters.sock")
        self.buckets = Buckets()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="interlingua-counters", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        shutil.rmtree(self._dir, ignore_errors=True)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_unix_server(self._serve, self.path))
        os.chmod(self.path, 0o600)
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            # Connections still open end here, inside the loop (not at garbage collection).
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks))
            loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                msg_id, op, rows = orjson.loads(line)
                writer.write(orjson.dumps([msg_id, _handle(self.buckets, op, rows)]) + b"\n")
        except (ConnectionError, orjson.JSONDecodeError, ValueError, TypeError) as exc:
            log.warning("limits: a worker's counter connection failed: %s", exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()


class SocketCounters:
    """A worker's client of the parent's :class:`CounterServer`."""

    name = "workers"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self._connecting = asyncio.Lock()

    async def _connection(self) -> asyncio.StreamWriter:
        async with self._connecting:
            if self._writer is None or self._writer.is_closing():
                reader, self._writer = await asyncio.open_unix_connection(self.path)
                self._reader_task = asyncio.create_task(self._read(reader), name="interlingua-counters-client")
            return self._writer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                msg_id, result = orjson.loads(line)
                future = self._pending.pop(msg_id, None)
                if future is not None and not future.done():
                    future.set_result(result)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("the counter server closed the connection"))
            self._pending.clear()
            self._writer = None

    async def _call(self, op: str, rows: list[list[Any]]) -> Any:
        writer = await self._connection()
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        writer.write(orjson.dumps([msg_id, op, rows]) + b"\n")
        return await future

    async def reserve(self, charges: Sequence[Charge]) -> Decision:
        rows = [[c.key, c.need, c.capacity, c.rate, c.enforce, c.initial, c.window_s] for c in charges]
        allowed, retry, too_large, refused, remaining, reset = await self._call("reserve", rows)
        return Decision(allowed, retry, too_large, refused, remaining, reset)

    async def settle(self, settles: Sequence[Settle], decision: Decision | None = None) -> None:
        await self._call("settle", [[s.key, s.delta, s.capacity, s.rate, s.initial] for s in settles])

    async def peek(self, charges: Sequence[Charge]) -> list[tuple[float, float]]:
        rows = [[c.key, c.need, c.capacity, c.rate, c.enforce, c.initial, c.window_s] for c in charges]
        return [(a, b) for a, b in await self._call("peek", rows)]

    def status(self) -> dict[str, object]:
        return {"backend": self.name, "ok": True}

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
