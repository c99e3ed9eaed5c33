"""The key-revision poll's cheap read on SQLite (``server/store/revision_read.py``): it sees
every committed change at once, never holds a read transaction that would stop the WAL
from being checkpointed, and hands over to the engine whenever it cannot answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from interlingua.server.config.store import StoreConfig
from interlingua.server.store import Store, bump_revision
from interlingua.server.store.revision_read import SqliteRevisionReader


async def _open(tmp_path: Path) -> Store:
    store = Store.open(StoreConfig(data_dir=str(tmp_path)), env={})
    await store.migrate()
    return store


async def test_revision_read_sees_each_commit_of_another_connection(tmp_path: Path) -> None:
    store = await _open(tmp_path)
    reader = SqliteRevisionReader(tmp_path / "interlingua.db")
    try:
        assert reader.read("keys_revision") == 0
        for expected in (1, 2, 3):
            async with store.engine.begin() as conn:
                await bump_revision(conn)
            assert reader.read("keys_revision") == expected
            assert await store.revision() == expected
    finally:
        reader.close()
        await store.close()


async def test_revision_read_holds_no_read_transaction(tmp_path: Path) -> None:
    store = await _open(tmp_path)
    reader = SqliteRevisionReader(tmp_path / "interlingua.db")
    writer = sqlite3.connect(tmp_path / "interlingua.db", isolation_level=None)
    try:
        writer.execute("INSERT INTO il_store_meta (name, value) VALUES ('probe', 1)")
        assert reader.read("probe") == 1
        # A reader inside a transaction would pin the WAL: TRUNCATE would report busy.
        busy, _log, _checkpointed = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        writer.close()
        reader.close()
        await store.close()


async def test_revision_read_hands_over_to_the_engine_when_it_cannot_answer(tmp_path: Path) -> None:
    assert SqliteRevisionReader(tmp_path / "missing.db").read("keys_revision") is None
    store = await _open(tmp_path)
    blocker = sqlite3.connect(tmp_path / "interlingua.db", isolation_level=None)
    try:
        async with store.engine.begin() as conn:
            await bump_revision(conn)
        await store.engine.dispose()  # pooled connections would stop the exclusive lock
        # An exclusive-mode writer keeps its WAL index private: other connections get
        # SQLITE_BUSY at once (no busy timeout), and the engine's path answers instead.
        blocker.execute("PRAGMA locking_mode=EXCLUSIVE")
        blocker.execute("BEGIN EXCLUSIVE")
        reader = SqliteRevisionReader(tmp_path / "interlingua.db")
        assert reader.read("keys_revision") is None
        blocker.execute("COMMIT")
    finally:
        blocker.close()
    assert await store.revision() == 1
    await store.close()
