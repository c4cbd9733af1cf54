"""Agencies (the archive's tenants) and their service tokens.

A token reads `sohoa_<id>_<secret>`: the id finds the row, the secret is 256 random bits
of which only the SHA-256 is kept. A fast hash is enough here, unlike for passwords: no
one can search a 2^256 space however fast each guess is, so argon2's deliberate cost
would only slow every request down (it matters for low-entropy secrets people choose).
The token is shown once, when made; it cannot be read back.

Staff roles are named sets of scopes, so signing staff in some other way later (OIDC)
maps a role to the same scopes and nothing below changes.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from storage.archive_tables import agencies, tokens
from storage.index_db import reading

SCOPES = ("dossiers:write", "documents:read", "persons:read", "copies:issue", "audit:read",
          "admin")
ROLES = {
    "clerk": ("dossiers:write", "documents:read"),
    "reviewer": ("documents:read", "dossiers:write"),
    "certifier": ("documents:read", "copies:issue"),
    "auditor": ("audit:read", "documents:read"),
    "agency_admin": SCOPES,
}
AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.]{0,30}$")  # as pipeline.core.naming.ma_ho_so wants
_TOKEN = re.compile(r"^sohoa_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
LAST_USED_EVERY = timedelta(minutes=1)  # a write per minute per token, not per request


@dataclass(frozen=True)
class TokenRecord:
    id: str
    agency_code: str
    label: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class NewToken:
    record: TokenRecord
    token: str  # shown once; only its hash is stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(when: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; they were stored as UTC."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _record(row) -> TokenRecord:
    return TokenRecord(id=row.id, agency_code=row.agency_code, label=row.label,
                       scopes=frozenset(row.scopes.split()), created_at=_aware(row.created_at),
                       expires_at=_aware(row.expires_at), revoked_at=_aware(row.revoked_at),
                       last_used_at=_aware(row.last_used_at))


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown}; known: {', '.join(SCOPES)}")
    return sorted(set(scopes))


class TokenStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- agencies ----------------------------------------------------------------------
    def ensure_agency(self, code: str, name: str | None = None) -> None:
        """The agency, made if new; `name` (its display name: the lời chứng and stamps of
        the copies it certifies print it) is set, or changed, when given."""
        if not AGENCY_CODE.match(code):
            raise ValueError(f"agency code {code!r} is not like H15.50.05.13")
        name = " ".join((name or "").split()) or None
        with self.engine.begin() as conn:
            held = conn.execute(select(agencies.c.name).where(agencies.c.code == code)).first()
            if held is None:
                conn.execute(insert(agencies).values(code=code, name=name or code,
                                                     created_at=datetime.now(UTC)))
            elif name and held.name != name:
                conn.execute(update(agencies).where(agencies.c.code == code).values(name=name))

    def agency_name(self, code: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(agencies.c.name).where(agencies.c.code == code)).scalar()

    # -- tokens ------------------------------------------------------------------------
    def create(self, agency_code: str, scopes: list[str], *, label: str = "",
               expires_at: datetime | None = None) -> NewToken:
        if self.agency_name(agency_code) is None:
            raise ValueError(f"no agency {agency_code}")
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        row = dict(id=token_id, agency_code=agency_code, label=label,
                   secret_sha256=_digest(secret), scopes=" ".join(check_scopes(scopes)),
                   created_at=datetime.now(UTC), expires_at=expires_at)
        with self.engine.begin() as conn:
            conn.execute(insert(tokens).values(row))
        return NewToken(self.get(token_id), f"sohoa_{token_id}_{secret}")  # type: ignore[arg-type]

    def get(self, token_id: str) -> TokenRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.id == token_id)).first()
        return _record(row) if row else None

    def authenticate(self, presented: str, now: datetime | None = None) -> TokenRecord | None:
        """The token's record if it is one of ours, not revoked nor expired; else None."""
        now = now or datetime.now(UTC)
        match = _TOKEN.match(presented or "")
        if not match:
            return None
        with reading(self.engine) as conn:
            row = conn.execute(select(tokens).where(tokens.c.id == match[1])).first()
        if row is None or not hmac.compare_digest(row.secret_sha256, _digest(match[2])):
            return None
        record = _record(row)
        if not record.usable(now):
            return None
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(tokens).where(tokens.c.id == record.id)
                             .values(last_used_at=now))
        return record

    def list(self, agency_code: str | None = None) -> list[TokenRecord]:
        query = select(tokens).order_by(tokens.c.created_at, tokens.c.id)
        if agency_code is not None:
            query = query.where(tokens.c.agency_code == agency_code)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def revoke(self, token_id: str, agency_code: str | None = None) -> bool:
        """Revoke a token (of `agency_code` only, when given); False if there is none."""
        where = (tokens.c.id == token_id) & tokens.c.revoked_at.is_(None)
        if agency_code is not None:
            where &= tokens.c.agency_code == agency_code
        with self.engine.begin() as conn:
            done = conn.execute(update(tokens).where(where).values(revoked_at=datetime.now(UTC)))
        return bool(done.rowcount)
