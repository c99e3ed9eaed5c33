"""The key-revision poll's read through the driver (``server/store/revision_read.py``): it
sees every committed change at once; on SQLite it never holds a read transaction that
would stop the WAL from being checkpointed; on PostgreSQL it keeps one connection; and it
hands over to the engine whenever it cannot answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from realservers import fresh_database
from sqlalchemy import text

from interlingua.server.config.store import StoreConfig
from interlingua.server.store import Store, bump_revision
from interlingua.server.store.revision_read import PostgresRevisionReader, SqliteRevisionReader


async def _open(tmp_path: Path) -> Store:
    store = Store.open(StoreConfig(data_dir=str(tmp_path)), env={})
    await store.migrate()
    return store


async def test_revision_read_sees_each_commit_of_another_connection(tmp_path: Path) -> None:
    store = await _open(tmp_path)
    reader = SqliteRevisionReader(tmp_path / "interlingua.db")
    try:
        assert await reader.read("keys_revision") == 0
        for expected in (1, 2, 3):
            async with store.engine.begin() as conn:
                await bump_revision(conn)
            assert await reader.read("keys_revision") == expected
            assert await store.revision() == expected
    finally:
        await reader.close()
        await store.close()


async def test_revision_read_holds_no_read_transaction(tmp_path: Path) -> None:
    store = await _open(tmp_path)
    reader = SqliteRevisionReader(tmp_path / "interlingua.db")
    writer = sqlite3.connect(tmp_path / "interlingua.db", isolation_level=None)
    try:
        writer.execute("INSERT INTO il_store_meta (name, value) VALUES ('probe', 1)")
        assert await reader.read("probe") == 1
        # A reader inside a transaction would pin the WAL: TRUNCATE would report busy.
        busy, _log, _checkpointed = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        writer.close()
        await reader.close()
        await store.close()


async def test_revision_read_hands_over_to_the_engine_when_it_cannot_answer(tmp_path: Path) -> None:
    assert await SqliteRevisionReader(tmp_path / "missing.db").read("keys_revision") is None
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
        assert await reader.read("keys_revision") is None
        blocker.execute("COMMIT")
    finally:
        blocker.close()
    assert await store.revision() == 1
    await store.close()


async def test_revision_read_on_postgres_keeps_one_connection_and_survives_losing_it(postgres_url: str) -> None:
    store = Store.open(StoreConfig(url=await fresh_database(postgres_url, "revision_read"), secret="s" * 20), env={})
    await store.migrate()
    reader = PostgresRevisionReader(store.engine)
    try:
        assert await reader.read("keys_revision") == 0
        async with store.engine.begin() as conn:
            await bump_revision(conn)
            backend = await conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"))
        assert await reader.read("keys_revision") == 1
        async with store.engine.begin() as conn:
            await bump_revision(conn)
            assert await conn.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            ) == backend  # the reader holds its one connection, it opened no other
            # The server ends the reader's connection (a restart, an idle timeout):
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        assert await reader.read("keys_revision") is None  # the engine reads this time
        assert await store.revision() == 2
        assert await reader.read("keys_revision") == 2  # and a new held connection next time
    finally:
        await reader.close()
        await store.close()
