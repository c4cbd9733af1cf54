"""A document a clerk asked to have scanned again (the review screen's "Yêu cầu quét lại"):
the request is a state of the document (storage.claims, state `rescan`: out of the review
queue, shown in the queue's own list and in the API's document metadata), and the new scan,
sent to POST /api/v1/documents/{id}/rescan, is digitized by a job of its own through the
same stage graph and becomes the document's next version (the earlier versions, their
scans and files stay in its history). Recording it clears the request."""
from __future__ import annotations

from pipeline.core.errors import InputError
from pipeline.scan.load import inspect_source
from storage.claims import ClaimStore
from storage.jobs import PENDING, JobDocument, JobRecord
from storage.versions import Version
from workers.archive import Archive
from workers.intake import Upload, safe_name


def admit_rescan(archive: Archive, agency_code: str, current: Version, upload: Upload,
                 job_id: str) -> JobRecord:
    """Check the new scan (InputError naming the problem: nothing is created), store it
    and plan the job that digitizes it as `current`'s document."""
    document_id = current.document_id
    try:
        info = inspect_source(upload.path, archive.settings.limits())
    except InputError as exc:
        raise InputError(f"Tệp “{safe_name(upload.name, set())}”: {exc.message}", exc.code,
                         detail=exc.detail) from None
    if upload.sha256 == current.sha256_original:
        raise InputError("Tệp gửi lên chính là bản quét hiện có của tài liệu; xin gửi bản quét "
                         "mới.", "same_scan")
    db = archive.db
    known = db.jobs.claim_original(agency_code, upload.sha256, document_id)
    if known != document_id:
        raise InputError(f"Bản quét này đã có trong kho, là tài liệu {known}.", "scan_of_another")
    archive.store.put_file(upload.path)
    name = safe_name(f"quet-lai-{upload.sha256[:8]}-{upload.name}", set())
    return db.jobs.create(job_id, agency_code, document_id.rsplit(".", 1)[0], [
        JobDocument(position=1, name=name, sha256=upload.sha256, kind=info.kind,
                    page_count=info.page_count, document_id=document_id, outcome=PENDING)])


def new_scan_version(archive: Archive, current: Version, result: dict,
                     evidence: dict) -> Version:
    """The document's next version from a new scan's result: every field as OCR read it
    afresh; the rescan request is then cleared."""
    claims = ClaimStore(archive.db.engine)
    asked = claims.get(current.document_id)
    reason = "Bản quét lại"
    if asked is not None and asked.state == "rescan":
        reason += f" theo yêu cầu của {asked.actor_name}: {asked.reason}"
    sha256 = result.get("sha256") or {}
    fields = result.get("fields") or {}
    version = archive.db.versions.add(
        document_id=current.document_id, version=current.version + 1,
        document_type=result.get("document_type"), status=result["status"], fields=fields,
        field_sources={k: "ocr" for k in fields},
        field_evidence={k: v for k, v in evidence.items() if k in fields},
        errors=list((result.get("validation") or {}).get("errors") or []),
        sha256_original=sha256.get("original"), sha256_pdfa=sha256.get("pdfa"),
        sha256_signed=sha256.get("signed"), reason=reason, actor="sohoa")
    claims.clear_rescan(current.document_id)
    return version
