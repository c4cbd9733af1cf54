"""Alembic environment for the sohoa database (index, certification register, dossier registry).

Run from code by storage.index_db.upgrade, which passes its own connection (already in a
transaction, holding the migration lock) in config.attributes["connection"]. Without one,
it connects to the option `sqlalchemy.url`, or SOHOA_DATABASE_URL, so the alembic command
line works too: revisions are plain files in versions/, each naming its down_revision.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("SOHOA_DATABASE_URL")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or SOHOA_DATABASE_URL")
    return url


def _run(connection) -> None:
    # Schema changes are written by hand in the revisions: no autogenerate target.
    context.configure(connection=connection, target_metadata=None)
    # A no-op when the caller's connection is already in a transaction.
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    engine = create_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()
