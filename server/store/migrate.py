"""Schema migrations: Alembic revisions shipped in ``migrations/``, applied at start and by
``interlingua db upgrade``.

Several processes may start together (``--workers N``, several instances on one
PostgreSQL): PostgreSQL migrates under a transaction-scoped advisory lock, SQLite under an
exclusive file lock beside the database file, so one process migrates and the others then
find the schema at head.
"""

from __future__ import annotations

import asyncio
import fcntl
from pathlib import Path
from typing import IO

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["current_revision", "head_revision", "upgrade"]

# pg_advisory_xact_lock key: "interlingua" folded into a bigint.
_PG_LOCK = 0x696E_7465_726C_696E
_VERSION_TABLE = "il_alembic_version"


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection, opts={"version_table": _VERSION_TABLE}).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(engine: AsyncEngine, lock_path: Path | None = None) -> bool:
    """Bring the schema to head; True when something was applied."""
    if engine.dialect.name == "sqlite" and lock_path is not None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = await asyncio.to_thread(_flock, lock_path)
        try:
            return await _upgrade(engine)
        finally:
            fd.close()
    return await _upgrade(engine)


async def _upgrade(engine: AsyncEngine) -> bool:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        before = await conn.run_sync(_current)
        if before == head_revision():
            return False
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), "head"))
        return True


def _flock(path: Path) -> IO[str]:
    f = path.open("a+")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f
