"""Persistent state of the gateway: issued keys and usage records (SQLAlchemy 2 async;
SQLite by default, PostgreSQL optional), schema migrated with Alembic."""

from interlingua.server.store.database import Store, bump_revision, sqlite_url

__all__ = ["Store", "bump_revision", "sqlite_url"]
