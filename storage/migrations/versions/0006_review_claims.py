"""Review claims: which clerk holds a document that needs review, or that a rescan was
asked for (the review screen, api/pages/review.py).

Revision ID: 0006_review_claims
Revises: 0005_api_copies_webhooks
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_review_claims"
down_revision = "0005_api_copies_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_claims",
        sa.Column("document_id", sa.String(80), primary_key=True),
        sa.Column("agency_code", sa.String(32), nullable=False, index=True),
        sa.Column("state", sa.String(16), nullable=False),  # held | rescan
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_name", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_claims")
