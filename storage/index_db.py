"""The index's tables (as the queries see them), engines, and migrations run from code.

The schema itself is created by the alembic revisions in storage/migrations/versions; the
Table objects here mirror revision 0001_index and must follow any later revision touching
these tables. Backend-specific full-text parts live only in the migration: an FTS5 table
kept in sync by triggers on SQLite, a generated tsvector column with a GIN index on
PostgreSQL, so the application writes the same rows on both.
"""
from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

MIGRATIONS = Path(__file__).parent / "migrations"
#: pg_advisory_xact_lock key: one migrator at a time per PostgreSQL database ("sohoa" in ASCII).
_PG_LOCK_KEY = 0x736F686F61
#: Matching compares this many folded characters of a field value (keeps btree keys small).
FIELD_MATCH_CHARS = 500

metadata = MetaData()
dossiers = Table(
    "index_dossiers", metadata,
    Column("dossier_id", String, primary_key=True),
    Column("title", Text),
    Column("maintenance", String),
    Column("language", String),
)
documents = Table(
    "index_documents", metadata,
    Column("document_id", String, primary_key=True),
    Column("dossier_id", String, nullable=False),
    Column("source", Text, nullable=False),
    Column("status", String, nullable=False),
    Column("document_type", String),
    Column("fields", JSON, nullable=False),
    Column("valid", Boolean, nullable=False),
    Column("out_root", Text, nullable=False),
    Column("sha256_original", String),
    Column("sha256_pdfa", String),
    Column("sha256_signed", String),
    Column("artifact_pdfa", Text),
    Column("artifact_signed", Text),
    Column("page_count", Integer, nullable=False),
    Column("archive", JSON, nullable=False),
    Column("type_name", Text),
    Column("code_number", String),
    Column("code_notation", String),
    Column("issued_date", String(10)),
    Column("organ_name", Text),
    Column("subject", Text),
    Column("valid_until", String),
    Column("procedure_code", String),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
def _document_ref(**options) -> Column:
    """The column tying a row to its document; the row goes when the document goes."""
    return Column("document_id", String, ForeignKey("index_documents.document_id", ondelete="CASCADE"),
                  **options)


pages = Table(
    "index_pages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _document_ref(nullable=False),
    Column("page_index", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("search_text", Text, nullable=False),
)
fields = Table(
    "index_fields", metadata,
    _document_ref(primary_key=True),
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
    Column("value_folded", Text, nullable=False),
)
owners = Table(
    "index_owners", metadata,
    _document_ref(primary_key=True),
    Column("personal_id", String, primary_key=True),
)


class DatabaseStore:
    """A store over one database: its engine, the dialect's INSERT that knows ON CONFLICT,
    and closing (also as a context manager)."""

    def __init__(self, url: str, *, immediate: bool = False):
        upgrade(url)  # alembic head; idempotent, serialized between processes
        self.engine = make_engine(url, immediate=immediate)
        self.insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(
            self.engine.dialect.name)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_engine(url: str, *, immediate: bool = False) -> Engine:
    """An engine for `url`. SQLite: the folder is created, writers wait for each other up to
    30 s, and with `immediate` every transaction takes the write lock at BEGIN (migrations)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # A request thread holds a connection at a time; a service process runs up to ~40
        # (anyio's thread pool). Connections past pool_size are closed when returned, and
        # opening one costs a PostgreSQL backend: keep enough for a loaded process.
        engine = create_engine(url, pool_size=10, max_overflow=20)
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    if immediate:
        # pysqlite would otherwise BEGIN lazily, before the first DML only, leaving DDL
        # outside the transaction (SQLAlchemy's documented recipe).
        @event.listens_for(engine, "connect")
        def _autocommit_driver(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


#: A pooled connection unused this long is checked (a round trip) before it is handed out.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, as pool_pre_ping but only for a connection that sat
    idle in the pool (after a database restart, say): a busy service reuses connections
    within milliseconds and would otherwise pay a round trip per checkout, several per
    request. A connection that fails its ping is replaced (DisconnectionError makes the
    pool retry with a new one); one that broke while busy fails its statement, and
    SQLAlchemy then discards the whole pool's connections of before the break."""

    @event.listens_for(engine, "connect")
    def _made(_dbapi_connection, record) -> None:
        record.info["returned"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["returned"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("returned", 0.0) <= PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection did not answer")


def reading(engine: Engine):
    """A connection for reads only, on PostgreSQL without a transaction (autocommit: no
    BEGIN and ROLLBACK round trips around one SELECT); on SQLite an ordinary one."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


def alembic_config() -> Config:
    """Alembic configuration without an ini file; pass a connection in
    `config.attributes["connection"]` or a URL as option `sqlalchemy.url` (with any "%"
    doubled: options go through configparser interpolation)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """`alembic upgrade head` on `url`, in one transaction holding a lock, so two processes
    starting together migrate once: the second waits, then finds the schema at head."""
    engine = make_engine(url, immediate=True)
    try:
        with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
