"""The store: migrations (SQLite, and PostgreSQL under an advisory lock with several
instances starting together), the server secret."""

from __future__ import annotations

import asyncio
import stat
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from realservers import fresh_database

from interlingua.server.config.store import StoreConfig
from interlingua.server.store import Store
from interlingua.server.store.database import SHIPPED_HEAD
from interlingua.server.store.migrate import current_revision, head_revision
from interlingua.server.store.schema import metadata
from interlingua.server.store.secret import SecretUnavailable, load_secret


async def _schema_diff(store: Store) -> list[object]:
    async with store.engine.connect() as conn:
        return await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))


def test_store_shipped_head_is_alembics_head() -> None:
    # Stores at SHIPPED_HEAD start without Alembic: it must name the last migration (a new
    # migration updates it in server/store/database.py).
    assert head_revision() == SHIPPED_HEAD


async def test_store_sqlite_migrates_to_head_once_and_matches_schema(tmp_path: Path) -> None:
    store = Store.open(StoreConfig(data_dir=str(tmp_path / "data")), env={})
    try:
        assert await current_revision(store.engine) is None
        await store.migrate()
        assert await current_revision(store.engine) == head_revision()
        await store.migrate()  # idempotent
        assert [d for d in await _schema_diff(store) if "il_alembic_version" not in repr(d)] == []
        assert await store.revision() == 0
    finally:
        await store.close()
    assert (tmp_path / "data" / "interlingua.db").exists()


def test_store_secret_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_secret(None, tmp_path, {})
    assert load_secret(None, tmp_path, {}) == first
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert load_secret(None, tmp_path, {"INTERLINGUA_SECRET": "x" * 20}) == b"x" * 20
    assert load_secret("y" * 16, tmp_path, {"INTERLINGUA_SECRET": "x" * 20}) == b"y" * 16


def test_store_secret_required_without_data_dir() -> None:
    with pytest.raises(SecretUnavailable, match="INTERLINGUA_SECRET"):
        load_secret(None, None, {})
    with pytest.raises(SecretUnavailable, match="at least 16"):
        load_secret("short", None, {})


def test_store_secret_writers_racing_agree(tmp_path: Path) -> None:
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(load_secret(None, tmp_path, {}))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no temporary files left


async def test_store_postgres_instances_starting_together_migrate_once(postgres_url: str, tmp_path: Path) -> None:
    url = await fresh_database(postgres_url, "migrate_race")
    config = tmp_path / "config.yaml"
    config.write_text(f"store: {{url: '{url}', secret: '{'s' * 32}'}}\n")
    # Five processes, as five instances booting at once: the advisory lock serialises them.
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "interlingua", "db", "--config", str(config), "upgrade",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(5)
    ]
    outcomes = await asyncio.gather(*(p.communicate() for p in procs))
    assert [p.returncode for p in procs] == [0] * 5, [err.decode() for _, err in outcomes]
    store = Store.open(StoreConfig(url=url, secret="s" * 32), env={})
    try:
        assert await current_revision(store.engine) == head_revision()
        assert [d for d in await _schema_diff(store) if "il_alembic_version" not in repr(d)] == []
    finally:
        await store.close()


async def test_store_postgres_concurrent_migrate_in_one_process(postgres_url: str) -> None:
    url = await fresh_database(postgres_url, "migrate_tasks")
    stores = [Store.open(StoreConfig(url=url, secret="s" * 32), env={}) for _ in range(4)]
    try:
        await asyncio.gather(*(s.migrate() for s in stores))
        assert await current_revision(stores[0].engine) == head_revision()
    finally:
        for s in stores:
            await s.close()
