"""Verification for anyone: a certified copy's code, or a signed PDF. The report is
pipeline/signing/validation.py's, with an ETSI EN 319 102-1 style verdict per signature
and for the file: VALID (every check passed), INVALID (a signature is broken, revoked or
followed by forbidden changes; or there is none), INDETERMINATE (nothing is broken, but
trust or revocation could not be established)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from api.models import CopyOut, SignatureOut
from pipeline.certification.qr import verification_code
from pipeline.core.settings import Settings
from pipeline.signing.validation import SignatureReport, VerificationReport, verify_pdf

log = logging.getLogger("sohoa.api.verify")


_roots: dict[str, tuple] = {}


def trust_roots_for(settings: Settings) -> tuple:
    """The test identity's CA (if there is one) and SOHOA_TRUST_ROOTS, loaded once."""
    from pipeline.signing.configured import development_ca_paths
    from pipeline.signing.pades import trust_roots

    key = f"{settings.home}|{settings.trust_roots}"
    if key not in _roots:
        paths: list = []
        try:
            paths += development_ca_paths(settings)
        except Exception as exc:  # no test identity here: only the configured roots
            log.warning("test identity CA not used: %s", exc)
        _roots[key] = tuple(trust_roots([*paths, *settings.trust_root_paths()]))
    return _roots[key]


def signature_verdict(s: SignatureReport) -> str:
    if s.ok:
        return "VALID"
    broken = (not s.intact or not s.valid or s.revocation == "revoked"
              or (s.indication or "").startswith("FAILED")
              or s.modification_level == "other")
    return "INVALID" if broken else "INDETERMINATE"


def verdict(report: VerificationReport) -> str:
    if report.ok:
        return "VALID"
    verdicts = [signature_verdict(s) for s in report.signatures]
    return "INVALID" if not verdicts or "INVALID" in verdicts else "INDETERMINATE"


def signatures_out(report: VerificationReport) -> list[SignatureOut]:
    out = []
    for s in report.signatures:
        out.append(SignatureOut(
            field=s.field, kind=s.kind, signer=s.signer, level=s.level,
            signing_time=s.signing_time,
            timestamp=s.timestamp.__dict__ if s.timestamp else None, indication=s.indication,
            intact=s.intact, valid=s.valid, trusted=s.trusted, revocation=s.revocation,
            coverage=s.coverage, modification_level=s.modification_level, chain=s.chain,
            changes=s.changes, problems=s.problems, warnings=s.warnings,
            verdict=signature_verdict(s)))  # type: ignore[arg-type]
    return out


def verify_bytes(data: bytes, settings: Settings, name: str | None = None) -> VerificationReport:
    return verify_pdf(data, trust_roots=trust_roots_for(settings), name=name)


def copy_out(entry, copy_id: str, agency_name: str) -> CopyOut:
    """The register entry as a code alone may see it: numbers and dates, no names."""
    return CopyOut(copy_id=copy_id, code=verification_code(copy_id), number=entry.number,
                   year=entry.year, book=entry.book, certified_on=entry.certified_on.isoformat(),
                   agency=agency_name, copies=entry.copies)


def full_entry(entry) -> dict:
    """The whole register entry (for whoever holds the matching file)."""
    return {"number": entry.number, "year": entry.year, "book": entry.book,
            "certified_on": entry.certified_on.isoformat(), "requester": entry.requester,
            "document_name": entry.document_name, "original_id": entry.original_id,
            "copies": entry.copies, "copy_ids": list(entry.copy_ids),
            "certifier": entry.certifier, "pages": entry.pages, "notes": entry.notes}


def issued_copies(root: Path) -> dict[str, dict]:
    """copy id → {year, number, sha256, file} of every copy `sohoa certify` wrote under
    `root/certified/` (its summaries carry each copy's SHA-256)."""
    found: dict[str, dict] = {}
    for summary in sorted((root / "certified").glob("*/*.json")):
        try:
            data = json.loads(summary.read_text("utf-8"))
            for c in data.get("copies", []):
                found[c["copy_id"]] = {"year": data["year"], "number": data["number"],
                                       "sha256": c["sha256"], "file": c["file"]}
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("unreadable certification summary %s", summary)
    return found
