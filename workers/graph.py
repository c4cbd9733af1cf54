"""The one stage graph, shared by both executors:

    plan (client) ──► process_page × N (fan out) ──► assemble (PDF/A, sign, store, publish)

Messages between the steps are small dicts of object keys, never image bytes. Each step
first looks for its own earlier output under a name derived from its inputs, so running
it again (a retry, a re-run after a crash) redoes nothing.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from pipeline.core.errors import DocumentError
from pipeline.core.model import PageResult
from pipeline.core.naming import vietnam_now
from pipeline.core.result import document_result, failed_result
from pipeline.core.settings import Settings
from storage.base import ObjectStore
from storage.objects import LocalObjectStore, publish
from workers.memory import release_memory

# The imaging and signing stacks (OpenCV, Tesseract glue, pikepdf, pyHanko) are imported
# inside the steps that use them: a process that only plans batches (the Celery client,
# the API) never loads them.

log = logging.getLogger("sohoa.graph")
STAGE_VERSION = "4"  # bump when a stage's output changes, so old results are not reused
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
            from storage.s3 import S3ObjectStore

            # The cache sits under OUT so published files can be hard links into it.
            return S3ObjectStore.from_settings(self.settings, self.out_root / ".sohoa" / "cache")
        return LocalObjectStore(self.out_root / ".sohoa" / "objects")

    @cached_property
    def identity(self):
        return load_identity(self.settings)

    @cached_property
    def options_tag(self) -> str:
        from pipeline.pdf.pdfa import JPEG_QUALITY

        return f"v{STAGE_VERSION}-{self.settings.ocr_language}-q{JPEG_QUALITY}"

    def page_name(self, original_key: str, index: int) -> str:
        """Where a page's record is stored: renamed whenever the stages' options change."""
        return f"pages/{original_key}/{index}.{self.options_tag}.json"


def load_identity(settings: Settings):
    """The configured PKCS#12 identity, else the test identity (created on first use)."""
    from pipeline.signing.identity import load_pkcs12, load_test_identity

    if settings.signing_p12:
        return load_pkcs12(settings.signing_p12, settings.passphrase())
    return load_test_identity(settings.home, settings.agency_name)


def check_identity(settings: Settings) -> tuple[str, bool]:
    """(subject, is_test) of the identity load_identity would load, without loading pyHanko
    (the batch client checks the key before work starts; workers sign)."""
    from pipeline.signing.identity import describe_pkcs12, stored_test_identity

    if settings.signing_p12:
        return describe_pkcs12(settings.signing_p12, settings.passphrase())
    return describe_pkcs12(*stored_test_identity(settings.home, settings.agency_name))


_contexts: dict[str, Context] = {}
_contexts_lock = threading.Lock()  # the local executor's threads share them
_settings: Settings | None = None
# See pipeline.scan.page.read_page. The local executor shares one among its threads so their
# peaks never coincide.
_decode_permit: AbstractContextManager = nullcontext()


def configure(settings: Settings, decode_permit: AbstractContextManager | None = None) -> None:
    """Set this process's settings and decode permit; default: environment, no permit."""
    global _settings, _decode_permit
    _settings = settings
    _decode_permit = decode_permit or nullcontext()
    _contexts.clear()


def context_for(out_root: str, settings: Settings | None = None) -> Context:
    """One Context per output root per process (workers keep theirs between tasks)."""
    with _contexts_lock:
        if out_root not in _contexts:
            global _settings
            _settings = settings or _settings or Settings()
            _contexts[out_root] = Context(_settings, Path(out_root))
        return _contexts[out_root]


def process_page(job: dict, index: int) -> dict:
    """Load, orient, deskew, OCR and encode one page; returns {"ok", "name"|"error"}."""
    job_ = DocumentJob(**job)
    ctx = context_for(job_.out_root)
    name = ctx.page_name(job_.original_key, index)
    if ctx.store.get_named(name) is not None:
        return {"ok": True, "name": name}
    try:
        page = _page(ctx, job_, index)
    except DocumentError as exc:
        return {"ok": False, "error": exc.message, "code": exc.code}
    finally:
        release_memory()
    ctx.store.put_named(name, json.dumps(page).encode())
    return {"ok": True, "name": name}


def _page(ctx: Context, job: DocumentJob, index: int) -> dict:
    from pipeline.scan.page import read_page

    s = ctx.settings
    record, jpeg = read_page(ctx.store.local_path(job.original_key), job.kind, index,
                             s.limits(), s.ocr(), _decode_permit)
    return {"page": record.to_dict(), "jpeg": ctx.store.put(jpeg)}


def assemble(outcomes: list[dict], job: dict) -> dict:
    """Build the PDF/A, sign it, store both, publish them and write result.json."""
    job_ = DocumentJob(**job)
    ctx = context_for(job_.out_root)
    name = f"documents/{job_.document_id}/{job_.original_key}.{ctx.options_tag}.json"
    stored = ctx.store.get_named(name)
    if stored is not None:
        result = json.loads(stored)
    else:
        result = _assemble(ctx, job_, outcomes)
        if result["status"] != "failed":  # failures are retried on the next run
            ctx.store.put_named(name, json.dumps(result, ensure_ascii=False).encode())
    _publish(ctx, job_, result)
    return summary(result)


def _assemble(ctx: Context, job: DocumentJob, outcomes: list[dict]) -> dict:
    from pipeline.pdf import pdfa
    from pipeline.signing.sign import SigningError, sign_pdf
    from pipeline.understand.doctypes import load_types
    from pipeline.understand.document import understand

    failed = next((o for o in outcomes if not o["ok"]), None)
    if failed:
        return fail(job, failed["error"])
    try:
        stored = [json.loads(ctx.store.get_named(o["name"])) for o in outcomes]
        pages = [PageResult.from_dict(s["page"]) for s in stored]
        known = understand(pages, load_types(ctx.settings.extra_schema_dirs()))
        now = vietnam_now()
        document = pdfa.build_pdfa(
            [pdfa.PdfPage(ctx.store.get(s["jpeg"]), p.width, p.height, p.dpi, p.words, p.skew_deg)
             for s, p in zip(stored, pages)],
            pdfa.DocumentInfo(title=job.document_id, created=now, archive=known.archive,
                              subject=f"Số hóa từ bản giấy: {Path(job.source).name}"),
        )
        signed = sign_pdf(document, ctx.identity, agency_name=ctx.settings.agency_name,
                          signing_time=now)
    except DocumentError as exc:
        return fail(job, exc.message)
    except SigningError as exc:
        log.error("signing %s failed: %s", job.source, exc)
        return fail(job, exc.message)
    dossier_dir = Path(job.result_path).parent
    return document_result(
        dossier_id=job.dossier_id, document_id=job.document_id, source=job.source, pages=pages,
        document_type=known.document_type, fields=known.fields, errors=known.errors,
        sha256={"original": job.original_key, "pdfa": ctx.store.put(document),
                "signed": ctx.store.put(signed)},
        artifacts={"pdfa": str(dossier_dir / f"{job.document_id}.unsigned.pdf"),
                   "signed": str(dossier_dir / f"{job.document_id}.pdf")},
    )


def fail(job: DocumentJob, error: str) -> dict:
    return failed_result(dossier_id=job.dossier_id, document_id=job.document_id,
                         source=job.source, error=error, sha256={"original": job.original_key})


def _publish(ctx: Context, job: DocumentJob, result: dict) -> None:
    for kind, rel in result["artifacts"].items():
        publish(ctx.store.local_path(result["sha256"][kind]), ctx.out_root / rel)
    write_result(ctx.out_root / job.result_path, result)


def write_result(path: Path, result: dict) -> None:
    """Atomically write result.json; a finished result is never replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and json.loads(path.read_text("utf-8")).get("status") != "failed":
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    os.replace(tmp, path)


def summary(result: dict) -> dict:
    """What the client needs for its progress bar and report."""
    return {"source": result["source"], "document_id": result["document_id"],
            "status": result["status"], "error": result.get("error"),
            "pages": len(result["pages"]),
            "review": [e["message"] for e in result["validation"]["errors"]]}
