"""The key-revision poll's read, straight through the database driver.

Every process reads one integer from ``il_store_meta`` every ``store.revision_poll_ms``
(250 ms by default), for as long as it runs. Through the async engine that read costs
about 1.1 M instructions on SQLite and 1.3 M on PostgreSQL (callgrind): SQLAlchemy's
pool checkout and reset, its result machinery and, per poll, four round trips to
aiosqlite's worker thread (cursor, execute, fetch, close) or three to PostgreSQL (the
pool's pre-ping, the query, the rollback when the connection goes back). That was
nearly all of an idle gateway's CPU, a steady query load on a PostgreSQL shared by many
workers, and the main error of the per-request CPU measure (the poll runs less often
under load than idle).

- **SQLite:** a plain ``sqlite3`` connection read in the event loop's thread: a
  primary-key lookup in a WAL database, where readers take no lock a writer holds. It
  must never block the loop all the same, so the connection has no busy timeout: if
  SQLite answers "busy" (WAL recovery, a checkpoint restarting the log) the read gives
  up. It is opened read-only in autocommit mode and each result is fully fetched, so it
  never holds a read transaction that would stop the WAL from being checkpointed.
- **PostgreSQL:** one pooled connection kept for the poll, read with asyncpg's
  ``fetchval`` outside any transaction: one round trip.

Either way, when the cheap read cannot answer, ``read`` returns None and the store
reads through the engine as before, which waits for locks off the loop, pre-pings,
and reports a store that is really down.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["PostgresRevisionReader", "RevisionReader", "SqliteRevisionReader", "revision_reader"]

log = logging.getLogger("interlingua.store")


class RevisionReader(Protocol):
    async def read(self, name: str) -> int | None:
        """The counter's value (0 when absent); None when the engine should read instead."""

    async def close(self) -> None: ...


def revision_reader(engine: AsyncEngine) -> RevisionReader | None:
    """The cheap read for this store, where there is one (not for in-memory SQLite)."""
    if engine.dialect.name == "postgresql":
        return PostgresRevisionReader(engine)
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return SqliteRevisionReader(Path(database))


class SqliteRevisionReader:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    async def read(self, name: str) -> int | None:
        try:
            conn = self._conn or self._open()
            rows = conn.execute("SELECT value FROM il_store_meta WHERE name = ?", (name,)).fetchall()
        except sqlite3.Error as exc:
            # Busy, or the file is gone or unreadable. Reopen next time.
            log.debug("store: direct revision read failed (%s); reading through the engine", exc)
            await self.close()
            return None
        return int(rows[0][0]) if rows else 0

    def _open(self) -> sqlite3.Connection:
        uri = f"{self._path.resolve().as_uri()}?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False)
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresRevisionReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._held: AsyncConnection | None = None
        self._driver: Any = None  # the held connection's asyncpg.Connection

    async def read(self, name: str) -> int | None:
        try:
            if self._driver is None:
                self._held = await self._engine.connect()
                self._driver = (await self._held.get_raw_connection()).driver_connection
            value = await self._driver.fetchval("SELECT value FROM il_store_meta WHERE name = $1", name)
        except Exception as exc:  # asyncpg's, OSError, the pool's: the engine's read reports them
            log.debug("store: direct revision read failed (%s); reading through the engine", exc)
            await self._drop()
            return None
        return int(value or 0)

    async def _drop(self) -> None:
        held, self._held, self._driver = self._held, None, None
        if held is not None:
            try:
                await held.invalidate()
            except Exception as exc:
                log.debug("store: discarding the revision connection failed (%s)", exc)

    async def close(self) -> None:
        held, self._held, self._driver = self._held, None, None
        if held is not None:
            await held.close()
