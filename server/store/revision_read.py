"""The key-revision poll's read on SQLite, without a thread hop.

Every process reads one integer from ``il_store_meta`` every ``store.revision_poll_ms``
(250 ms by default), for as long as it runs. Through the async engine that read costs
about 1.1 M instructions (callgrind): SQLAlchemy's pool checkout, reset and result
machinery, and four round trips to aiosqlite's worker thread (cursor, execute, fetch,
close), each a queue hand-off and a loop wake-up. That was nearly all of an idle
gateway's CPU, and it made per-request CPU hard to measure exactly, because the poll
runs less often under load than idle.

The same read on a plain ``sqlite3`` connection in the event loop's thread is a
primary-key lookup in a WAL database: readers take no lock a writer holds, so it does
not wait. It must never block the loop all the same, so the connection has no busy
timeout: if SQLite answers "busy" (WAL recovery, a checkpoint restarting the log) or
anything else goes wrong, ``read`` returns None and the caller reads through the engine
as before. The connection is opened read-only and in autocommit mode, and each result is
fully fetched, so it never holds a read transaction that would stop the WAL from being
checkpointed.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

__all__ = ["SqliteRevisionReader"]

log = logging.getLogger("interlingua.store")

_QUERY = "SELECT value FROM il_store_meta WHERE name = ?"


class SqliteRevisionReader:
    """``read(name)``: the counter's value (0 when absent), or None when this cheap path
    cannot answer now and the caller should use the engine."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def read(self, name: str) -> int | None:
        try:
            conn = self._conn or self._open()
            rows = conn.execute(_QUERY, (name,)).fetchall()
        except sqlite3.Error as exc:
            # Busy, or the file is gone or unreadable: the engine's path reports real
            # errors (and waits for locks off the loop). Reopen next time.
            log.debug("store: fast revision read failed (%s); reading through the engine", exc)
            self.close()
            return None
        return int(rows[0][0]) if rows else 0

    def _open(self) -> sqlite3.Connection:
        uri = f"{self._path.resolve().as_uri()}?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
