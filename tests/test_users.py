"""Staff users (storage/users.py, revision 0009): the tables as the migration makes them
(SQLite and the real PostgreSQL), Argon2id password hashes, sessions that end when a user
is locked, roles mapped to scopes, an external (OIDC) subject kept apart, and
`sohoa user create` reading the password from stdin, never from its arguments."""
from __future__ import annotations

import subprocess

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from storage import users as users_module
from storage.archive import ArchiveDatabase
from storage.tokens import ROLES
from storage.users import UserError
from tests.conftest import SOHOA, postgres_schema

AGENCY, OTHER = "H00.00.00.00", "H99.00.00.00"
PASSWORD = "mật khẩu đủ dài 1"


def _check(url: str) -> None:
    with ArchiveDatabase(url) as db:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), users_module.metadata)
        shape = [d for d in diffs if isinstance(d, tuple) and d[0] in ("add_table", "add_column",
                                                                        "remove_column")]
        assert [d for d in shape if d[0] != "add_table" or d[1].name in ("users",
                                                                          "user_sessions")] == []
        store = db.users
        lan = store.create(AGENCY, "Nguyen.Lan", "Nguyễn  Thị Lan", "clerk", password=PASSWORD)
        assert lan.username == "nguyen.lan" and lan.display_name == "Nguyễn Thị Lan"
        assert lan.scopes == frozenset(ROLES["clerk"]) and lan.actor == f"user:{lan.id}"
        with db.engine.connect() as conn:
            stored = conn.execute(select(users_module.users.c.password_hash)).scalar()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        with pytest.raises(UserError, match="đã có"):
            store.create(OTHER, "nguyen.lan", "Người khác", "clerk", password=PASSWORD)
        with pytest.raises(UserError, match="ít nhất"):
            store.create(AGENCY, "ngan", "Người Ngắn", "clerk", password="ngắn")
        with pytest.raises(UserError, match="Vai trò"):
            store.create(AGENCY, "vai.tro", "Vai Trò", "superuser", password=PASSWORD)
        assert store.check_password("NGUYEN.LAN", PASSWORD) == lan
        assert store.check_password("nguyen.lan", PASSWORD + "x") is None
        assert store.check_password("khong.co", PASSWORD) is None
        ended = store.start_session(lan, hours=-1)
        assert store.session_user(ended) is None  # expired
        session = store.start_session(lan, hours=1)
        assert store.session_user(session).id == lan.id
        with db.engine.connect() as conn:  # the expired one was removed
            assert conn.execute(select(users_module.sessions.c.id_sha256)).scalars().all() == [
                users_module._digest(session)]
        assert store.session_user(session + "x") is None and store.session_user("") is None
        # another agency cannot change this user
        assert not store.set_role(lan.id, OTHER, "auditor")
        assert not store.set_active(lan.id, OTHER, False)
        assert store.get(lan.id, OTHER) is None and store.get(lan.id, AGENCY) is not None
        assert store.set_role(lan.id, AGENCY, "auditor")
        assert store.session_user(session).scopes == frozenset(ROLES["auditor"])
        assert store.set_active(lan.id, AGENCY, False)
        assert store.session_user(session) is None  # locked: signed out everywhere
        assert store.check_password("nguyen.lan", PASSWORD) is None
        assert store.set_active(lan.id, AGENCY, True)
        assert store.check_password("nguyen.lan", PASSWORD) is not None
        # signing in elsewhere later: no password, an issuer and a subject
        oidc = store.create(AGENCY, "oidc.user", "Người OIDC", "reviewer",
                            external_issuer="https://sso.example.gov.vn", external_subject="42")
        assert not oidc.has_password and store.check_password("oidc.user", "") is None
        assert [u.username for u in store.list(AGENCY)] == ["nguyen.lan", "oidc.user"]
        assert store.list(OTHER) == []


def test_users_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'a.sqlite'}")


def test_users_on_postgresql():
    with postgres_schema("sohoa_users") as url:
        _check(url)


def test_the_cli_reads_the_password_from_stdin_never_from_argv(tmp_path, sohoa_env):
    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([SOHOA, "user", *args], input=stdin, capture_output=True,
                              text=True, env=sohoa_env, timeout=120)

    base = ("--data", str(tmp_path), "--agency", AGENCY, "--role", "agency_admin",
            "--username", "quan.tri", "--name", "Quản trị viên")
    refused = run("create", *base, "--password", PASSWORD)
    assert refused.returncode != 0 and "--password" in refused.stderr
    short = run("create", *base, stdin="ngắn\n")
    assert short.returncode != 0 and "ít nhất" in short.stderr
    made = run("create", *base, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    user_id = made.stdout.strip()
    listed = run("list", "--data", str(tmp_path), "--agency", AGENCY)
    assert user_id in listed.stdout and "agency_admin" in listed.stdout
    assert "argon2" not in listed.stdout and PASSWORD not in listed.stdout
    from pipeline.core.settings import load_settings

    settings = load_settings()
    settings.data_dir = tmp_path
    with ArchiveDatabase(settings.database_for(tmp_path)) as db:
        assert db.users.check_password("quan.tri", PASSWORD).id == user_id
        actions = [e.action for e in db.audit.events(AGENCY)]
        assert "user.created" in actions
