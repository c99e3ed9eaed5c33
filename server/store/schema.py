"""The store's tables (SQLAlchemy Core). Changes here need an Alembic migration in
``migrations/versions/`` (tests compare the migrated schema with this one)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

__all__ = ["api_keys", "metadata", "store_meta", "usage_records"]

metadata = MetaData()

# One row per issued key. ``secret_hash`` is HMAC-SHA256(server secret, secret part):
# the key itself is never stored. ``id`` is the key's public id (``il-<id>-<secret>``).
api_keys = Table(
    "il_api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("models", JSON, nullable=False),
    Column("limits", JSON, nullable=False),
    Column("budget", JSON, nullable=True),
    Column("metadata", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Settled usage, one row per request of an issued key (written in batches).
usage_records = Table(
    "il_usage_records",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("key_id", String(32), nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("model", String(200), nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("status", Integer, nullable=True),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cache_read_tokens", Integer, nullable=False),
    Column("cache_creation_tokens", Integer, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Index("il_usage_key_ts", "key_id", "ts"),
)

# Small counters every process polls: ``keys_revision`` goes up on every key change, so a
# revocation reaches every worker and instance within one poll interval.
store_meta = Table(
    "il_store_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
