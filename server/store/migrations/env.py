"""Alembic environment: always run on a connection the caller opened (and locked)."""

from __future__ import annotations

from alembic import context

from interlingua.server.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table="il_alembic_version",
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
