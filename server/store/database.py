"""The store: one SQLAlchemy async engine over SQLite (default) or PostgreSQL.

Hot paths never wait on it: issued keys are cached per process (see
:mod:`interlingua.server.keys.authenticator`), limits live in memory or Redis, and usage
records are written in batches. What remains on it is the admin API, key lookups on a
cache miss, a revision poll every ``store.revision_poll_ms`` and the batch writer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from interlingua.server.config.store import StoreConfig
from interlingua.server.store.revision_read import revision_reader
from interlingua.server.store.schema import store_meta
from interlingua.server.store.secret import load_secret

__all__ = ["SHIPPED_HEAD", "Store", "bump_revision", "sqlite_url"]

log = logging.getLogger("interlingua.store")

_REVISION = "keys_revision"
# The schema revision this release's migrations end at (a test keeps it equal to Alembic's
# head). A store already there starts without importing Alembic, ~11 MB per process.
SHIPPED_HEAD = "0005"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'interlingua.db'}"


class Store:
    """An open store: ``engine`` plus the server secret."""

    def __init__(self, engine: AsyncEngine, secret: bytes, *, data_dir: Path | None) -> None:
        self.engine = engine
        self.secret = secret
        self.data_dir = data_dir
        self._fast_revision = revision_reader(engine)

    @classmethod
    def open(cls, config: StoreConfig, env: Mapping[str, str] | None = None) -> Store:
        """Make the engine (connections open lazily) and load or create the secret."""
        env = os.environ if env is None else env
        data_dir = Path(config.data_dir).expanduser() if config.data_dir else None
        if config.url is not None:
            url = config.url.get_secret_value()
        elif data_dir is not None:
            url = sqlite_url(data_dir)
        else:
            raise ValueError("store: set url or data_dir")
        if url.startswith("sqlite") and data_dir is not None:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = load_secret(config.secret.get_secret_value() if config.secret else None, data_dir, env)
        return cls(_engine(url), secret, data_dir=data_dir)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def migrate(self) -> None:
        if await self._at_shipped_head():
            return
        from interlingua.server.store.migrate import upgrade

        lock = self._sqlite_path().with_suffix(".migrate-lock") if self.dialect == "sqlite" else None
        if await upgrade(self.engine, lock):
            log.info("store: schema migrated to head")

    async def _at_shipped_head(self) -> bool:
        """Whether the schema is at :data:`SHIPPED_HEAD` (anything else, a missing version
        table included, goes through Alembic under the migration lock)."""
        try:
            async with self.engine.connect() as conn:
                found = (await conn.scalars(text("SELECT version_num FROM il_alembic_version"))).all()
        except SQLAlchemyError:
            return False
        return found == [SHIPPED_HEAD]

    def _sqlite_path(self) -> Path:
        database = self.engine.url.database
        assert database is not None
        return Path(database)

    async def revision(self) -> int:
        if self._fast_revision is not None:
            value = await self._fast_revision.read(_REVISION)
            if value is not None:
                return value
        async with self.engine.connect() as conn:
            value = await conn.scalar(select(store_meta.c.value).where(store_meta.c.name == _REVISION))
        return int(value or 0)

    async def close(self) -> None:
        if self._fast_revision is not None:
            await self._fast_revision.close()
        await self.engine.dispose()


async def bump_revision(conn: AsyncConnection) -> None:
    """In the caller's transaction: tell every process that keys changed."""
    result = await conn.execute(
        update(store_meta).where(store_meta.c.name == _REVISION).values(value=store_meta.c.value + 1)
    )
    if result.rowcount == 0:
        insert: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(store_meta).values(name=_REVISION, value=1)
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["name"], set_={"value": store_meta.c.value + 1})
        )


def _engine(url: str) -> AsyncEngine:
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # WAL: readers (key lookups, the revision poll) never wait for the batch writer.
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
