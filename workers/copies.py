"""Certified copies through the archive service: the same use case as `sohoa certify`
(pipeline/certification/issue.py), its original read from the object store (the
document's current version, checked against its recorded hash), its files written under
the archive's `certified/<year>/` as the command writes them; revocation; the register.

A request's Idempotency-Key is also the register entry's request id, so even a retry that
got past the service's idempotency store cannot take a second number.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.certification.issue import (
    CertifyRequest,
    RegisterEntryLike,
    certify,
    check_request,
    file_stem,
)
from pipeline.certification.original import ArchivedOriginal, original_from_archive
from pipeline.certification.register_entry import RegisterEntry, vn_date
from pipeline.core.errors import CertificationError
from pipeline.core.naming import VIETNAM, vietnam_now
from storage.archive import agency_of
from storage.cert_register import CertRegister
from storage.index import Hit
from storage.revocations import Revocation
from storage.versions import Version
from workers.archive import Archive
from workers.webhooks import notify

log = logging.getLogger("sohoa.copies")


@dataclass
class _KeyedRegister:
    """The register as the use case sees it, every allocation under one request id."""

    register: CertRegister
    request_id: str | None

    def allocate(self, **entry) -> RegisterEntryLike:
        return self.register.allocate(**entry, request_id=self.request_id)

    def add_note(self, year: int, number: int, note: str,
                 agency_code: str | None = None) -> object:
        return self.register.add_note(year, number, note, agency_code)


def indexed_name(hit: Hit) -> str:
    """The name the index gives a document: type, number, subject (as `sohoa certify`)."""
    archive = hit.archive or {}
    name = archive.get("TypeName") or hit.document_type or hit.document_id
    code = "/".join(str(p) for p in (archive.get("CodeNumber"), archive.get("CodeNotation")) if p)
    subject = archive.get("Subject")
    return name + (f" số {code}" if code else "") + (f" ({subject})" if subject else "")


def issue(archive: Archive, hit: Hit, version: Version, request: CertifyRequest,
          request_id: str | None, actor: str) -> dict:
    """Certify the document's current version; the summary `sohoa certify` prints."""
    if not version.sha256_pdfa:
        raise CertificationError(f"Tài liệu {hit.document_id} chưa có tệp PDF/A để chứng thực.")
    settings, store = archive.settings, archive.store
    request = CertifyRequest(**{**request.__dict__, "source": hit.document_id,
                                "out": archive.root})
    check_request(request, settings)
    held = ArchivedOriginal(
        document_id=hit.document_id, indexed_name=indexed_name(hit),
        pdfa=store.get(version.sha256_pdfa), pdfa_name=f"{hit.document_id}.unsigned.pdf",
        pdfa_sha256=version.sha256_pdfa,
        signed=store.get(version.sha256_signed) if version.sha256_signed else None,
        out_root=archive.root)
    agency = agency_name(archive, agency_of(hit.document_id), warn=True)
    original = original_from_archive(held, agency, request.document_name)
    summary = certify(request, original, _KeyedRegister(archive.db.register, request_id),
                      archive.root, settings, agency_name=agency)
    notify(archive, agency_of(hit.document_id), "copy.issued", {
        "document_id": hit.document_id, "number": summary["number"], "year": summary["year"],
        "copies": [{"copy_id": c["copy_id"], "url": f"/api/v1/copies/{c['copy_id']}"}
                   for c in summary["copies"]], "actor": actor})
    return summary


def summary_of(archive: Archive, entry: RegisterEntry) -> dict | None:
    """The summary the use case wrote for an entry (None if none was: a refused request)."""
    folder = archive.root / "certified" / str(entry.year)
    for stem in dict.fromkeys((file_stem(entry), f"{entry.number:06d}")):  # new, then before 0007
        try:
            summary = json.loads((folder / f"{stem}.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if summary.get("agency", entry.agency_code) == entry.agency_code:
            return summary
    return None


def copy_file(archive: Archive, entry: RegisterEntry, copy_id: str) -> Path | None:
    summary = summary_of(archive, entry) or {}
    for c in summary.get("copies", []):
        if c.get("copy_id") == copy_id:
            path = (archive.root / c["file"]).resolve()
            if path.is_relative_to(archive.root) and path.is_file():
                return path
    return None


def revoke(archive: Archive, entry: RegisterEntry, copy_id: str, reason: str,
           actor: str) -> Revocation:
    """Revoke one copy: its own permanent row, and a note in the register entry
    (AlreadyRevoked if it was)."""
    agency = agency_of(entry.original_id)
    record = archive.db.revocations.revoke(copy_id, agency, reason, actor)
    archive.db.register.add_note(entry.year, entry.number, f"Thu hồi bản sao {copy_id} ngày "
                                 f"{vn_date(vietnam_now().date())}: {record.reason}",
                                 entry.agency_code)
    notify(archive, agency, "copy.revoked", {
        "copy_id": copy_id, "number": entry.number, "year": entry.year,
        "revoked_at": record.revoked_at.isoformat(), "url": f"/api/v1/copies/{copy_id}"})
    return record


def register_pdf(archive: Archive, year: int, month: int | None, agency_code: str) -> bytes:
    from pipeline.certification.register_pdf import register_pdf as draw

    return draw(archive.db.register.entries(year, month, within=agency_code),
                agency_name(archive, agency_code), year, month)


def agency_name(archive: Archive, agency_code: str, *, warn: bool = False) -> str:
    """The name a tenant agency certifies under (its display name, `sohoa token create
    --agency-name` or `sohoa agency rename`); the service's SOHOA_AGENCY_NAME when it has
    none but its code."""
    name = archive.db.tokens.agency_name(agency_code) if agency_code else None
    if name and name != agency_code:
        return name
    if agency_code and warn:
        log.warning("agency %s has no display name; certifying under %s", agency_code,
                    archive.settings.agency_name)
    return archive.settings.agency_name


def revoked_on(record: Revocation | None) -> date | None:
    return record.revoked_at.astimezone(VIETNAM).date() if record else None
