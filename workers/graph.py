"""The one stage graph, shared by both executors:

    plan (client) ──► process_page × N (fan out) ──► assemble (PDF/A, sign, store, publish)

Messages between the steps are small typed records of object keys (pipeline.core.result;
plain JSON on the wire), never image bytes. Each step first looks for its own earlier
output under a name derived from its inputs, so running it again (a retry, a re-run after
a crash) redoes nothing.
"""
from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from pipeline.core.errors import ConfigurationError, SohoaError
from pipeline.core.files import write_atomic
from pipeline.core.model import PageResult
from pipeline.core.naming import vietnam_now
from pipeline.core.result import (
    DocumentResult,
    DocumentSummary,
    PageOutcome,
    document_result,
    failed_result,
)
from pipeline.core.settings import Settings
from storage.base import ObjectStore
from storage.objects import LocalObjectStore, publish
from workers.claims import claim_or_wait, mark_failed, owner
from workers.tuning import release_memory

# The imaging and signing stacks (OpenCV, Tesseract glue, pikepdf, pyHanko) are imported
# inside the steps that use them: a process that only plans batches (the Celery client,
# the API) never loads them.

log = logging.getLogger("sohoa.graph")
STAGE_VERSION = "5"  # bump when a stage's output changes, so old results are not reused
INTERNAL_ERROR = ("Lỗi hệ thống khi xử lý tài liệu này; lỗi đã được ghi lại để kỹ thuật viên "
                  "kiểm tra, các tài liệu khác vẫn được xử lý.")


@dataclass
class DocumentJob:
    """Everything a worker needs to know about one document (JSON-serialisable)."""

    out_root: str
    source: str  # relative to the batch folder
    dossier_id: str  # mã hồ sơ
    document_id: str  # <mã hồ sơ>.<order>
    original_key: str  # sha256 of the scan, in the object store
    kind: str
    page_count: int
    result_path: str  # relative to out_root

    def to_dict(self) -> dict:
        return asdict(self)


class Context:
    """Per-process resources: settings, the object store, the signing identity (lazy)."""

    def __init__(self, settings: Settings, out_root: Path):
        self.settings = settings
        self.out_root = Path(out_root)

    @cached_property
    def store(self) -> ObjectStore:
        if self.settings.s3_endpoint:
            from storage.retrying import RetryingStore
            from storage.s3 import S3ObjectStore
            from storage.transient import retry_transient

            # The cache sits under OUT so published files can be hard links into it. A
            # network store has outages: they are waited out (storage.transient).
            budget = self.settings.retry_budget_s
            s3 = retry_transient(lambda: S3ObjectStore.from_settings(
                self.settings, self.out_root / ".sohoa" / "cache"), budget_s=budget,
                what="object store bucket")
            return RetryingStore(s3, budget)
        return LocalObjectStore(self.out_root / ".sohoa" / "objects")

    @cached_property
    def identity(self):
        from pipeline.signing.configured import agency_identity

        return agency_identity(self.settings)

    @cached_property
    def options_tag(self) -> str:
        from pipeline.scan.archive_image import JPEG_QUALITY

        return f"v{STAGE_VERSION}-{self.settings.ocr_language}-q{JPEG_QUALITY}"

    def page_name(self, original_key: str, index: int) -> str:
        """Where a page's record is stored: renamed whenever the stages' options change."""
        return f"pages/{original_key}/{index}.{self.options_tag}.json"


_contexts: dict[str, Context] = {}
_contexts_lock = threading.Lock()  # the local executor's threads share them
_settings: Settings | None = None
# See pipeline.scan.page.read_page. The local executor shares one among its threads so their
# peaks never coincide.
_decode_permit: AbstractContextManager = nullcontext()


def configure(settings: Settings, decode_permit: AbstractContextManager | None = None) -> None:
    """Set this process's settings (from its entry point) and decode permit."""
    global _settings, _decode_permit
    with _contexts_lock:
        _settings = settings
        _decode_permit = decode_permit or nullcontext()
        _contexts.clear()


def is_configured() -> bool:
    return _settings is not None


def context_for(out_root: str) -> Context:
    """One Context per output root per process (workers keep theirs between tasks)."""
    if _settings is None:
        raise RuntimeError("workers.graph.configure(settings) was not called")
    with _contexts_lock:
        if out_root not in _contexts:
            _contexts[out_root] = Context(_settings, Path(out_root))
        return _contexts[out_root]


def process_page(job: DocumentJob, index: int) -> PageOutcome:
    """Load, orient, deskew, OCR and encode one page; store its record under a name."""
    ctx = context_for(job.out_root)
    name = ctx.page_name(job.original_key, index)
    if ctx.store.get_named(name) is not None:
        return PageOutcome(ok=True, name=name)
    try:
        page = _page(ctx, job, index)
    except ConfigurationError:
        raise  # the installation, not this page: stop loudly (the probe should have caught it)
    except SohoaError as exc:  # this page's input, OCR, or a damaged stored object
        return PageOutcome(ok=False, error=exc.message, code=exc.code)
    finally:
        release_memory()
    ctx.store.put_named(name, json.dumps(page).encode())
    return PageOutcome(ok=True, name=name)


def _page(ctx: Context, job: DocumentJob, index: int) -> dict:
    from pipeline.scan.page import read_page

    s = ctx.settings
    # The archive image is stored while Tesseract reads the page: a network store's answer
    # then costs no time. Stored before the page's record, which names it, is.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sohoa-store") as writer:
        early: list[tuple[bytes, Future[str]]] = []  # the image read_page made before OCR
        record, jpeg = read_page(
            ctx.store.local_path(job.original_key), job.kind, index, s.limits(), s.ocr(),
            _decode_permit, lambda made: early.append((made, writer.submit(ctx.store.put, made))))
        # the page turned over by OCR (rare) has another image
        key = early[0][1].result() if early and early[0][0] == jpeg else ctx.store.put(jpeg)
    return {"page": record.to_dict(), "jpeg": key}


def assemble(job: DocumentJob, outcomes: list[PageOutcome],
             task_id: str | None = None) -> DocumentSummary:
    """Build the PDF/A, sign it, store both, publish them and write result.json."""
    ctx = context_for(job.out_root)
    name = result_name(ctx, job.document_id, job.original_key)
    stored = ctx.store.get_named(name)
    me = owner(task_id)
    # A twin assembling this document right now (another client): wait for its result
    # rather than sign a second copy (workers/claims.py).
    if stored is None and not claim_or_wait(ctx.store, name, me,
                                            ctx.settings.document_time_limit_s):
        stored = ctx.store.get_named(name)
    if stored is not None:
        result = DocumentResult.from_json(stored)
    else:
        result = _assemble(ctx, job, outcomes)
        # Failures are retried on the next run. Should two still assemble the same document
        # (a twin past its lease), the first stored result is THE result and the other
        # publishes that one, so OUT never mixes the files of two signings.
        if result.status == "failed":
            mark_failed(ctx.store, name, me)
        elif not ctx.store.put_named(name, result.to_json().encode()):
            result = DocumentResult.from_json(ctx.store.get_named(name) or b"")
    _publish(ctx, job, result)
    return DocumentSummary.of(result)


def result_name(ctx: Context, document_id: str, original_key: str) -> str:
    """Where assemble stores a finished (not failed) document's result in the object store:
    what the archive service indexes, so it needs no file next to the worker."""
    return f"documents/{document_id}/{original_key}.{ctx.options_tag}.json"


def evidence_name(ctx: Context, document_id: str, original_key: str) -> str:
    """Where assemble stores each field's OCR confidence, page and box (not in result.json,
    whose contract they are not part of): what the archive service keeps per version."""
    return f"documents/{document_id}/{original_key}.{ctx.options_tag}.evidence.json"


def _assemble(ctx: Context, job: DocumentJob, outcomes: list[PageOutcome]) -> DocumentResult:
    from pipeline.understand.doctypes import load_types
    from pipeline.understand.document import understand

    failed = next((o for o in outcomes if not o.ok), None)
    if failed:
        return fail(job, failed.error or INTERNAL_ERROR)
    try:
        stored = [json.loads(ctx.store.get_named(o.name or "")) for o in outcomes]
        pages = [PageResult.from_dict(s["page"]) for s in stored]
        known = understand(pages, load_types(ctx.settings.extra_schema_dirs()))
        # A network store answers each request in milliseconds (tens of them across a data
        # centre): the evidence is stored while the PDF/A is built, the PDF/A while it is
        # signed. All is stored before assemble stores the result that names it.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sohoa-store") as writer:
            evidence = writer.submit(
                ctx.store.put_named, evidence_name(ctx, job.document_id, job.original_key),
                json.dumps(known.evidence, sort_keys=True).encode())
            now = vietnam_now()
            document = build_pdfa(ctx, stored, pages, job.document_id, known.archive,
                                  Path(job.source).name, now)
            pdfa_key = writer.submit(ctx.store.put, document)
            signed_key = ctx.store.put(sign(ctx, document, now))
            evidence.result()
            sha256 = {"original": job.original_key, "pdfa": pdfa_key.result(),
                      "signed": signed_key}
    except SohoaError as exc:
        log.error("assembling %s failed [%s]: %s", job.source, exc.code, exc.detail)
        return fail(job, exc.message)
    dossier_dir = Path(job.result_path).parent
    return document_result(
        dossier_id=job.dossier_id, document_id=job.document_id, source=job.source, pages=pages,
        document_type=known.document_type, fields=known.fields, errors=known.errors,
        sha256=sha256,
        artifacts={"pdfa": str(dossier_dir / f"{job.document_id}.unsigned.pdf"),
                   "signed": str(dossier_dir / f"{job.document_id}.pdf")},
    )


def build_signed(ctx: Context, stored: list[dict], pages: list[PageResult], document_id: str,
                 archive: dict, source_name: str) -> tuple[bytes, bytes]:
    """(PDF/A, signed copy) of a document's stored pages (also how a clerk's correction
    makes its new version: workers/corrections.py)."""
    now = vietnam_now()
    document = build_pdfa(ctx, stored, pages, document_id, archive, source_name, now)
    return document, sign(ctx, document, now)


def build_pdfa(ctx: Context, stored: list[dict], pages: list[PageResult], document_id: str,
               archive: dict, source_name: str, now: datetime) -> bytes:
    """The PDF/A of a document's stored pages, dated `now` (its signing time)."""
    from pipeline.pdf import pdfa
    from pipeline.signing.sign import STAMP_ROOM

    # local_path: the page images were just stored by this host's workers, whose S3 cache
    # keeps them (verified when written): no download.
    return pdfa.build_pdfa(
        [pdfa.PdfPage(ctx.store.local_path(s["jpeg"]).read_bytes(), p.width, p.height, p.dpi, p.words, p.skew_deg)
         for s, p in zip(stored, pages)],
        pdfa.DocumentInfo(title=document_id, created=now, archive=archive,
                          subject=f"Số hóa từ bản giấy: {source_name}"),
        stamp_room=STAMP_ROOM,  # a card or a cropped line gets a band above it for the stamp
    )


def sign(ctx: Context, document: bytes, now: datetime) -> bytes:
    """The agency's PAdES signature on `document`, with the stamp, at `now`."""
    from pipeline.signing.sign import sign_pdf

    return sign_pdf(document, ctx.identity, agency_name=ctx.settings.agency_name,
                    signing_time=now)


def fail(job: DocumentJob, error: str) -> DocumentResult:
    # A file refused before it was stored has no key yet (the schema wants a real hash).
    known = {"original": job.original_key} if job.original_key else {}
    return failed_result(dossier_id=job.dossier_id, document_id=job.document_id,
                         source=job.source, error=error, sha256=known)


def record_failure(job: DocumentJob, error: str = INTERNAL_ERROR) -> DocumentSummary:
    """A document refused, or one an executor could not finish (a bug, retries exhausted):
    its failed result.json is written from the client, and the batch goes on. Should even
    that file not be written, the failure is still in the summary: reported, counted in the
    exit code."""
    result = fail(job, error)
    try:
        write_result(Path(job.out_root) / job.result_path, result)
    except OSError:
        log.exception("the failed result of %r cannot be written", job.source)
    return DocumentSummary.of(result, result_path=job.result_path)


def _publish(ctx: Context, job: DocumentJob, result: DocumentResult) -> None:
    for kind, rel in result.artifacts.items():
        publish(ctx.store.local_path(result.sha256[kind]), ctx.out_root / rel)
    write_result(ctx.out_root / job.result_path, result)


def write_result(path: Path, result: DocumentResult) -> None:
    """Atomically write result.json (checked against its schema); a finished result is
    never replaced."""
    if _finished(path):
        return
    write_atomic(path, result.to_json().encode("utf-8"))


def _finished(path: Path) -> bool:
    try:
        return json.loads(path.read_text("utf-8")).get("status") != "failed"
    except FileNotFoundError:
        return False
    except (OSError, ValueError, AttributeError):  # damaged by hand or a dead disk: replace it
        log.warning("%s is unreadable; it is written again", path)
        return False
