"""The certification register numbers per certifying agency: each agency's số chứng thực
restarts at 1 every year and is never shared with another agency of the archive
(rules.md: "Số chứng thực is the sequence number in the electronic register; numbering
restarts at 1 every year"; every agency keeps its own sổ chứng thực).

Revision ID: 0007_register_per_agency
Revises: 0006_review_claims

cert_register gains `agency_code` (from the original's mã hồ sơ for entries made before;
'' for an original that names no agency: the service's own register); the unique
(year, number) becomes (agency_code, year, number); cert_counters is keyed by
(agency_code, year) and starts from each agency's highest number already given. On SQLite
the table is rebuilt (its constraints cannot be altered), so its permanence triggers are
made again.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0007_register_per_agency"
down_revision = "0006_review_claims"
branch_labels = None
depends_on = None

_AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.]{0,30}$")  # storage.tokens.AGENCY_CODE
_FIXED = ("year", "number", "book", "certified_on", "requester", "document_name",
          "original_id", "copies", "pages", "certifier", "fee", "request_id", "recorded_at",
          "agency_code")
_MESSAGE = "the certification register is permanent: entries cannot be deleted or changed"


def _sqlite_triggers(fixed: tuple[str, ...]) -> list[str]:
    return [
        f"CREATE TRIGGER cert_register_no_delete BEFORE DELETE ON cert_register "
        f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
        f"CREATE TRIGGER cert_register_no_update BEFORE UPDATE OF {', '.join(fixed)} "
        f"ON cert_register BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    ]


def agency_of_original(original_id: str) -> str:
    code = original_id.split("-", 1)[0]
    return code if "-" in original_id and _AGENCY_CODE.match(code) else ""


def _counters(key: list[str]) -> None:
    op.drop_table("cert_counters")
    columns = [sa.Column(k, sa.String(32) if k == "agency_code" else sa.Integer,
                         primary_key=True, autoincrement=False) for k in key]
    op.create_table("cert_counters", *columns,
                    sa.Column("last_number", sa.Integer, nullable=False))
    listed = ", ".join(key)
    op.execute(f"INSERT INTO cert_counters ({listed}, last_number) "
               f"SELECT {listed}, max(number) FROM cert_register GROUP BY {listed}")


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER cert_register_no_delete")
        op.execute("DROP TRIGGER cert_register_no_update")
    with op.batch_alter_table("cert_register") as batch:
        batch.add_column(sa.Column("agency_code", sa.String(32), nullable=False,
                                   server_default=""))
        batch.drop_constraint("uq_cert_register_year_number", type_="unique")
        batch.create_unique_constraint("uq_cert_register_agency_year_number",
                                       ["agency_code", "year", "number"])
    conn = op.get_bind()
    for row_id, original_id in conn.execute(sa.text("SELECT id, original_id FROM cert_register")
                                            ).all():
        code = agency_of_original(original_id)
        if code:
            conn.execute(sa.text("UPDATE cert_register SET agency_code = :c WHERE id = :i"),
                         {"c": code, "i": row_id})
    if sqlite:
        for statement in _sqlite_triggers(_FIXED):
            op.execute(statement)
    else:  # the trigger lists the columns it guards: agency_code joins them
        op.execute("DROP TRIGGER cert_register_no_update ON cert_register")
        op.execute(f"CREATE TRIGGER cert_register_no_update BEFORE UPDATE OF "
                   f"{', '.join(_FIXED)} ON cert_register FOR EACH ROW EXECUTE FUNCTION "
                   "cert_register_refuse_change()")
    _counters(["agency_code", "year"])


def downgrade() -> None:
    """Fails (unique violation) once two agencies hold the same number in a year."""
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER cert_register_no_delete")
        op.execute("DROP TRIGGER cert_register_no_update")
    else:
        op.execute("DROP TRIGGER cert_register_no_update ON cert_register")
    with op.batch_alter_table("cert_register") as batch:
        batch.drop_constraint("uq_cert_register_agency_year_number", type_="unique")
        batch.create_unique_constraint("uq_cert_register_year_number", ["year", "number"])
        batch.drop_column("agency_code")
    fixed = _FIXED[:-1]
    if sqlite:
        for statement in _sqlite_triggers(fixed):
            op.execute(statement)
    else:
        op.execute(f"CREATE TRIGGER cert_register_no_update BEFORE UPDATE OF "
                   f"{', '.join(fixed)} ON cert_register FOR EACH ROW EXECUTE FUNCTION "
                   "cert_register_refuse_change()")
    _counters(["year"])
