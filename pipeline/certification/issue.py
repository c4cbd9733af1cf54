"""Certified electronic copies end to end (`sohoa certify`; Nghị định 23/2015 as amended,
Thông tư 01/2020/TT-BTP): given the original and the register, take one number for the
request, make each copy (statement.py), have the certifier then the agency sign it
(PAdES, pipeline.signing), verify it, and only then hand it out.

Files, under the output folder (numbers restart every year, so the year is a folder; each
certifying agency numbers its own register, so the agency code comes first):
  certified/<year>/<agency>-<number, 6 digits>-<copy id>.pdf   one per copy
  certified/<year>/<agency>-<number, 6 digits>.json            the request's summary
(an original naming no agency, a PDF/A file, is numbered in the service's own register:
no agency part). The statement and the agency's signature stamp name `agency_name` (the
certifying tenant's name in the archive service), default SOHOA_AGENCY_NAME.

The caller finds the original (original.py) and opens the register (storage): this module
imports no storage. Identities come from the settings (pipeline.signing.configured); real
and test identities are never mixed. PAdES level: SOHOA_SIGNING_LEVEL (B-B default; B-T and
up need SOHOA_TSA_URL), lowest accepted fallback SOHOA_SIGNING_MIN_LEVEL (default: none).
Passphrases stay in memory.
"""
from __future__ import annotations

import hashlib
import json
import re
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from pipeline.certification.original import Original
from pipeline.certification.qr import verify_url
from pipeline.certification.statement import (
    AGENCY_FIELD,
    CERTIFIER_FIELD,
    CertificationStatement,
    book_label,
    fee,
    make_certified_copy,
    signature_fields,
)
from pipeline.core.errors import CertificationError, ConfigurationError, SigningError, SohoaError
from pipeline.core.files import write_atomic
from pipeline.core.naming import VIETNAM, vietnam_now
from pipeline.core.settings import Settings
from pipeline.signing.configured import agency_identity, certifier_identity, development_ca_paths
from pipeline.signing.pades import (
    PadesLevel,
    PkiServices,
    SigningProfile,
    check_signer_certificate,
    trust_roots,
)
from pipeline.signing.sign import SignatureBox, sign_document
from pipeline.signing.validation import verify_pdf

__all__ = ["CertifyRequest", "Register", "RegisterEntryLike", "certify", "check_request"]
REASON = "Chứng thực bản sao điện tử từ bản chính"
_BOOK = re.compile(r"^\d{2,3}/\d{4}$")


@dataclass(frozen=True)
class CertifyRequest:
    source: str  # a document id in the index, or the path of a PDF/A file
    requester: str
    certifier_name: str
    certifier_title: str
    copies: int = 1
    book: str | None = None  # "01/2026"; default "01/<year>"
    out: Path | None = None  # output folder (its index); default the document's own
    document_name: str | None = None  # default from the index or the file
    notes: str = ""


class RegisterEntryLike(Protocol):
    year: int
    number: int
    book: str
    certified_on: date
    requester: str
    certifier: str
    fee: int
    copy_ids: tuple[str, ...]
    agency_code: str  # whose register numbers it: numbers are per agency and year


class Register(Protocol):
    """The certification register (storage.cert_register.CertRegister)."""

    def allocate(self, *, original_id: str, requester: str, document_name: str, copies: int,
                 certifier: str, pages: int, notes: str = "",
                 book: str | None = None) -> RegisterEntryLike: ...

    def add_note(self, year: int, number: int, note: str,
                 agency_code: str | None = None) -> object: ...


# -------------------------------------------------------------------- signing set-up

def _profile(settings: Settings, roots: tuple) -> SigningProfile:
    tsa = settings.tsa_url
    level = PadesLevel(settings.signing_level)
    lowest = PadesLevel(settings.signing_min_level) if settings.signing_min_level else None
    if level.needs_tsa and not tsa:
        raise ConfigurationError(f"Mức PAdES {level.value} cần máy chủ dấu thời gian: đặt "
                                 "SOHOA_TSA_URL.")
    try:
        return SigningProfile(level=level, min_level=lowest,
                              services=PkiServices(tsa_url=tsa, trust_roots=roots))
    except ValueError:
        raise ConfigurationError("SOHOA_SIGNING_MIN_LEVEL không được cao hơn "
                                 "SOHOA_SIGNING_LEVEL.") from None


def _sign_and_verify(unsigned: bytes, copy_pages: int, st: CertificationStatement,
                     certifier, agency, profile: SigningProfile, roots: tuple):
    """Certifier first, then the agency, into the copy's reserved fields: (signed copy,
    lowest PAdES level reached, why it fell back or None), or a refusal if it does not
    verify."""
    boxes = [SignatureBox(f.name, f.page_index, f.rect) for f in signature_fields(copy_pages)]
    when = vietnam_now()
    lines = [f"Ký bởi: {st.certifier_name}", st.certifier_title,
             f"Thời gian ký: {when.isoformat(timespec='seconds')}"]
    first = sign_document(unsigned, certifier, signing_time=when, profile=profile,
                          field=boxes[0], lines=lines, reason=REASON)
    second = sign_document(first.pdf, agency, agency_name=st.agency_name, profile=profile,
                           signing_time=datetime.now(VIETNAM), field=boxes[1], reason=REASON)
    level = min(first.level, second.level, key=lambda lv: lv.rank)
    # below B-LT the file carries no revocation data: check it now, at issuance
    report = verify_pdf(second.pdf, trust_roots=roots, online=not level.embeds_revinfo,
                        name=st.copy_id)
    fields = [s.field for s in report.signatures if s.kind == "signature"]
    if not report.ok or not report.pdfa.passed or fields != [CERTIFIER_FIELD, AGENCY_FIELD]:
        why = [*report.problems, *(p for s in report.signatures for p in s.problems)]
        raise CertificationError(f"Bản sao {st.verification_code} không qua kiểm tra chữ ký số "
                                 f"nên không được cấp: "
                                 f"{' '.join(dict.fromkeys(why)) or 'thiếu chữ ký.'}")
    fell_back = " ".join(dict.fromkeys(filter(None, (first.fallback_reason,
                                                      second.fallback_reason))))
    return second.pdf, level.value, fell_back or None


# ------------------------------------------------------------------------------ entry

def check_request(request: CertifyRequest, settings: Settings) -> None:
    """Mistakes in the request or the settings, before anything is looked up."""
    if request.book is not None and not _BOOK.match(request.book):
        raise ConfigurationError(f"Quyển số {request.book!r} không hợp lệ (dạng 01/2026).")
    try:
        verify_url(settings.public_base_url, "0" * 12)
    except ValueError:
        raise ConfigurationError("SOHOA_PUBLIC_BASE_URL phải là địa chỉ http(s).") from None
    if request.out is None and (not settings.database_url or Path(request.source).is_file()):
        raise ConfigurationError("Cần --out THƯ_MỤC_KẾT_QUẢ.")


def _signers(settings: Settings, stack: ExitStack):
    """(certifier, agency, profile, trust roots), checked before a number is taken."""
    try:
        certifier = stack.enter_context(certifier_identity(settings))
        agency = stack.enter_context(agency_identity(settings))
        if certifier.is_test != agency.is_test:
            raise ConfigurationError("Chứng thư số của người chứng thực và của cơ quan phải "
                                     "cùng là thật hoặc cùng là thử nghiệm.")
        roots = trust_roots([*development_ca_paths(settings), *settings.trust_root_paths()])
        for identity in (certifier, agency):
            check_signer_certificate(identity.certificate, datetime.now(VIETNAM))
    except SigningError as exc:  # IdentityError too: wrong passphrase, missing file...
        raise ConfigurationError(exc.message, exc.code, detail=exc.detail) from None
    except OSError as exc:  # a passphrase file
        raise ConfigurationError(f"Không đọc được tệp {exc.filename}.") from None
    return certifier, agency, _profile(settings, roots), roots


def certify(request: CertifyRequest, original: Original, register: Register, out: Path,
            settings: Settings, agency_name: str | None = None) -> dict:
    """Make, sign, verify and write the request's copies of `original` into `out`, under
    one number of `register`; returns the summary (also written as JSON). `agency_name`:
    the certifying agency the lời chứng and the agency's stamp name (default
    settings.agency_name). Raises a SohoaError (one Vietnamese sentence)."""
    with ExitStack() as stack:
        certifier, agency, profile, roots = _signers(settings, stack)
        entry = register.allocate(
            original_id=original.original_id, requester=request.requester,
            document_name=original.document_name, copies=request.copies,
            certifier=f"{request.certifier_name}, {request.certifier_title}",
            pages=original.pages, notes=request.notes, book=request.book)
        try:
            copies = []
            for copy_id in entry.copy_ids:
                st = CertificationStatement(
                    number=entry.number, book=entry.book, date=entry.certified_on,
                    certifier_name=request.certifier_name,
                    certifier_title=request.certifier_title,
                    agency_name=agency_name or settings.agency_name,
                    copy_id=copy_id, public_base_url=settings.public_base_url,
                    document_name=original.document_name, original_id=original.original_id,
                    conversion=original.conversion)
                unsigned = make_certified_copy(original.pdf, st)
                copies.append((st, *_sign_and_verify(unsigned, original.pages + 1, st,
                                                     certifier, agency, profile, roots)))
            return _write(out, entry, original, copies, test=agency.is_test)
        except Exception as exc:  # the number stays taken: the register says why
            message = _why(exc)
            register.add_note(entry.year, entry.number,
                              f"Không cấp được bản sao: {message or 'lỗi hệ thống'}",
                              entry.agency_code)
            if message is None:
                raise
            raise CertificationError(f"Số chứng thực {entry.number} đã vào sổ (có ghi chú) nhưng "
                                     f"không cấp được bản sao: {message}") from None


def _why(exc: Exception) -> str | None:
    """The Vietnamese reason a copy was not handed out; None for a bug."""
    if isinstance(exc, OSError):
        return f"không ghi được tệp ({exc.strerror or exc})"
    if isinstance(exc, SohoaError) and not isinstance(exc, ConfigurationError):
        return exc.message
    return None


def file_stem(entry) -> str:
    """`<agency>-<number, 6 digits>` (numbers are per agency), or the number alone for the
    service's own register."""
    return f"{entry.agency_code}-{entry.number:06d}" if entry.agency_code else \
        f"{entry.number:06d}"


def _write(out: Path, entry: RegisterEntryLike, original: Original, copies: list,
           test: bool) -> dict:
    folder, stem = Path("certified") / str(entry.year), file_stem(entry)
    listed = []
    for st, signed, level, fell_back in copies:
        rel = folder / f"{stem}-{st.copy_id}.pdf"
        write_atomic(out / rel, signed)
        listed.append({"copy_id": st.copy_id, "code": st.verification_code,
                       "verify_url": st.verify_url, "file": str(rel), "pades_level": level,
                       "pades_fallback": fell_back, "sha256": hashlib.sha256(signed).hexdigest()})
    summary = {
        "agency": entry.agency_code, "number": entry.number, "year": entry.year,
        "book": entry.book,
        "book_label": book_label(entry.book), "date": entry.certified_on.isoformat(),
        "requester": entry.requester, "certifier": entry.certifier,
        "original": {"id": original.original_id, "name": original.document_name,
                     "pages": original.pages},
        "fee": entry.fee, "fee_per_copy": fee(original.pages), "test_signatures": test,
        "out_root": str(out.resolve()), "summary_file": str(folder / f"{stem}.json"),
        "copies": listed}
    write_atomic(out / summary["summary_file"],
                 json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8"))
    return summary
