"""The archive service, second part: revoked certified copies, each field's evidence (OCR
confidence, page and box) kept with the document's versions, and webhooks with their
delivery log.

Revision ID: 0005_api_copies_webhooks
Revises: 0004_archive_service

A revocation is permanent like the register it annotates: triggers refuse changing or
deleting one, on both backends.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_api_copies_webhooks"
down_revision = "0004_archive_service"
branch_labels = None
depends_on = None

_MESSAGE = "a revocation of a certified copy is permanent"
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER copy_revocations_no_update BEFORE UPDATE ON copy_revocations "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    f"CREATE TRIGGER copy_revocations_no_delete BEFORE DELETE ON copy_revocations "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
]
_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION copy_revocations_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$",
    "CREATE TRIGGER copy_revocations_no_change BEFORE UPDATE OR DELETE ON copy_revocations "
    "FOR EACH ROW EXECUTE FUNCTION copy_revocations_refuse_change()",
]


def _when(name: str, **options) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **options)


def upgrade() -> None:
    # key -> {"confidence", "page", "box"}: where and how surely OCR read each field
    op.add_column("document_versions", sa.Column("field_evidence", sa.JSON, nullable=True))
    op.create_table(
        "copy_revocations",
        # a copy id of cert_copies (checked by the caller; no foreign key, so the register's
        # own tables stay exactly those of revision 0002)
        sa.Column("copy_id", sa.String(16), primary_key=True),
        sa.Column("agency_code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        _when("revoked_at", nullable=False),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("agency_code", sa.String(32), nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),  # HMAC key: signing needs it in clear
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        _when("created_at", nullable=False),
        _when("disabled_at"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.String(24), sa.ForeignKey("webhooks.id"), nullable=False,
                  index=True),
        sa.Column("agency_code", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # pending | delivered | failed
        sa.Column("attempts", sa.Integer, nullable=False),
        _when("next_attempt_at"),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        _when("created_at", nullable=False),
        _when("delivered_at"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries",
                    ["state", "next_attempt_at"])
    dialect = op.get_context().dialect.name
    for statement in {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("copy_revocations")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS copy_revocations_refuse_change() CASCADE")
    with op.batch_alter_table("document_versions") as batch:
        batch.drop_column("field_evidence")
