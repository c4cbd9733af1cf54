"""Document-level archive metadata (Nghị định 30/2020 Phụ lục VI, Thông tư 05/2025) and the
reuse record (Nghị định 45/2020 Điều 16), derived from a result where the caller gave none.

The caller's `archive` dict always wins key by key; what is derived here is only a default
read from the extracted fields by the rules of the document's own type.
"""
from __future__ import annotations

import re

from pipeline.understand.doctypes import DIGITIZED_FROM_PAPER, load_types

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def document_archive(result: dict, archive: dict | None) -> dict:
    """Archive metadata of one document: the defaults its type's rules derive from the
    fields (schemas/documents), overridden key by key by `archive`."""
    doc_type = load_types().get(result.get("document_type") or "")
    pages = len(result.get("pages") or [])
    derived = doc_type.archive_metadata(result.get("fields") or {}, pages) if doc_type else {
        "PageAmount": pages, "ConfidenceLevel": DIGITIZED_FROM_PAPER}
    merged = {**derived, **{k: v for k, v in (archive or {}).items() if v is not None}}
    if merged.get("IssuedDate") and not _ISO_DATE.match(str(merged["IssuedDate"])):
        merged["IssuedDate"] = None  # StartDate/EndDate compare ISO strings; keep them sortable
    return {k: v for k, v in merged.items() if v is not None}


def code_text(archive: dict) -> str | None:
    """Số ký hiệu as printed: "511/QĐ-UBND", or the number alone."""
    parts = [archive.get("CodeNumber"), archive.get("CodeNotation")]
    return "/".join(str(p) for p in parts if p) or None
