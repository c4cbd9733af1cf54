"""The archive service: agencies and their tokens, jobs, idempotent requests, document
versions (clerk corrections), and the audit trail.

Revision ID: 0004_archive_service
Revises: 0003_dossier_registry

The audit trail is append-only: triggers refuse changing or deleting an event on both
backends; its hash chain (storage/audit.py) still shows an event removed or edited by
someone who got around them.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_archive_service"
down_revision = "0003_dossier_registry"
branch_labels = None
depends_on = None

_MESSAGE = "the audit trail is append-only: events cannot be changed or deleted"
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
]
_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$",
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
]


def _when(name: str, **options) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **options)


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(32), primary_key=True),  # starts every mã hồ sơ it owns
        sa.Column("name", sa.Text, nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("agency_code", sa.String(32), sa.ForeignKey("agencies.code"), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        _when("created_at", nullable=False),
        _when("expires_at"),
        _when("revoked_at"),
        _when("last_used_at"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("agency_code", sa.String(32), nullable=False, index=True),
        sa.Column("dossier_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("pages_total", sa.Integer, nullable=False),
        sa.Column("pages_done", sa.Integer, nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        _when("created_at", nullable=False),
        _when("started_at"),
        _when("finished_at"),
    )
    op.create_table(
        "job_documents",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("page_count", sa.Integer, nullable=False),
        sa.Column("document_id", sa.String(80), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "archive_originals",  # one document per scan and agency: the same file is the same document
        sa.Column("agency_code", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("document_id", sa.String(80), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("agency_code", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "document_versions",
        sa.Column("document_id", sa.String(80), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document_type", sa.String(64)),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("field_sources", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("sha256_original", sa.String(64)),
        sa.Column("sha256_pdfa", sa.String(64)),
        sa.Column("sha256_signed", sa.String(64)),
        sa.Column("reason", sa.Text),
        sa.Column("actor", sa.Text, nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),  # ISO text: hashed exactly as stored
        sa.Column("agency_code", sa.String(32), index=True),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("request_id", sa.String(64)),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_head",  # the chain's last link: a removed last event shows against it
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    dialect = op.get_context().dialect.name
    for statement in {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_refuse_change() CASCADE")
    for table in ("audit_head", "audit_events", "document_versions", "idempotency_keys",
                  "archive_originals", "job_documents", "jobs", "api_tokens", "agencies"):
        op.drop_table(table)
