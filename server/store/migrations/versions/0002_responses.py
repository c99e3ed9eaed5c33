"""Stored OpenAI Responses answers and their addressable items.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "il_responses",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("input", sa.JSON, nullable=False),
    )
    op.create_index("il_responses_expires", "il_responses", ["expires_at"])
    op.create_table(
        "il_response_items",
        sa.Column("response_id", sa.String(128), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("item", sa.JSON, nullable=False),
    )
    op.create_index("il_response_items_owner_item", "il_response_items", ["owner", "item_id"])


def downgrade() -> None:
    op.drop_index("il_response_items_owner_item", "il_response_items")
    op.drop_table("il_response_items")
    op.drop_index("il_responses_expires", "il_responses")
    op.drop_table("il_responses")
