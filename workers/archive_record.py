"""Recording a finished document into the archive: the index and its first version, from
the result the stage graph stored in the object store (never from a file beside a worker
or the client)."""
from __future__ import annotations

import json
import logging

from pipeline.core.errors import StorageError
from pipeline.core.result import DocumentResult
from storage.index import Hit
from storage.versions import Version, VersionConflict
from workers import graph
from workers.archive import Archive
from workers.graph import DocumentJob
from workers.indexing import index_result

log = logging.getLogger("sohoa.archive")


def stored_result(archive: Archive, job: DocumentJob) -> DocumentResult:
    data = archive.store.get_named(graph.result_name(archive.context, job.document_id, job.original_key))
    if data is None:
        raise StorageError(detail=f"no stored result for {job.document_id}")
    return DocumentResult.from_json(data)


def record_document(archive: Archive, job: DocumentJob) -> DocumentResult:
    """Index a finished document and give it version 1 (once); a new scan of a document
    that has versions (a rescan) becomes its next version."""
    result = stored_result(archive, job)
    index_result(archive.db.index, archive.types, result.to_json_dict(), archive.root)
    current = archive.db.versions.current(result.document_id)
    if current is None:
        first_version(archive, result.to_json_dict())
    elif result.sha256.get("original") != current.sha256_original:  # a new scan of it
        from workers.rescan import new_scan_version

        data = result.to_json_dict()
        try:
            new_scan_version(archive, current, data, stored_evidence(
                archive, result.document_id, result.sha256.get("original")))
        except VersionConflict:  # recorded again after a restart: it is there already
            log.info("the new scan of %s was recorded before", result.document_id)
    return result


def stored_evidence(archive: Archive, document_id: str, original_key: str | None) -> dict:
    """Each field's OCR confidence, page and box, as assemble stored them ({} if it did not:
    a document digitized before they were kept)."""
    if not original_key:
        return {}
    data = archive.store.get_named(graph.evidence_name(archive.context, document_id, original_key))
    try:
        return json.loads(data) if data else {}
    except ValueError:
        log.warning("unreadable field evidence of %s", document_id)
        return {}


def first_version(archive: Archive, result: dict) -> Version:
    """Version 1: the document as digitized, every field from OCR."""
    sha256 = result.get("sha256") or {}
    fields = result.get("fields") or {}
    evidence = stored_evidence(archive, result["document_id"], sha256.get("original"))
    return archive.db.versions.add(
        field_evidence={k: v for k, v in evidence.items() if k in fields},
        document_id=result["document_id"], version=1,
        document_type=result.get("document_type"), status=result["status"], fields=fields,
        field_sources={k: "ocr" for k in fields},
        errors=list((result.get("validation") or {}).get("errors") or []),
        sha256_original=sha256.get("original"), sha256_pdfa=sha256.get("pdfa"),
        sha256_signed=sha256.get("signed"), reason=None, actor="sohoa")


def current_version(archive: Archive, hit: Hit) -> Version:
    """The document's current version; a document indexed by `sohoa process` (no version
    yet) gets version 1 from its stored result, else from what the index holds."""
    found = archive.db.versions.current(hit.document_id)
    if found is not None:
        return found
    original = hit.sha256.get("original")
    data = archive.store.get_named(graph.result_name(archive.context, hit.document_id, original)) \
        if original else None
    if data is not None:
        result = DocumentResult.from_json(data).to_json_dict()
    else:
        result = {"document_id": hit.document_id, "document_type": hit.document_type,
                  "status": hit.status, "fields": hit.fields, "sha256": hit.sha256,
                  "validation": {"errors": _rule_errors(archive, hit)}}
    try:
        return first_version(archive, result)
    except VersionConflict:  # another request adopted it first
        return archive.db.versions.current(hit.document_id)  # type: ignore[return-value]


def _rule_errors(archive: Archive, hit: Hit) -> list[dict]:
    from pipeline.understand.validate import validate

    doc_type = archive.types.get(hit.document_type or "")
    return validate(doc_type, hit.fields) if doc_type and not hit.valid else []
