"""Certified electronic copies end to end (`sohoa certify`; Nghị định 23/2015 as amended,
Thông tư 01/2020/TT-BTP): find the original, take one number from the register for the
request, make each copy (pipeline.certification.statement), have the certifier then the agency sign it
(PAdES, pipeline.signing.sign), verify it, and only then hand it out.

Files, under the output folder (numbers restart every year, so the year is a folder):
  certified/<year>/<number, 6 digits>-<copy id>.pdf   one per copy
  certified/<year>/<number, 6 digits>.json            the request's summary

Identities: the agency signs with the configured signing identity (SOHOA_SIGNING_P12...,
workers.graph.load_identity), the certifier with SOHOA_CERTIFIER_P12 and its passphrase
(SOHOA_CERTIFIER_PASSPHRASE or _FILE); without them, development identities whose
certificates say NOT VALID FOR PRODUCTION. Real and test identities are never mixed.
PAdES level: SOHOA_SIGNING_LEVEL (B-B default; B-T and up need SOHOA_TSA_URL), lowest
accepted fallback SOHOA_SIGNING_MIN_LEVEL (default: none). Passphrases stay in memory.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pikepdf
import pikepdf.pdfa

from pipeline.certification.statement import (AGENCY_FIELD, CERTIFIER_FIELD, CertificationStatement,
                              CertifyError, ConversionInfo, book_label, fee,
                              make_certified_copy, signature_fields)
from pipeline.signing.identity import (SigningError, identity_ca_cert_path, load_pkcs12,
                               load_test_identity)
from pipeline.core.naming import VIETNAM
from pipeline.certification.qr import verify_url
from pipeline.signing.pades import (PadesLevel, PkiServices, SigningProfile,
                            check_signer_certificate, trust_roots_from_env)
from pipeline.signing.sign import SignatureBox, sign_document
from pipeline.signing.validation import verify_pdf
from pipeline.core.settings import Settings

__all__ = ["CertifyFailure", "CertifyRequest", "Original", "certifier_test_name", "certify",
           "database_url", "development_ca_paths", "load_original"]
REASON = "Chứng thực bản sao điện tử từ bản chính"
_BOOK = re.compile(r"^\d{2,3}/\d{4}$")


class CertifyFailure(Exception):
    """One Vietnamese sentence for the clerk; `usage`: a mistake in the command or the
    configuration (exit 2) rather than in the document or the signing (exit 1)."""

    def __init__(self, message: str, usage: bool = False):
        super().__init__(message)
        self.message, self.usage = message, usage


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


@dataclass(frozen=True)
class Original:
    pdf: bytes  # the PDF/A to copy, as it was before any signature
    original_id: str
    document_name: str
    pages: int
    conversion: ConversionInfo
    out_root: Path | None  # the output folder that indexes it (document ids only)


def certifier_test_name(agency_name: str) -> str:
    """The organization of the certifier's development identity."""
    return f"{agency_name} - cán bộ chứng thực"


def development_ca_paths(settings: Settings) -> list[Path]:
    """The development CAs (agency's and certifier's) that exist under SOHOA_HOME."""
    names = (settings.agency_name, certifier_test_name(settings.agency_name))
    return [p for p in (identity_ca_cert_path(settings.home, n) for n in names) if p.is_file()]


# ------------------------------------------------------------------------ the original

def _pdfa_facts(data: bytes, name: str) -> tuple[int, str | None, str | None, str | None]:
    """(pages, dc:title, dc:type, xmp:CreateDate) of a PDF/A, or a refusal saying what it
    is not. pipeline.pdf.pdfa writes the document id as dc:title, its TypeName as dc:type."""
    if b"%PDF-" not in data[:1024]:
        raise CertifyFailure(f"Tệp {name} không phải tệp PDF.")
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise CertifyFailure(f"Tệp {name} bị mã hóa, không thể chứng thực.") from None
    except Exception:
        raise CertifyFailure(f"Tệp {name} bị hỏng, không đọc được như một tệp PDF.") from None
    with pdf:
        if pdf.is_encrypted:
            raise CertifyFailure(f"Tệp {name} bị mã hóa, không thể chứng thực.")
        meta = pdf.open_metadata()
        claim, title, created = meta.pdfa_status, meta.get("dc:title"), meta.get("xmp:CreateDate")
        kind = next(iter(sorted(meta.get("dc:type") or [])), None)
        pages = len(pdf.pages)
    if not claim or claim[0] not in "123":
        raise CertifyFailure(f"Tệp {name} không phải PDF/A nên không dùng làm bản chính.")
    report = pikepdf.pdfa.validate_written(io.BytesIO(data), f"{claim[0]}b")
    # signed in its first revision: the checker leaves only the signature form unchecked
    if report.violations or any("/AcroForm" not in f.where for f in report.unsupported):
        raise CertifyFailure(f"Tệp {name} không đạt chuẩn PDF/A-{claim}, không chứng thực được.")
    return pages, title, kind, created


def _digitization(data: bytes) -> tuple[bytes, ConversionInfo | None]:
    """The revision before the first signature (the PDF/A as the digitizing agency signed
    it) and when and by whom that signature, if intact, says it was made."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sig = min(reader.embedded_signatures, key=lambda s: s.signed_revision, default=None)
        if sig is None:
            return data, None
        if sig.signed_revision > 0:  # cut after the previous revision's %%EOF and newline
            eof = data.find(b"%%EOF", reader.xrefs.get_xref_container_info(
                sig.signed_revision - 1).end_location)
            if eof >= 0:
                data = data[:eof + 5 + len(re.match(rb"\r\n|\r|\n|", data[eof + 5:]).group())]
        if sig.sig_object_type != "/Sig" or sig.self_reported_timestamp is None or \
                validate_sig_integrity(sig.signer_info, sig.signer_cert, "data",
                                       sig.compute_digest()) != (True, True):
            return data, None  # a broken signature proves nothing
        subject = sig.signer_cert.subject.native
        by = subject.get("organization_name") or subject.get("common_name")
        by = " ".join(by) if isinstance(by, list) else by
        return data, ConversionInfo(sig.self_reported_timestamp, by) if by else None
    except Exception:  # not a PDF pyHanko reads: _pdfa_facts says what is wrong
        return data, None


def _conversion(found: ConversionInfo | None, created: str | None,
                agency: str) -> ConversionInfo:
    if found is not None:
        return found
    try:
        when = datetime.fromisoformat(str(created))
    except ValueError:
        raise CertifyFailure("Bản chính không cho biết thời điểm số hóa (không có chữ ký số "
                             "hay ngày tạo PDF/A), không in được dấu chuyển đổi.") from None
    return ConversionInfo(when if when.tzinfo else when.replace(tzinfo=VIETNAM), agency)


def _indexed_name(hit) -> str:
    archive = hit.archive or {}
    name = archive.get("TypeName") or hit.document_type or hit.document_id
    code = "/".join(str(p) for p in (archive.get("CodeNumber"), archive.get("CodeNotation")) if p)
    subject = archive.get("Subject")
    return name + (f" số {code}" if code else "") + (f" ({subject})" if subject else "")


def database_url(settings: Settings, out: Path | None) -> str:
    if settings.database_url:
        return settings.database_url
    if out is None:
        raise CertifyFailure("Cần --out THƯ_MỤC_KẾT_QUẢ (hoặc đặt SOHOA_DATABASE_URL).", True)
    return settings.database_for(out)


def load_original(source: str, settings: Settings, out: Path | None,
                  document_name: str | None = None) -> Original:
    """The original named by a path, else by a document id in the index."""
    path = Path(source)
    if path.is_file():
        data, found = _digitization(path.read_bytes())
        pages, title, kind, created = _pdfa_facts(data, path.name)
        title = str(title or path.name)
        return Original(data, title, document_name or (f"{kind} ({title})" if kind else title),
                        pages, _conversion(found, created, settings.agency_name), None)
    from storage.index import DocumentIndex

    url = database_url(settings, out)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise CertifyFailure(f"Không có tệp {source}, và {out} chưa có chỉ mục tài liệu.")
    with DocumentIndex(url) as index:
        hit = index.get(source)
    if hit is None or "pdfa" not in hit.artifacts:
        raise CertifyFailure(f"Không tìm thấy tài liệu có mã {source} (cũng không có tệp nào "
                             "tên như vậy).")
    try:
        data = hit.path("pdfa").read_bytes()
        signed = hit.path("signed").read_bytes() if "signed" in hit.artifacts else None
    except OSError:
        raise CertifyFailure(f"Không đọc được tệp PDF/A của tài liệu {source}.") from None
    if hit.sha256.get("pdfa") and hashlib.sha256(data).hexdigest() != hit.sha256["pdfa"]:
        raise CertifyFailure(f"Tệp PDF/A của tài liệu {source} đã bị thay đổi so với khi số hóa.")
    pages, _, _, created = _pdfa_facts(data, hit.path("pdfa").name)
    signed_pdfa, found = _digitization(signed) if signed else (None, None)
    found = found if signed_pdfa == data else None  # a signature over this very PDF/A
    return Original(data, hit.document_id, document_name or _indexed_name(hit), pages,
                    _conversion(found, created, settings.agency_name), Path(hit.out_root))


# -------------------------------------------------------------------- signing set-up

def _certifier_identity(settings: Settings):
    if not settings.certifier_p12:
        return load_test_identity(settings.home, certifier_test_name(settings.agency_name))
    return load_pkcs12(settings.certifier_p12, settings.certifier_passphrase_bytes())


def _profile(settings: Settings, roots: tuple) -> SigningProfile:
    tsa = settings.tsa_url
    try:
        level = PadesLevel(settings.signing_level or "B-B")
        lowest = settings.signing_min_level
        lowest = PadesLevel(lowest) if lowest else None
    except ValueError:
        known = ", ".join(v.value for v in PadesLevel)
        raise CertifyFailure(f"SOHOA_SIGNING_LEVEL và SOHOA_SIGNING_MIN_LEVEL phải là một "
                             f"trong {known}.", usage=True) from None
    if level.needs_tsa and not tsa:
        raise CertifyFailure(f"Mức PAdES {level.value} cần máy chủ dấu thời gian: đặt "
                             "SOHOA_TSA_URL.", usage=True)
    try:
        return SigningProfile(level=level, min_level=lowest,
                              services=PkiServices(tsa_url=tsa, trust_roots=roots))
    except ValueError:
        raise CertifyFailure("SOHOA_SIGNING_MIN_LEVEL không được cao hơn SOHOA_SIGNING_LEVEL.",
                             usage=True) from None


def _sign_and_verify(unsigned: bytes, copy_pages: int, st: CertificationStatement,
                     certifier, agency, profile: SigningProfile, roots: tuple):
    """Certifier first, then the agency, into the copy's reserved fields: (signed copy,
    lowest PAdES level reached, why it fell back or None), or a refusal if it does not
    verify."""
    boxes = [SignatureBox(f.name, f.page_index, f.rect) for f in signature_fields(copy_pages)]
    when = datetime.now(VIETNAM).replace(microsecond=0)
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
        raise CertifyFailure(f"Bản sao {st.verification_code} không qua kiểm tra chữ ký số nên "
                             f"không được cấp: {' '.join(dict.fromkeys(why)) or 'thiếu chữ ký.'}")
    fell_back = " ".join(dict.fromkeys(filter(None, (first.fallback_reason,
                                                      second.fallback_reason))))
    return second.pdf, level.value, fell_back or None


# ------------------------------------------------------------------------------ entry

def _check(request: CertifyRequest, settings: Settings) -> None:
    if request.book is not None and not _BOOK.match(request.book):
        raise CertifyFailure(f"Quyển số {request.book!r} không hợp lệ (dạng 01/2026).", True)
    try:
        verify_url(settings.public_base_url, "0" * 12)
    except ValueError:
        raise CertifyFailure("SOHOA_PUBLIC_BASE_URL phải là địa chỉ http(s).", True) from None
    if request.out is None and (not settings.database_url or Path(request.source).is_file()):
        raise CertifyFailure("Cần --out THƯ_MỤC_KẾT_QUẢ.", usage=True)


def _signers(settings: Settings, stack: ExitStack):
    """(certifier, agency, profile, trust roots), checked before a number is taken."""
    from workers.graph import load_identity

    try:
        certifier = stack.enter_context(_certifier_identity(settings))
        agency = stack.enter_context(load_identity(settings))
        if certifier.is_test != agency.is_test:
            raise CertifyFailure("Chứng thư số của người chứng thực và của cơ quan phải cùng "
                                 "là thật hoặc cùng là thử nghiệm.", usage=True)
        roots = trust_roots_from_env(development_ca_paths(settings))
        for identity in (certifier, agency):
            check_signer_certificate(identity.certificate, datetime.now(VIETNAM))
    except SigningError as exc:  # IdentityError too: wrong passphrase, missing file...
        raise CertifyFailure(exc.message, usage=True) from None
    except OSError as exc:  # a passphrase file
        raise CertifyFailure(f"Không đọc được tệp {exc.filename}.", usage=True) from None
    return certifier, agency, _profile(settings, roots), roots


def certify(request: CertifyRequest, settings: Settings | None = None) -> dict:
    """Make, sign, verify and write the request's copies; returns the summary (also
    written as JSON). Raises CertifyFailure (one Vietnamese sentence)."""
    from storage.cert_register import CertRegister, RegisterError

    settings = settings or Settings()
    _check(request, settings)
    original = load_original(request.source, settings, request.out, request.document_name)
    out = Path(request.out or original.out_root)
    with ExitStack() as stack:
        certifier, agency, profile, roots = _signers(settings, stack)
        register = stack.enter_context(CertRegister(database_url(settings, out)))
        try:
            entry = register.allocate(
                original_id=original.original_id, requester=request.requester,
                document_name=original.document_name, copies=request.copies,
                certifier=f"{request.certifier_name}, {request.certifier_title}",
                pages=original.pages, notes=request.notes, book=request.book)
        except RegisterError as exc:
            raise CertifyFailure(str(exc)) from None
        try:
            copies = []
            for copy_id in entry.copy_ids:
                st = CertificationStatement(
                    number=entry.number, book=entry.book, date=entry.certified_on,
                    certifier_name=request.certifier_name,
                    certifier_title=request.certifier_title, agency_name=settings.agency_name,
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
                              f"Không cấp được bản sao: {message or 'lỗi hệ thống'}")
            if message is None:
                raise
            raise CertifyFailure(f"Số chứng thực {entry.number} đã vào sổ (có ghi chú) nhưng "
                                 f"không cấp được bản sao: {message}") from None


def _why(exc: Exception) -> str | None:
    """The Vietnamese reason a copy was not handed out; None for a bug."""
    if isinstance(exc, OSError):
        return f"không ghi được tệp ({exc.strerror or exc})"
    if isinstance(exc, (CertifyError, SigningError, CertifyFailure)):
        return getattr(exc, "message", None) or str(exc)
    return None


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write(out: Path, entry, original: Original, copies: list, test: bool) -> dict:
    folder, stem = Path("certified") / str(entry.year), f"{entry.number:06d}"
    listed = []
    for st, signed, level, fell_back in copies:
        rel = folder / f"{stem}-{st.copy_id}.pdf"
        _write_new(out / rel, signed)
        listed.append({"copy_id": st.copy_id, "code": st.verification_code,
                       "verify_url": st.verify_url, "file": str(rel), "pades_level": level,
                       "pades_fallback": fell_back, "sha256": hashlib.sha256(signed).hexdigest()})
    summary = {
        "number": entry.number, "year": entry.year, "book": entry.book,
        "book_label": book_label(entry.book), "date": entry.certified_on.isoformat(),
        "requester": entry.requester, "certifier": entry.certifier,
        "original": {"id": original.original_id, "name": original.document_name,
                     "pages": original.pages},
        "fee": entry.fee, "fee_per_copy": fee(original.pages), "test_signatures": test,
        "out_root": str(out.resolve()), "summary_file": str(folder / f"{stem}.json"),
        "copies": listed}
    _write_new(out / summary["summary_file"],
               json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8"))
    return summary
