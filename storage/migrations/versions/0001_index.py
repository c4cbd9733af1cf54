"""Document index: dossiers, documents, pages' text, fields, owners, archive metadata.

Revision ID: 0001_index
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_index"
down_revision = None
branch_labels = None
depends_on = None

# SQLite: an external-content FTS5 table over index_pages.search_text, kept in sync by
# triggers, so the application inserts and deletes plain rows on both backends.
_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE index_pages_fts USING fts5("
    "search_text, content='index_pages', content_rowid='id')",
    "CREATE TRIGGER index_pages_fts_insert AFTER INSERT ON index_pages BEGIN "
    "INSERT INTO index_pages_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER index_pages_fts_delete AFTER DELETE ON index_pages BEGIN "
    "INSERT INTO index_pages_fts(index_pages_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER index_pages_fts_update AFTER UPDATE ON index_pages BEGIN "
    "INSERT INTO index_pages_fts(index_pages_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO index_pages_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
# PostgreSQL: the 'simple' configuration (no stemming, no stop words: the text is folded
# Vietnamese already), stored so ranking does not re-parse pages.
_POSTGRES_FTS = [
    "ALTER TABLE index_pages ADD COLUMN search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX ix_index_pages_search_tsv ON index_pages USING gin (search_tsv)",
]


def _document_fk() -> sa.ForeignKey:
    return sa.ForeignKey("index_documents.document_id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "index_dossiers",
        sa.Column("dossier_id", sa.String, primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("maintenance", sa.String),
        sa.Column("language", sa.String),
    )
    op.create_table(
        "index_documents",
        sa.Column("document_id", sa.String, primary_key=True),
        sa.Column("dossier_id", sa.String, nullable=False, index=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("document_type", sa.String, index=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("valid", sa.Boolean, nullable=False),
        sa.Column("out_root", sa.Text, nullable=False),
        sa.Column("sha256_original", sa.String),
        sa.Column("sha256_pdfa", sa.String),
        sa.Column("sha256_signed", sa.String, index=True),
        sa.Column("artifact_pdfa", sa.Text),
        sa.Column("artifact_signed", sa.Text),
        sa.Column("page_count", sa.Integer, nullable=False),
        # Nghị định 30/2020 Phụ lục VI document-level metadata, whole, plus columns for
        # what is filtered or aggregated (dossier StartDate/EndDate) and the reuse record.
        sa.Column("archive", sa.JSON, nullable=False),
        sa.Column("type_name", sa.Text),
        sa.Column("code_number", sa.String),
        sa.Column("code_notation", sa.String),
        sa.Column("issued_date", sa.String(10)),
        sa.Column("organ_name", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("valid_until", sa.String),
        sa.Column("procedure_code", sa.String),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "index_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String, _document_fk(), nullable=False),
        sa.Column("page_index", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.UniqueConstraint("document_id", "page_index", name="uq_index_pages_document_page"),
    )
    op.create_table(
        "index_fields",
        sa.Column("document_id", sa.String, _document_fk(), primary_key=True),
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("value_folded", sa.Text, nullable=False),
    )
    op.create_index("ix_index_fields_key_value", "index_fields", ["key", "value_folded"])
    op.create_table(
        "index_owners",
        sa.Column("document_id", sa.String, _document_fk(), primary_key=True),
        sa.Column("personal_id", sa.String, primary_key=True),
    )
    op.create_index("ix_index_owners_personal_id", "index_owners", ["personal_id"])
    dialect = op.get_context().dialect.name
    for statement in {"sqlite": _SQLITE_FTS, "postgresql": _POSTGRES_FTS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS index_pages_fts")  # its triggers go with index_pages
    for table in ("index_owners", "index_fields", "index_pages", "index_documents",
                  "index_dossiers"):
        op.drop_table(table)
