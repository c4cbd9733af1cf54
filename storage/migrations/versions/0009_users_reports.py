"""Staff users with a role and a password (or, later, an external OIDC subject), their
sign-in sessions, and the public verification page's upload reports (kept for a while so
they survive a restart and any server process can hand them out).

Revision ID: 0009_users_reports
Revises: 0008_rate_limits
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_users_reports"
down_revision = "0008_rate_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("agency_code", sa.String(32), nullable=False, index=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.Text),  # null: signs in elsewhere (OIDC) or not yet
        sa.Column("external_issuer", sa.Text),  # OIDC later: iss + sub name the person
        sa.Column("external_subject", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("external_issuer", "external_subject", name="uq_users_external"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(24), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "verification_reports",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("stem", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),  # the JSON report
        sa.Column("lines", sa.JSON, nullable=False),  # the PDF report's text
    )


def downgrade() -> None:
    op.drop_table("verification_reports")
    op.drop_table("user_sessions")
    op.drop_table("users")
