"""Records of storage/ turned into the API's models."""
from __future__ import annotations

from api.models import (
    DocumentOut,
    FieldOut,
    FieldsOut,
    FileLink,
    JobDocumentOut,
    JobOut,
    RescanOut,
    VersionOut,
)
from storage.claims import Claim
from storage.index import Hit
from storage.jobs import JobRecord
from storage.versions import Version

API = "/api/v1"
FILE_KINDS = ("original", "pdfa", "signed")


def job_out(job: JobRecord) -> JobOut:
    return JobOut(
        id=job.id, dossier_id=job.dossier_id, state=job.state, stage=job.stage,  # type: ignore[arg-type]
        pages_done=job.pages_done, pages_total=job.pages_total,
        cancel_requested=job.cancel_requested, error=job.error, created_at=job.created_at,
        started_at=job.started_at, finished_at=job.finished_at, url=f"{API}/jobs/{job.id}",
        documents=[JobDocumentOut(position=d.position, name=d.name, sha256=d.sha256,
                                  pages=d.page_count, document_id=d.document_id,
                                  outcome=d.outcome, error=d.error) for d in job.documents])


def file_links(version: Version) -> list[FileLink]:
    keys = {"original": version.sha256_original, "pdfa": version.sha256_pdfa,
            "signed": version.sha256_signed}
    return [FileLink(kind=kind, sha256=keys[kind],  # type: ignore[arg-type]
                     url=f"{API}/documents/{version.document_id}/files/{kind}"
                         f"?version={version.version}")
            for kind in FILE_KINDS if keys[kind]]


def document_out(hit: Hit, version: Version, claim: Claim | None = None) -> DocumentOut:
    return DocumentOut(
        id=hit.document_id, dossier_id=hit.dossier_id, status=version.status,
        document_type=version.document_type, version=version.version, etag=version.etag,
        pages=int(hit.archive.get("PageAmount") or 0), owners=hit.owners, archive=hit.archive,
        review=[e["message"] for e in version.errors], files=file_links(version),
        updated_at=version.created_at,
        rescan_requested=RescanOut(reason=claim.reason or "", requested_by=claim.actor,
                                   requested_at=claim.since)
        if claim is not None and claim.state == "rescan" else None)


def fields_out(version: Version, doc_type) -> FieldsOut:
    order = [f.key for f in doc_type.fields] if doc_type else []
    keys = sorted(version.fields, key=lambda k: (order.index(k) if k in order else len(order), k))
    by_field: dict[str, list[str]] = {}
    for error in version.errors:
        by_field.setdefault(error.get("field", ""), []).append(error["message"])
    return FieldsOut(
        document_id=version.document_id, version=version.version, etag=version.etag,
        status=version.status,
        fields=[FieldOut(key=k, name=doc_type.display_name(k) if doc_type else k,
                         value=version.fields[k],
                         source=version.field_sources.get(k, "ocr"),
                         **_evidence(version.field_evidence.get(k)),
                         messages=by_field.get(k, [])) for k in keys],
        messages=[m for f, ms in by_field.items() if f not in version.fields for m in ms])


def _evidence(seen: dict | None) -> dict:
    seen = seen or {}
    return {"confidence": seen.get("confidence"), "page": seen.get("page"),
            "box": seen.get("box")}


def version_out(version: Version, previous: Version | None) -> VersionOut:
    before = previous.fields if previous else {}
    changed = sorted(k for k in set(before) | set(version.fields)
                     if before.get(k) != version.fields.get(k)) if previous else []
    return VersionOut(version=version.version, status=version.status, reason=version.reason,
                      actor=version.actor, created_at=version.created_at, changed=changed,
                      files=file_links(version))


def hit_summary(hit: Hit) -> dict:
    return {"id": hit.document_id, "dossier_id": hit.dossier_id,
            "document_type": hit.document_type, "status": hit.status, "fields": hit.fields,
            "owners": hit.owners, "archive": hit.archive, "snippet": hit.snippet,
            "url": f"{API}/documents/{hit.document_id}"}
