"""Staff users of an agency: a sign-in name, a display name, one role (a named set of
scopes, storage.tokens.ROLES), active or not; a password hashed with Argon2id
(argon2-cffi), and sign-in sessions whose random id is kept only as its SHA-256.

Signing in some other way later (OIDC) sets `external_issuer` + `external_subject` on the
same row and leaves `password_hash` empty: roles, scopes, sessions and the pages stay as
they are. Mirrors alembic revision 0009_users_reports.
"""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from storage.tokens import ROLES

metadata = MetaData()
users = Table(
    "users", metadata,
    Column("id", String(24), primary_key=True),
    Column("agency_code", String(32), nullable=False),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", Text),
    Column("external_issuer", Text),
    Column("external_subject", Text),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_signed_in_at", DateTime(timezone=True)),
)
sessions = Table(
    "user_sessions", metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("user_id", String(24), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
SESSION_PREFIX = "sohoa-phien_"
_hasher = PasswordHasher()  # Argon2id, RFC 9106's low-memory profile (64 MiB, t=3, p=4)


@functools.cache
def _unknown() -> str:
    """A hash to check against for an unknown name (made once, when first needed)."""
    return _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """Why a user cannot be made or changed, in Vietnamese."""


@dataclass(frozen=True)
class User:
    id: str
    agency_code: str
    username: str
    display_name: str
    role: str
    active: bool
    has_password: bool
    external_issuer: str | None
    external_subject: str | None
    created_at: datetime
    updated_at: datetime
    last_signed_in_at: datetime | None

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(ROLES.get(self.role, ()))

    @property
    def actor(self) -> str:
        return f"user:{self.id}"


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _user(row) -> User:
    return User(id=row.id, agency_code=row.agency_code, username=row.username,
                display_name=row.display_name, role=row.role, active=bool(row.active),
                has_password=bool(row.password_hash), external_issuer=row.external_issuer,
                external_subject=row.external_subject, created_at=_aware(row.created_at),
                updated_at=_aware(row.updated_at),
                last_signed_in_at=_aware(row.last_signed_in_at))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")


class UserStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, agency_code: str, username: str, display_name: str, role: str, *,
               password: str | None = None, external_issuer: str | None = None,
               external_subject: str | None = None) -> User:
        username = username.strip().lower()
        display_name = " ".join(display_name.split())
        if not USERNAME.match(username):
            raise UserError("Tên đăng nhập gồm 2 đến 64 chữ cái không dấu, chữ số, dấu chấm, "
                            "gạch ngang hoặc gạch dưới.")
        if len(display_name) < 2:
            raise UserError("Xin ghi họ tên người dùng (ít nhất 2 ký tự).")
        if role not in ROLES:
            raise UserError("Vai trò không hợp lệ.")
        if password is not None:
            check_password_rules(password)
        now = datetime.now(UTC)
        row = dict(id=secrets.token_hex(6), agency_code=agency_code, username=username,
                   display_name=display_name, role=role,
                   password_hash=_hasher.hash(password) if password is not None else None,
                   external_issuer=external_issuer, external_subject=external_subject,
                   active=True, created_at=now, updated_at=now)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users).values(row))
        except IntegrityError:
            raise UserError(f"Tên đăng nhập “{username}” đã có người dùng.") from None
        return self.get(row["id"])  # type: ignore[return-value]

    def get(self, user_id: str, agency_code: str | None = None) -> User | None:
        """The user (of `agency_code` only, when given)."""
        query = select(users).where(users.c.id == user_id)
        if agency_code is not None:
            query = query.where(users.c.agency_code == agency_code)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _user(row) if row else None

    def list(self, agency_code: str) -> list[User]:
        query = select(users).where(users.c.agency_code == agency_code).order_by(
            users.c.display_name, users.c.id)
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(query)]

    def _change(self, user_id: str, agency_code: str, **values) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(update(users).where(
                (users.c.id == user_id) & (users.c.agency_code == agency_code))
                .values(updated_at=datetime.now(UTC), **values))
        return bool(done.rowcount)

    def set_role(self, user_id: str, agency_code: str, role: str) -> bool:
        if role not in ROLES:
            raise UserError("Vai trò không hợp lệ.")
        return self._change(user_id, agency_code, role=role)

    def set_active(self, user_id: str, agency_code: str, active: bool) -> bool:
        changed = self._change(user_id, agency_code, active=active)
        if changed and not active:
            with self.engine.begin() as conn:  # signed out everywhere, now
                conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
        return changed

    def set_password(self, user_id: str, agency_code: str, password: str) -> bool:
        check_password_rules(password)
        return self._change(user_id, agency_code, password_hash=_hasher.hash(password))

    def check_password(self, username: str, password: str) -> User | None:
        """The active user with this name and password, else None (an unknown name costs
        the same hash check as a wrong password)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(
                users.c.username == username.strip().lower())).first()
        try:
            _hasher.verify(row.password_hash if row is not None and row.password_hash
                           else _unknown(), password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.password_hash or not row.active:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            self._change(row.id, row.agency_code, password_hash=_hasher.hash(password))
        return _user(row)

    # -- sessions ----------------------------------------------------------------------
    def start_session(self, user: User, hours: float) -> str:
        """A new session's secret (the cookie's value; only its hash is kept); expired
        sessions are removed."""
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))  # ended ones go
            conn.execute(insert(sessions).values(id_sha256=_digest(secret), user_id=user.id,
                                                 created_at=now,
                                                 expires_at=now + timedelta(hours=hours)))
            conn.execute(update(users).where(users.c.id == user.id)
                         .values(last_signed_in_at=now))
        return secret

    def session_user(self, secret: str) -> User | None:
        """The active user of a live session, else None."""
        if not secret.startswith(SESSION_PREFIX):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions).where(
                sessions.c.id_sha256 == _digest(secret))).first()
        if row is None or _aware(row.expires_at) <= datetime.now(UTC):  # type: ignore[operator]
            return None
        user = self.get(row.user_id)
        return user if user is not None and user.active else None

    def end_session(self, secret: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_sha256 == _digest(secret)))
