"""Who is working on a document that needs review (the clerk's review screen).

A claim is one row per document: `held` by one actor (a second clerk is refused and told
who), or `rescan` when a clerk asked for the paper to be scanned again (the document then
leaves the review queue until its new scan is recorded: workers/rescan.py). Claiming is
one INSERT, or one conditional UPDATE over a hold that is the caller's own or stale (older
than `ttl`), so two clerks claiming together cannot both win.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
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

metadata = MetaData()
claims = Table(  # mirrors migration 0006_review_claims
    "review_claims", metadata,
    Column("document_id", String(80), primary_key=True),
    Column("agency_code", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("actor", Text, nullable=False),
    Column("actor_name", Text, nullable=False),
    Column("reason", Text),
    Column("since", DateTime(timezone=True), nullable=False),
)
CLAIM_TTL = timedelta(hours=2)


@dataclass(frozen=True)
class Claim:
    document_id: str
    agency_code: str
    state: str  # held | rescan
    actor: str
    actor_name: str
    reason: str | None
    since: datetime


def _claim(row) -> Claim:
    values = dict(row._mapping)
    if values["since"].tzinfo is None:  # SQLite: stored as UTC
        values["since"] = values["since"].replace(tzinfo=UTC)
    return Claim(**values)


class ClaimStore:
    def __init__(self, engine: Engine, ttl: timedelta = CLAIM_TTL):
        self.engine, self.ttl = engine, ttl

    def get(self, document_id: str) -> Claim | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(claims).where(claims.c.document_id == document_id)).first()
        return _claim(row) if row else None

    def of_agency(self, agency_code: str) -> dict[str, Claim]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(claims).where(claims.c.agency_code == agency_code))
            return {r.document_id: _claim(r) for r in rows}

    def live_holder(self, claim: Claim | None, now: datetime | None = None) -> Claim | None:
        """The claim if it is a hold that has not gone stale."""
        now = now or datetime.now(UTC)
        if claim is None or claim.state != "held" or now - claim.since > self.ttl:
            return None
        return claim

    def claim(self, document_id: str, agency_code: str, actor: str, actor_name: str) -> Claim:
        """Hold the document for `actor`; the claim that stands afterwards (another
        actor's, if theirs is live)."""
        now = datetime.now(UTC)
        row = dict(document_id=document_id, agency_code=agency_code, state="held",
                   actor=actor, actor_name=actor_name, reason=None, since=now)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(claims).values(row))
        except IntegrityError:
            # one's own hold or a stale one; never a rescan request (the document waits
            # for its new scan, out of the queue)
            takeable = (claims.c.state == "held") & ((claims.c.actor == actor)
                                                     | (claims.c.since < now - self.ttl))
            with self.engine.begin() as conn:
                conn.execute(update(claims).where((claims.c.document_id == document_id)
                                                  & takeable).values(row))
        return self.get(document_id)  # type: ignore[return-value]

    def release(self, document_id: str, actor: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(claims).where((claims.c.document_id == document_id)
                                              & (claims.c.actor == actor)))

    def ask_rescan(self, document_id: str, agency_code: str, actor: str, actor_name: str,
                   reason: str) -> None:
        row = dict(agency_code=agency_code, state="rescan", actor=actor,
                   actor_name=actor_name, reason=reason, since=datetime.now(UTC))
        with self.engine.begin() as conn:
            done = conn.execute(update(claims).where(claims.c.document_id == document_id)
                                .values(row))
            if not done.rowcount:
                conn.execute(insert(claims).values(document_id=document_id, **row))

    def clear_rescan(self, document_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(claims).where((claims.c.document_id == document_id)
                                              & (claims.c.state == "rescan")))
