"""Running the archive service's jobs through the one stage graph: in a background thread
of the service by default, on the Celery workers when a broker is configured (the same
executors `sohoa process` uses). One job runs at a time; its pages run in parallel.

A job left queued or running by a stopped service is run again on start: the graph's
steps find their earlier outputs, so nothing finished is redone. With several server
processes (`sohoa serve --workers N`) only the one holding the archive's resume lock (a
file lock under <archive>/.sohoa, held for the process's life) resumes jobs, so the
processes starting together do not run one job twice. Limitation: a worker process that
uvicorn restarts after the lock holder died resumes every unfinished job, those other live
processes are running included (a job has no owner process recorded yet).
"""
from __future__ import annotations

import fcntl
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor

from pipeline.core.result import DocumentSummary
from storage.archive import agency_of
from storage.jobs import PENDING, JobRecord
from workers.archive import Archive
from workers.archive_record import record_document
from workers.graph import INTERNAL_ERROR, DocumentJob
from workers.progress import Waiting
from workers.webhooks import notify

log = logging.getLogger("sohoa.jobs")


class JobCanceled(Exception):
    """Raised from the progress callback: the executor stops handing out pages."""


def document_jobs(archive: Archive, job: JobRecord) -> list[DocumentJob]:
    """The graph's jobs for the documents of `job` still to digitize."""
    out = []
    for doc in job.documents:
        if doc.outcome != PENDING:
            continue
        ma = doc.document_id.rsplit(".", 1)[0]
        out.append(DocumentJob(out_root=str(archive.root), source=f"{ma}/{doc.name}",
                               dossier_id=ma, document_id=doc.document_id,
                               original_key=doc.sha256, kind=doc.kind,
                               page_count=doc.page_count,
                               result_path=f"{ma}/{doc.name}.result.json"))
    return out


class _JobProgress:
    """workers.progress.BatchProgress onto the job's row; records each finished document."""

    def __init__(self, archive: Archive, job_id: str, jobs: list[DocumentJob]):
        self.archive, self.job_id = archive, job_id
        self.by_id = {j.document_id: j for j in jobs}
        self.total = sum(j.page_count for j in jobs)
        self.done = 0

    def planned(self, pages: int, documents: int) -> None:
        pass

    def pages_done(self, count: int) -> None:
        self.done += count
        stage = "pages" if self.done < self.total else "documents"
        self.archive.db.jobs.progress(self.job_id, pages_done=self.done, stage=stage)
        if self.archive.db.jobs.cancel_requested(self.job_id):
            raise JobCanceled(self.job_id)

    def waiting(self, status: Waiting) -> None:
        pass  # the job's row already shows its pages done; the executor logs the wait

    def document_done(self, summary: DocumentSummary) -> None:
        outcome, error = summary.status, summary.error
        if outcome != "failed":
            try:
                record_document(self.archive, self.by_id[summary.document_id])
            except Exception:
                log.exception("recording %s failed", summary.document_id)
                outcome, error = "failed", INTERNAL_ERROR
        self.archive.db.jobs.document_outcome(self.job_id, summary.document_id, outcome, error)
        if outcome == "needs_review":
            notify(self.archive, agency_of(summary.document_id), "document.needs_review",
                   {"document_id": summary.document_id, "job_id": self.job_id,
                    "url": f"/api/v1/documents/{summary.document_id}"})


def run_job(archive: Archive, job_id: str) -> None:
    db = archive.db
    job = db.jobs.get(job_id)
    if job is None or not db.jobs.start(job_id):
        return  # canceled before it started
    jobs = document_jobs(archive, job)
    if archive.settings.broker_url:
        from workers.celery_executor import run_jobs
    else:
        from workers.local_executor import run_jobs
    try:
        run_jobs(jobs, archive.settings, _JobProgress(archive, job_id, jobs))
    except JobCanceled:
        db.jobs.finish(job_id, "canceled")
        return
    db.jobs.finish(job_id, final_state(db.jobs.get(job_id)))  # type: ignore[arg-type]


def final_state(job: JobRecord) -> str:
    outcomes = [d.outcome for d in job.documents]
    failed = sum(o in ("failed", PENDING) for o in outcomes)
    if not failed:
        return "succeeded"
    return "failed" if failed == len(outcomes) else "partially_succeeded"


class JobRunner:
    """Jobs one after the other in a background thread of this process."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sohoa-job")
        self._lock_fd: int | None = None  # the archive's resume lock, once held

    def submit(self, job_id: str) -> Future:
        return self._pool.submit(self._run, job_id)

    def resume_unfinished(self) -> None:
        if not self._resume_lock():
            return
        for job_id in self.archive.db.jobs.unfinished():
            self.submit(job_id)

    def _resume_lock(self) -> bool:
        """True in the one process of the archive holding its resume lock."""
        if self._lock_fd is not None:
            return True
        fd = os.open(self.archive.root / ".sohoa" / "serve-resume.lock",
                     os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd  # held until shutdown or the process ends
        return True

    def _run(self, job_id: str) -> None:
        try:
            run_job(self.archive, job_id)
        except Exception:  # a bug or an outage: the job fails, the service goes on
            log.exception("job %s failed", job_id)
            self.archive.db.jobs.finish(job_id, "failed", INTERNAL_ERROR)
        job = self.archive.db.jobs.get(job_id)
        if job is not None and job.state not in ("queued", "running"):
            notify(self.archive, job.agency_code, "job.finished", {
                "job_id": job.id, "dossier_id": job.dossier_id, "state": job.state,
                "pages_done": job.pages_done, "pages_total": job.pages_total,
                "documents": [{"document_id": d.document_id, "outcome": d.outcome}
                              for d in job.documents],
                "url": f"/api/v1/jobs/{job.id}"})

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)
