"""A clerk's correction of a document's fields: the next version, validated again by the
type's rules, with a new PDF/A (its archive metadata follows the fields) and a new signed
copy. The previous version and its files stay as they were.

Doubts the OCR raised about a field (low confidence, a value not read) go once a clerk
has entered that field; the type's rules are checked afresh on the corrected values.
"""
from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.core.model import PageResult
from storage.archive import agency_of
from storage.index import Hit
from storage.objects import publish
from storage.versions import Version
from workers import graph
from workers.archive import Archive
from workers.indexing import index_result
from workers.webhooks import notify


class UnknownField(InputError):
    default_code = "unknown_field"


def _doc_type(archive: Archive, current: Version):
    doc_type = archive.types.get(current.document_type or "")
    if doc_type is None:
        raise InputError("Tài liệu chưa xác định được loại giấy tờ nên chưa sửa được các "
                         "trường.", "no_document_type")
    return doc_type


def corrected_fields(doc_type, current: Version, changes: dict) -> tuple[dict, dict]:
    """(fields, sources) after `changes`; a value None or "" removes the field."""
    known = set(doc_type.schema.get("properties", {}))
    unknown = sorted(set(changes) - known)
    if unknown:
        raise UnknownField(f"Loại giấy tờ “{doc_type.name}” không có trường "
                           f"{', '.join(unknown)}.", detail=f"unknown fields {unknown}")
    fields, sources = dict(current.fields), dict(current.field_sources)
    for key, value in changes.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            fields.pop(key, None)
        else:
            fields[key] = value.strip() if isinstance(value, str) else value
        sources[key] = "clerk"
    return fields, sources


def corrected_evidence(current: Version, fields: dict, sources: dict) -> dict:
    """Where each field was read stays where it was on the paper; a value a clerk typed has
    no OCR confidence."""
    out = {}
    for key in fields:
        seen = dict(current.field_evidence.get(key) or {})
        if sources.get(key) == "clerk":
            seen["confidence"] = None
        if seen:
            out[key] = seen
    return out


def revalidate(doc_type, current: Version, fields: dict, sources: dict) -> list[dict]:
    """The type's rules on the new values, plus the OCR's doubts about fields no clerk
    has entered yet."""
    from pipeline.understand.validate import validate

    by_rules = validate(doc_type, current.fields)
    doubts = [e for e in current.errors if e not in by_rules
              and sources.get(e.get("field")) != "clerk"]
    return validate(doc_type, fields) + doubts


def _files(archive: Archive, hit: Hit, current: Version, doc_type, fields: dict) -> tuple[bytes, bytes]:
    """New PDF/A and signed copy from the stored pages; if the pages were stored by an
    older version of the stages, the current PDF/A is signed again as it is."""
    from pipeline.core.naming import vietnam_now
    from pipeline.signing.sign import sign_pdf

    ctx = archive.context
    count = len(archive.db.index.page_texts(hit.document_id))
    records = [ctx.store.get_named(ctx.page_name(current.sha256_original, i))
               for i in range(count)] if current.sha256_original else []
    if records and all(r is not None for r in records):
        stored = [json.loads(r) for r in records]  # type: ignore[arg-type]
        pages = [PageResult.from_dict(s["page"]) for s in stored]
        return graph.build_signed(ctx, stored, pages, hit.document_id,
                                  doc_type.archive_metadata(fields, len(pages)),
                                  hit.source.rsplit("/", 1)[-1])
    pdfa = ctx.store.get(current.sha256_pdfa or "")
    return pdfa, sign_pdf(pdfa, ctx.identity, agency_name=archive.settings.agency_name,
                          signing_time=vietnam_now())


def correct(archive: Archive, hit: Hit, current: Version, changes: dict, reason: str,
            actor: str) -> Version:
    """Make and store the next version (VersionConflict if another landed first)."""
    doc_type = _doc_type(archive, current)
    fields, sources = corrected_fields(doc_type, current, changes)
    errors = revalidate(doc_type, current, fields, sources)
    pdfa, signed = _files(archive, hit, current, doc_type, fields)
    store = archive.store
    version = archive.db.versions.add(
        document_id=current.document_id, version=current.version + 1,
        document_type=current.document_type, status="needs_review" if errors else "done",
        fields=fields, field_sources=sources, errors=errors,
        field_evidence=corrected_evidence(current, fields, sources),
        sha256_original=current.sha256_original, sha256_pdfa=store.put(pdfa),
        sha256_signed=store.put(signed), reason=reason, actor=actor)
    _reindex(archive, hit, version)
    if version.status == "needs_review":
        notify(archive, agency_of(hit.document_id), "document.needs_review", {
            "document_id": hit.document_id, "version": version.version,
            "url": f"/api/v1/documents/{hit.document_id}"})
    return version


def _publish(archive: Archive, hit: Hit, version: Version) -> dict[str, str]:
    """The version's files beside the first ones (`<id>.v<n>.pdf`), as `sohoa process`
    publishes files: what `sohoa certify` and `sohoa find` read next to the index."""
    first = hit.artifacts.get("signed") or hit.artifacts.get("pdfa")
    folder = Path(first).parent if first else Path(hit.dossier_id)
    stem = f"{hit.document_id}.v{version.version}"
    artifacts = {"pdfa": str(folder / f"{stem}.unsigned.pdf"), "signed": str(folder / f"{stem}.pdf")}
    for kind, key in (("pdfa", version.sha256_pdfa), ("signed", version.sha256_signed)):
        publish(archive.store.local_path(key or ""), archive.root / artifacts[kind])
    return artifacts


def _reindex(archive: Archive, hit: Hit, version: Version) -> None:
    """The index follows the current version: search finds the corrected values."""
    artifacts = _publish(archive, hit, version)
    texts = archive.db.index.page_texts(hit.document_id)
    result = {
        "document_id": hit.document_id, "dossier_id": hit.dossier_id, "source": hit.source,
        "status": version.status, "document_type": version.document_type,
        "fields": version.fields,
        "validation": {"valid": not version.errors, "errors": version.errors},
        "pages": [{}] * len(texts), "text": "\f".join(texts),
        "sha256": {"original": version.sha256_original, "pdfa": version.sha256_pdfa,
                   "signed": version.sha256_signed},
        "artifacts": artifacts,
    }
    index_result(archive.db.index, archive.types, result, archive.root)
