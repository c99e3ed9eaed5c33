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

__all__ = [
    "api_keys",
    "metadata",
    "request_history",
    "response_items",
    "store_meta",
    "stored_responses",
    "upstream_ids",
    "usage_records",
]

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

# OpenAI Responses answers the gateway produced by translation, kept for
# ``previous_response_id``, ``item_reference`` and GET/DELETE /v1/responses/{id}.
# ``owner`` is the principal (``virtual_key:<id>``, ``static_key:<name>``, ``anonymous``);
# ``response`` the object as the client received it; ``input`` the request's input items
# with earlier turns and references already resolved, so one row rebuilds the conversation.
stored_responses = Table(
    "il_responses",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("response", JSON, nullable=False),
    Column("input", JSON, nullable=False),
    Index("il_responses_expires", "expires_at"),
)

# Items addressable by ``{"type": "item_reference", "id": ...}``: each stored response's
# output items and the input items its client sent with an id.
response_items = Table(
    "il_response_items",
    metadata,
    Column("response_id", String(128), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("item_id", String(128), nullable=False),
    Column("item", JSON, nullable=False),
    Index("il_response_items_owner_item", "owner", "item_id"),
)

# Ids a Responses upstream issued on passthrough (its response ids and output item ids),
# with the principal whose request they answered: another key's ``previous_response_id``
# or ``item_reference`` naming one is refused (``server/responses/claims.py``). Since 0005
# also where it lives (provider, pool key, the response it belongs to): the owner's
# ``GET``/``DELETE`` of it go there (``server/responses/forward.py``).
upstream_ids = Table(
    "il_upstream_ids",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("provider", String(200), nullable=True),
    Column("key_index", Integer, nullable=True),
    Column("response_id", String(128), nullable=True),
    Index("il_upstream_ids_expires", "expires_at"),
    Index("il_upstream_ids_response", "response_id"),
)

# One row per API request (``observability.history_days``): the access-log record
# (:mod:`interlingua.server.observability.record`), never a secret, a header or content.
# ``ts_ms`` is when the request arrived (Unix milliseconds): integer arithmetic buckets it
# the same way on SQLite and PostgreSQL. ``id`` orders rows as they were written (the
# admin API's cursor and the live tail's "seen up to").
request_history = Table(
    "il_requests",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts_ms", BigInteger, nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("key", String(200), nullable=True),
    Column("client_format", String(32), nullable=False),
    Column("operation", String(32), nullable=True),
    Column("model", String(200), nullable=False),
    Column("stream", Boolean, nullable=False),
    Column("target", String(200), nullable=True),
    Column("upstream_model", String(200), nullable=True),
    Column("upstream_format", String(32), nullable=True),
    Column("status", Integer, nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("error_type", String(64), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("input_tokens", Integer, nullable=True),
    Column("output_tokens", Integer, nullable=True),
    Column("cache_read_tokens", Integer, nullable=True),
    Column("cache_creation_tokens", Integer, nullable=True),
    Column("reasoning_tokens", Integer, nullable=True),
    Column("cost_usd", Float, nullable=True),
    Column("finish_reason", String(64), nullable=True),
    Column("cache", String(16), nullable=True),
    Column("latency_ms", Float, nullable=False),
    Column("ttfb_ms", Float, nullable=True),
    Column("gateway_ms", Float, nullable=True),
    Index("il_requests_ts", "ts_ms"),
)
