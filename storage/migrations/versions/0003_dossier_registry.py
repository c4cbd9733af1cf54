"""Dossier registry: the mã hồ sơ each dossier got and the order of each document in it.

Revision ID: 0003_dossier_registry
Revises: 0002_cert_register

Before this revision storage.registry created these tables itself (create_all), so a
database made by that code has them already, with this very schema, but no trace of them
in alembic_version: a table that exists is left as it is, with its rows.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_dossier_registry"
down_revision = "0002_cert_register"
branch_labels = None
depends_on = None


def _exists(table: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    # Constraints unnamed, as create_all made them (PostgreSQL names them the same way).
    if not _exists("dossiers"):
        op.create_table(
            "dossiers",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("source", sa.String, nullable=False, unique=True),
            sa.Column("ma_ho_so", sa.String, nullable=False, unique=True),
            sa.Column("agency_code", sa.String, nullable=False),
            sa.Column("day", sa.String, nullable=False),
            sa.Column("sequence", sa.Integer, nullable=False),
            sa.UniqueConstraint("agency_code", "day", "sequence"),
        )
    if not _exists("dossier_documents"):
        op.create_table(
            "dossier_documents",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("dossier_id", sa.Integer, nullable=False),
            sa.Column("source", sa.String, nullable=False, unique=True),
            sa.Column("position", sa.Integer, nullable=False),
            sa.UniqueConstraint("dossier_id", "position"),
        )


def downgrade() -> None:
    op.drop_table("dossier_documents")
    op.drop_table("dossiers")
