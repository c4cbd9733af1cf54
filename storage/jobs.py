"""Jobs of the archive service: one per dossier sent, its documents, state and progress.

States: queued → running → succeeded | partially_succeeded | failed | canceled. A queued
job canceled never starts; a running one stops at its next finished page (pages already
running finish, and their records are kept for a later run).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.archive_tables import job_documents, jobs, originals

FINAL_STATES = ("succeeded", "partially_succeeded", "failed", "canceled")
PENDING = "pending"
DUPLICATE = "duplicate"  # the same scan as a document the agency already has


@dataclass(frozen=True)
class JobDocument:
    position: int
    name: str
    sha256: str
    kind: str
    page_count: int
    document_id: str
    outcome: str  # pending | done | needs_review | failed | duplicate | canceled
    error: str | None = None


@dataclass(frozen=True)
class JobRecord:
    id: str
    agency_code: str
    dossier_id: str
    state: str
    stage: str
    pages_total: int
    pages_done: int
    cancel_requested: bool
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    documents: list[JobDocument] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value):
    """SQLite gives datetimes back without their zone; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


class JobStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, job_id: str, agency_code: str, dossier_id: str,
               documents: list[JobDocument]) -> JobRecord:
        pending = [d for d in documents if d.outcome == PENDING]
        with self.engine.begin() as conn:
            conn.execute(insert(jobs).values(
                id=job_id, agency_code=agency_code, dossier_id=dossier_id, state="queued",
                stage="queued", pages_total=sum(d.page_count for d in pending), pages_done=0,
                cancel_requested=False, created_at=_now()))
            conn.execute(insert(job_documents), [{"job_id": job_id, **d.__dict__}
                                                 for d in documents])
        return self.get(job_id)  # type: ignore[return-value]

    def get(self, job_id: str, agency_code: str | None = None) -> JobRecord | None:
        where = jobs.c.id == job_id
        if agency_code is not None:
            where &= jobs.c.agency_code == agency_code
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(where)).first()
            if row is None:
                return None
            docs = conn.execute(select(job_documents).where(job_documents.c.job_id == job_id)
                                .order_by(job_documents.c.position)).all()
        values = {k: _aware(v) for k, v in row._mapping.items()}
        return JobRecord(**values, documents=[
            JobDocument(**{k: v for k, v in d._mapping.items() if k != "job_id"}) for d in docs])

    def list(self, agency_code: str, limit: int = 50, offset: int = 0) -> list[JobRecord]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(jobs.c.id).where(jobs.c.agency_code == agency_code)
                               .order_by(jobs.c.created_at.desc(), jobs.c.id)
                               .limit(limit).offset(offset)).scalars().all()
        return [j for j in (self.get(i) for i in ids) if j is not None]

    def unfinished(self) -> list[str]:
        """Jobs a stopped server left queued or running (oldest first): to run again."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(jobs.c.id).where(jobs.c.state.in_(
                ("queued", "running"))).order_by(jobs.c.created_at)).scalars())

    def _set(self, job_id: str, where=None, **values) -> bool:
        condition = jobs.c.id == job_id
        if where is not None:
            condition &= where
        with self.engine.begin() as conn:
            return bool(conn.execute(update(jobs).where(condition).values(**values)).rowcount)

    def start(self, job_id: str) -> bool:
        """queued or running (a restart) → running; False if it was canceled meanwhile."""
        return self._set(job_id, jobs.c.state.in_(("queued", "running"))
                         & ~jobs.c.cancel_requested, state="running", stage="pages",
                         started_at=_now())

    def progress(self, job_id: str, *, pages_done: int | None = None,
                 stage: str | None = None) -> None:
        values = {k: v for k, v in {"pages_done": pages_done, "stage": stage}.items()
                  if v is not None}
        if values:
            self._set(job_id, **values)

    def document_outcome(self, job_id: str, document_id: str, outcome: str,
                         error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(job_documents).where(
                (job_documents.c.job_id == job_id) & (job_documents.c.document_id == document_id)
                & (job_documents.c.outcome == PENDING)).values(outcome=outcome, error=error))

    def finish(self, job_id: str, state: str, error: str | None = None) -> None:
        if state not in FINAL_STATES:
            raise ValueError(state)
        with self.engine.begin() as conn:
            if state == "canceled":
                conn.execute(update(job_documents).where(
                    (job_documents.c.job_id == job_id) & (job_documents.c.outcome == PENDING))
                    .values(outcome="canceled"))
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(
                state=state, stage="finished", error=error, finished_at=_now()))

    def request_cancel(self, job_id: str, agency_code: str) -> JobRecord | None:
        """Cancel a job of `agency_code`: a queued one at once, a running one at its next
        page. None if the agency has no such job."""
        job = self.get(job_id, agency_code)
        if job is None or job.state in FINAL_STATES:
            return job
        self._set(job_id, cancel_requested=True)
        if self._set(job_id, jobs.c.state == "queued", state="running"):
            self.finish(job_id, "canceled")  # never started: nobody else will finish it
        return self.get(job_id, agency_code)

    def cancel_requested(self, job_id: str) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.execute(select(jobs.c.cancel_requested)
                                     .where(jobs.c.id == job_id)).scalar())

    # -- one document per scan and agency ----------------------------------------------
    def claim_original(self, agency_code: str, sha256: str, document_id: str) -> str:
        """The document id this agency's scan `sha256` has: `document_id` if it is new."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(originals).values(agency_code=agency_code, sha256=sha256,
                                                      document_id=document_id))
            return document_id
        except IntegrityError:
            return self.original(agency_code, sha256) or document_id

    def original(self, agency_code: str, sha256: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(originals.c.document_id).where(
                (originals.c.agency_code == agency_code) & (originals.c.sha256 == sha256))).scalar()
