"""Certification register (sổ chứng thực bản sao điện tử từ bản chính): entries, their
copies, and the per-year counter that numbers them.

Revision ID: 0002_cert_register
Revises: 0001_index

The register is kept permanently (Nghị định 23/2015, Thông tư 01/2020/TT-BTP): triggers
refuse deleting an entry or a copy and changing an entry except its notes (ghi chú), on
both backends, so no code path can erase or renumber what was certified.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_cert_register"
down_revision = "0001_index"
branch_labels = None
depends_on = None

_FIXED = ("year", "number", "book", "certified_on", "requester", "document_name",
          "original_id", "copies", "pages", "certifier", "fee", "request_id", "recorded_at")
_MESSAGE = "the certification register is permanent: entries cannot be deleted or changed"

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER cert_register_no_delete BEFORE DELETE ON cert_register "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    f"CREATE TRIGGER cert_register_no_update BEFORE UPDATE OF {', '.join(_FIXED)} "
    f"ON cert_register BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    f"CREATE TRIGGER cert_copies_no_delete BEFORE DELETE ON cert_copies "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    f"CREATE TRIGGER cert_copies_no_update BEFORE UPDATE ON cert_copies "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
]
_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION cert_register_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$",
    "CREATE TRIGGER cert_register_no_delete BEFORE DELETE ON cert_register "
    "FOR EACH ROW EXECUTE FUNCTION cert_register_refuse_change()",
    f"CREATE TRIGGER cert_register_no_update BEFORE UPDATE OF {', '.join(_FIXED)} "
    "ON cert_register FOR EACH ROW EXECUTE FUNCTION cert_register_refuse_change()",
    "CREATE TRIGGER cert_copies_no_change BEFORE DELETE OR UPDATE ON cert_copies "
    "FOR EACH ROW EXECUTE FUNCTION cert_register_refuse_change()",
]


def upgrade() -> None:
    op.create_table(
        "cert_counters",
        # last number given in the year; the row is locked while an entry is written, so
        # concurrent requests queue on it (no duplicate, and a rollback leaves no gap)
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "cert_register",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("book", sa.String(16), nullable=False),
        sa.Column("certified_on", sa.Date, nullable=False),
        sa.Column("requester", sa.Text, nullable=False),
        sa.Column("document_name", sa.Text, nullable=False),
        sa.Column("original_id", sa.String(128), nullable=False),
        sa.Column("copies", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("certifier", sa.Text, nullable=False),
        sa.Column("fee", sa.Integer, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("year", "number", name="uq_cert_register_year_number"),
        sa.UniqueConstraint("request_id", name="uq_cert_register_request_id"),
        sa.CheckConstraint("number >= 1 AND copies >= 1 AND pages >= 1 AND fee >= 0",
                           name="ck_cert_register_positive"),
    )
    op.create_index("ix_cert_register_certified_on", "cert_register", ["certified_on"])
    op.create_index("ix_cert_register_original_id", "cert_register", ["original_id"])
    op.create_table(
        "cert_copies",
        sa.Column("copy_id", sa.String(16), primary_key=True),
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("cert_register.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.UniqueConstraint("entry_id", "position", name="uq_cert_copies_entry_position"),
    )
    dialect = op.get_context().dialect.name
    for statement in {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(
            dialect, []):
        op.execute(statement)


def downgrade() -> None:
    for table in ("cert_copies", "cert_register", "cert_counters"):
        op.drop_table(table)  # their triggers go with them
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION cert_register_refuse_change()")
