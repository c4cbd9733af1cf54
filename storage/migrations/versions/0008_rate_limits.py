"""Rate limits counted in the database, so every process of `sohoa serve --workers N` (and
every server of one archive) shares them: requests per key (a client address) per minute.

Revision ID: 0008_rate_limits
Revises: 0007_register_per_agency
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_rate_limits"
down_revision = "0007_register_per_agency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window", sa.BigInteger, primary_key=True, autoincrement=False),  # minute
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_index("ix_rate_limits_window", "rate_limits", ["window"])


def downgrade() -> None:
    op.drop_table("rate_limits")
