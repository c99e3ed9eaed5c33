"""Who asked for each id a Responses upstream issued on passthrough (owner isolation).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "il_upstream_ids",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("il_upstream_ids_expires", "il_upstream_ids", ["expires_at"])


def downgrade() -> None:
    op.drop_index("il_upstream_ids_expires", "il_upstream_ids")
    op.drop_table("il_upstream_ids")
