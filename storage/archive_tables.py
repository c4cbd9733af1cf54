"""The archive service's tables as the queries see them; they mirror alembic revisions
0004_archive_service and 0005_api_copies_webhooks, which make them (and must change with
them)."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()


def _when(name: str, **options) -> Column:
    return Column(name, DateTime(timezone=True), **options)


agencies = Table(
    "agencies", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    _when("created_at", nullable=False),
)
tokens = Table(
    "api_tokens", metadata,
    Column("id", String(24), primary_key=True),
    Column("agency_code", String(32), nullable=False),
    Column("label", Text, nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("scopes", Text, nullable=False),
    _when("created_at", nullable=False),
    _when("expires_at"),
    _when("revoked_at"),
    _when("last_used_at"),
)
jobs = Table(
    "jobs", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_code", String(32), nullable=False),
    Column("dossier_id", String(64), nullable=False),
    Column("state", String(24), nullable=False),
    Column("stage", String(24), nullable=False),
    Column("pages_total", Integer, nullable=False),
    Column("pages_done", Integer, nullable=False),
    Column("cancel_requested", Boolean, nullable=False),
    Column("error", Text),
    _when("created_at", nullable=False),
    _when("started_at"),
    _when("finished_at"),
)
job_documents = Table(
    "job_documents", metadata,
    Column("job_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("document_id", String(80), nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("error", Text),
)
originals = Table(
    "archive_originals", metadata,
    Column("agency_code", String(32), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("document_id", String(80), nullable=False),
)
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("agency_code", String(32), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    _when("created_at", nullable=False),
)
versions = Table(
    "document_versions", metadata,
    Column("document_id", String(80), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document_type", String(64)),
    Column("status", String(24), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("field_sources", JSON, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("sha256_original", String(64)),
    Column("sha256_pdfa", String(64)),
    Column("sha256_signed", String(64)),
    Column("reason", Text),
    Column("actor", Text, nullable=False),
    _when("created_at", nullable=False),
    Column("field_evidence", JSON),  # 0005: key -> {confidence, page, box}
)
audit_events = Table(
    "audit_events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("agency_code", String(32)),
    Column("actor", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", Text, nullable=False),
    Column("changes", Text, nullable=False),
    Column("request_id", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
revocations = Table(
    "copy_revocations", metadata,
    Column("copy_id", String(16), primary_key=True),
    Column("agency_code", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", Text, nullable=False),
    _when("revoked_at", nullable=False),
)
webhooks = Table(
    "webhooks", metadata,
    Column("id", String(24), primary_key=True),
    Column("agency_code", String(32), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("label", Text, nullable=False),
    _when("created_at", nullable=False),
    _when("disabled_at"),
)
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", String(24), nullable=False),
    Column("agency_code", String(32), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    _when("next_attempt_at"),
    Column("last_status", Integer),
    Column("last_error", Text),
    _when("created_at", nullable=False),
    _when("delivered_at"),
)
