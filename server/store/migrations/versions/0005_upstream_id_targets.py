"""Where each passed-through Responses upstream id lives: provider, key and response.

``GET``/``DELETE /v1/responses/{id}`` and ``/input_items`` for an id a Responses upstream
issued go to that same provider with the same key of its pool (``responses/forward.py``);
``response_id`` groups a response's output item ids with it, so a ``DELETE`` removes them
all. Rows from 0004 have none of these: their ids are still refused to other keys, and a
retrieve of one is the 404 it was before.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("il_upstream_ids") as batch:
        batch.add_column(sa.Column("provider", sa.String(200), nullable=True))
        batch.add_column(sa.Column("key_index", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("response_id", sa.String(128), nullable=True))
        batch.create_index("il_upstream_ids_response", ["response_id"])


def downgrade() -> None:
    with op.batch_alter_table("il_upstream_ids") as batch:
        batch.drop_index("il_upstream_ids_response")
        batch.drop_column("response_id")
        batch.drop_column("key_index")
        batch.drop_column("provider")
