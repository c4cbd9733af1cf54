"""The dossier registry's tables come from alembic (revision 0003_dossier_registry), on
SQLite and on the local PostgreSQL (a schema of its own per test), and a database whose
registry tables were made by the old code (create_all, no alembic record) still opens."""
from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, text

from storage import registry as registry_module
from storage.index_db import alembic_config, make_engine, upgrade
from storage.registry import DossierRegistry
from tests.conftest import postgres_schema

DAY = date(2026, 10, 8)
TABLES = {"dossiers", "dossier_documents"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    with postgres_schema("registry_test") as url:
        yield url


def _version(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()


def test_registry_tables_come_from_the_migration(url):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head >= "0003_dossier_registry"  # the registry's revision or a later one
    with DossierRegistry(url) as registry:
        assert _version(registry.engine) == [head]
        assert set(inspect(registry.engine).get_table_names()) >= TABLES
        with registry.engine.connect() as conn:  # the migration made what the code uses
            only_ours = {"include_name": lambda name, kind, _: kind != "table" or name in TABLES}
            context = MigrationContext.configure(conn, opts=only_ours)
            assert compare_metadata(context, registry_module.metadata) == []
        assert registry.dossier("HS-001", "H15.50.05.13", DAY)[1] == "H15.50.05.13-261008-0001"


@pytest.mark.parametrize("index_first", [True, False], ids=["index-at-0002", "no-alembic"])
def test_database_made_by_the_old_registry_still_opens(url, index_first):
    """The old code made the registry's tables with create_all: alongside an index already
    migrated to 0002, or alone (no alembic_version at all). Its numbers are kept."""
    if index_first:
        upgrade(url, "0002_cert_register")
    engine = make_engine(url)
    registry_module.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(registry_module.dossiers).values(
            source="HS-001", ma_ho_so="H15.50.05.13-261008-0001", agency_code="H15.50.05.13",
            day=DAY.isoformat(), sequence=1))
    engine.dispose()
    with DossierRegistry(url) as registry:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert _version(registry.engine) == [head]
        assert registry.dossier("HS-001", "H15.50.05.13", DAY)[1] == "H15.50.05.13-261008-0001"
        assert registry.dossier("HS-002", "H15.50.05.13", DAY)[1] == "H15.50.05.13-261008-0002"
