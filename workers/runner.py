"""Batch intake: find the documents, skip what is done, plan jobs, hand them to an executor.

A batch is a folder; each sub-folder is a dossier and each file in it a document; a file
directly in the batch folder is a dossier of its own (../shared/spec/documents.md).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.core.naming import document_name, vietnam_now
from pipeline.core.result import DocumentResult, DocumentSummary
from pipeline.core.settings import Settings
from pipeline.scan.load import inspect_source
from storage.objects import sha256_file
from storage.registry import DossierRegistry
from workers import graph
from workers.graph import Context, DocumentJob, context_for, fail, write_result
from workers.indexing import IndexRecorder
from workers.progress import BatchProgress, SilentProgress

log = logging.getLogger("sohoa.runner")
# Operating-system litter, never scans. Anything else is looked at: a file silently
# skipped could be a document lost.
SKIPPED_NAMES = {"Thumbs.db", "desktop.ini", ".DS_Store"}
SIDECAR_SUFFIXES = {".json"}  # metadata next to scans (e.g. a generator's truth.json)


@dataclass(frozen=True)
class Source:
    path: Path
    rel: str  # relative to the batch, with "/" separators
    dossier: str  # output folder of its dossier, relative to OUT


def discover(batch: Path) -> Iterator[Source]:
    """Documents in a stable order; links leaving the batch are reported, never followed."""
    batch = batch.resolve()
    taken = {p.name for p in batch.iterdir() if p.is_dir()}
    for entry in sorted(batch.iterdir()):
        if _skip(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            for path in sorted(entry.rglob("*")):
                if not _skip(path) and (path.is_file() or path.is_symlink()):
                    yield Source(path, path.relative_to(batch).as_posix(), entry.name)
        else:
            # A loose file is its own dossier, in a folder named after it.
            dossier = entry.stem if entry.stem not in taken else entry.name
            taken.add(dossier)
            yield Source(entry, entry.name, dossier)


def _skip(path: Path) -> bool:
    name = path.name
    return (name in SKIPPED_NAMES or name.startswith("._")  # macOS AppleDouble twins
            or (name.startswith(".") and path.is_dir())
            or (path.suffix.lower() in SIDECAR_SUFFIXES and path.is_file()))


def result_path(source: Source) -> str:
    inside = Path(source.rel).relative_to(Path(source.rel).parts[0]) if "/" in source.rel else Path(source.rel)
    return str(Path(source.dossier) / f"{inside}.result.json")


def is_finished(out: Path, rel_result: str, sha: str) -> DocumentResult | None:
    path = out / rel_result
    if not path.exists():
        return None
    try:
        result = DocumentResult.from_json(path.read_bytes())
    except (OSError, ValueError):
        return None
    if result.status != "failed" and result.sha256.get("original") == sha:
        return result
    return None


def plan(batch: Path, out: Path, settings: Settings) -> tuple[list[DocumentJob], list[DocumentSummary]]:
    """Jobs to run, and summaries of documents already finished or refused up front."""
    ctx = context_for(str(out))
    (out / ".sohoa").mkdir(parents=True, exist_ok=True)
    with DossierRegistry(settings.database_for(out)) as registry:
        today = vietnam_now().date()
        jobs: list[DocumentJob] = []
        settled: list[DocumentSummary] = []
        for source in discover(batch):
            # Keyed by output folder too: a shared (PostgreSQL) registry serves many batches.
            dossier_key, ma = registry.dossier(f"{out}/{source.dossier}", settings.agency_code, today)
            order = registry.document_order(dossier_key, f"{out}/{source.rel}")
            rel_result = result_path(source)
            job = DocumentJob(out_root=str(out), source=source.rel, dossier_id=ma,
                              document_id=document_name(ma, order), original_key="", kind="",
                              page_count=0, result_path=rel_result)
            try:
                job.original_key, job.kind, job.page_count = _admit(source, batch, settings, ctx)
            except InputError as exc:
                result = fail(job, exc.message)
                write_result(out / rel_result, result)
                settled.append(DocumentSummary.of(result, result_path=rel_result))
                continue
            done = is_finished(out, rel_result, job.original_key)
            if done:
                settled.append(DocumentSummary.of(done, skipped=True, result_path=rel_result))
            else:
                jobs.append(job)
    return jobs, settled


def _admit(source: Source, batch: Path, settings: Settings, ctx: Context) -> tuple[str, str, int]:
    """Check the file and copy it into the object store; the store's copy is what we read."""
    path = source.path
    if path.is_symlink() and not path.resolve().is_relative_to(batch.resolve()):
        raise InputError("Tệp là liên kết trỏ ra ngoài thư mục lô nên không được xử lý.", "link_outside")
    if not path.is_file():
        raise InputError("Không phải là tệp thông thường nên không thể số hóa.", "not_a_file")
    info = inspect_source(path, settings.limits())
    sha = sha256_file(path)
    if not ctx.store.exists(sha):
        ctx.store.put_file(path)
    return sha, info.kind, info.page_count


def run_batch(batch: Path, out: Path, settings: Settings,
              progress: BatchProgress | None = None) -> list[DocumentSummary]:
    """Digitize every document of `batch` into `out`; the summaries of all of them."""
    progress = progress or SilentProgress()
    out.mkdir(parents=True, exist_ok=True)
    graph.configure(settings)
    jobs, settled = plan(batch, out, settings)
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
        results = run_jobs(jobs, settings, watcher)
    finally:
        recorder.close()
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
