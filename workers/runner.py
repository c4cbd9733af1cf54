"""Batch intake: find the documents (workers.batch_entries), skip what is done, plan jobs,
hand them to an executor."""
from __future__ import annotations

import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.core.errors import ConfigurationError, InputError, StorageError
from pipeline.core.naming import document_name, vietnam_now
from pipeline.core.result import DocumentResult, DocumentSummary
from pipeline.core.settings import Settings
from pipeline.scan.load import inspect_source, unreadable
from storage.objects import sha256_file
from storage.registry import DossierRegistry
from workers import graph
from workers.batch_entries import Source, discover
from workers.graph import INTERNAL_ERROR, DocumentJob, context_for
from workers.indexing import IndexRecorder
from workers.originals import Originals
from workers.progress import BatchProgress, SilentProgress, Waiting

log = logging.getLogger("sohoa.runner")


def is_finished(out: Path, rel_result: str, sha: str) -> DocumentResult | None:
    try:
        result = DocumentResult.from_json((out / rel_result).read_bytes())
    except (OSError, ValueError):  # absent, unreadable or damaged: do the document again
        return None
    if result.status != "failed" and result.sha256.get("original") == sha:
        return result
    return None


ADMIT_THREADS = 4  # files checked and hashed at once


def plan(batch: Path, out: Path, settings: Settings
         ) -> tuple[list[DocumentJob], list[DocumentSummary], Originals]:
    """Jobs to run; summaries of documents already finished or refused up front; and the
    jobs' originals on their way into the object store (workers.originals)."""
    ctx = context_for(str(out))
    (out / ".sohoa").mkdir(parents=True, exist_ok=True)
    entries: list[tuple[Source, DocumentJob]] = []
    with DossierRegistry(settings.database_for(out),
                         retry_budget_s=settings.retry_budget_s) as registry:
        today = vietnam_now().date()
        for source in discover(batch, out):
            # Keyed by output folder too: a shared (PostgreSQL) registry serves many batches.
            dossier_key, ma = registry.dossier(f"{out}/{source.dossier}", settings.agency_code, today)
            order = registry.document_order(dossier_key, f"{out}/{source.key}")
            entries.append((source, DocumentJob(
                out_root=str(out), source=source.rel, dossier_id=ma,
                document_id=document_name(ma, order), original_key="", kind="", page_count=0,
                result_path=source.result_path)))
    with ThreadPoolExecutor(ADMIT_THREADS, thread_name_prefix="admit") as pool:
        refusals = list(pool.map(lambda e: _admitted(e[1], e[0], batch, settings), entries))
    jobs: list[DocumentJob] = []
    settled: list[DocumentSummary] = []
    originals = Originals(ctx)
    for (source, job), refusal in zip(entries, refusals):
        if refusal is not None:
            settled.append(graph.record_failure(job, refusal))
        elif done := is_finished(out, job.result_path, job.original_key):
            settled.append(DocumentSummary.of(done, skipped=True, result_path=job.result_path))
        else:
            originals.store(len(jobs), source.path, job.original_key)
            jobs.append(job)
    return jobs, settled, originals


def _admitted(job: DocumentJob, source: Source, batch: Path, settings: Settings) -> str | None:
    """Fill in the job from its file; None, or the sentence it is refused with. Whatever
    is wrong with one entry, even a bug it shows, is that entry's failure alone."""
    try:
        job.original_key, job.kind, job.page_count = _admit(source, batch, settings)
    except InputError as exc:
        log.info("%r refused [%s]: %s", source.rel, exc.code, exc.detail)
        return exc.message
    except (ConfigurationError, StorageError):
        raise  # the installation or the object store, not this entry: stop loudly
    except Exception:
        log.exception("admitting %r failed", source.rel)
        return INTERNAL_ERROR
    return None


def _admit(source: Source, batch: Path, settings: Settings) -> tuple[str, str, int]:
    """Check the file: its content hash, kind and page count (Originals stores it)."""
    if source.problem is not None:
        raise source.problem
    path = source.path
    try:
        if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(batch.resolve()):
            raise InputError("Tệp là liên kết trỏ ra ngoài thư mục lô nên không được xử lý.",
                             "link_outside")
        regular = stat.S_ISREG(path.stat().st_mode)  # follows a link: a loop raises ELOOP
    except OSError as exc:
        raise unreadable(exc) from exc
    if not regular:  # a folder behind a link, a FIFO (opening it would wait forever), a device
        raise InputError("Không phải là tệp thông thường nên không thể số hóa.", "not_a_file")
    info = inspect_source(path, settings.limits())
    try:
        sha = sha256_file(path)
    except OSError as exc:
        raise unreadable(exc) from exc
    return sha, info.kind, info.page_count


def run_batch(batch: Path, out: Path, settings: Settings,
              progress: BatchProgress | None = None) -> list[DocumentSummary]:
    """Digitize every document of `batch` into `out`; the summaries of all of them."""
    progress = progress or SilentProgress()
    out.mkdir(parents=True, exist_ok=True)
    graph.configure(settings)
    jobs, settled, originals = plan(batch, out, settings)
    try:
        progress.planned(sum(j.page_count for j in jobs), len(jobs) + len(settled))
        paths = {j.source: j.result_path for j in jobs} | {s.source: s.result_path for s in settled}
        recorder = IndexRecorder(settings, out, paths)
        watcher = _Recording(progress, recorder)
        try:
            for item in settled:
                watcher.document_done(item)
            if settings.broker_url:
                from workers.celery_executor import run_jobs
            else:
                from workers.local_executor import run_jobs
            results = run_jobs(jobs, settings, watcher, originals)
        finally:
            recorder.close()
    finally:
        originals.close()
    return settled + results


class _Recording:
    """The caller's progress, with every finished document recorded in the index first."""

    def __init__(self, progress: BatchProgress, recorder: IndexRecorder):
        self.progress, self.recorder = progress, recorder

    def planned(self, pages: int, documents: int) -> None:
        self.progress.planned(pages, documents)

    def pages_done(self, count: int) -> None:
        self.progress.pages_done(count)

    def document_done(self, summary: DocumentSummary) -> None:
        self.recorder.record(summary)
        self.progress.document_done(summary)

    def waiting(self, status: Waiting) -> None:
        self.progress.waiting(status)
