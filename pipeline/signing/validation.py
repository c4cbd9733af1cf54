"""Verification of a signed PDF: integrity, signers, times, trust, revocation, PDF/A,
and what changed after each signature.

A timestamped signature (B-T and up) goes through pyHanko's AdES long-term validation
(``ades_lta_validation``, ETSI EN 319 102-1): the document timestamps are its evidence
record, the revocation data embedded in the file (DSS) its revocation status at signing
time; without an evidence record (B-T, B-LT) the certificate is checked as of the
signature timestamp. A B-B signature has no proof of time: it is checked now. Nothing is
fetched unless ``online=True``. pyHanko's difference analysis says what later incremental
updates did (only long-term validation data, further signatures, or anything else), and
:mod:`pipeline.signing.after_signing` what its rules let through: for sohoa's outputs
only long-term validation data and later signatures in their own fields may follow a
signature (a new signature field, replaced XMP metadata or ``/Info``, bytes after the last
``%%EOF``, bytes or unlisted objects slipped in between two revisions make the verdict
"not valid"). The
PDF/A check runs on the revision before the first signature (Thông tư 05/2025/TT-BNV
Điều 8: the archival PDF/A; pikepdf's checker does not cover signature forms), and on
the whole file for what signing added.

:func:`verify_pdf` returns a :class:`VerificationReport` (``.ok``, ``.to_json()``) whose
problems, warnings and changes are Vietnamese sentences for people. Every reason a
report is not valid is a problem it lists, and ``ok`` is derived from them: a report never
says valid above a problem it lists.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import crl, ocsp, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel, SuspiciousModification
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import (
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from pipeline.core.naming import VIETNAM
from pipeline.pdf.revisions import revision_end
from pipeline.signing.after_signing import (
    Tail,
    field_changes,
    inserted_bytes,
    metadata_changes,
    modified_sentence,
    open_pdf,
)
from pipeline.signing.identity import TEST_IDENTITY_MARKER

__all__ = ["PdfaCheck", "SignatureReport", "TimestampInfo", "VerificationReport", "verify_pdf"]

# Thông tư 15/2025: a signing certificate allows digital signature or non-repudiation
_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                 match_all_key_usages=False)
# pyHanko's levels that may follow a signature; "form filling" only as later signatures in
# their own fields, and "LTA updates" only without what after_signing finds (_review)
_ACCEPTED_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
                     ModificationLevel.FORM_FILLING)


@dataclass
class TimestampInfo:
    time: str  # ISO 8601, Vietnam time
    tsa: str | None
    intact: bool
    trusted: bool


@dataclass
class SignatureReport:
    field: str
    kind: str  # "signature" or "document_timestamp"
    signer: str | None
    signer_cert_sha256: str | None
    signing_time: str | None  # claimed by the signer (/M), ISO 8601, Vietnam time
    level: str | None  # PAdES baseline level found: B-B, B-T, B-LT, B-LTA
    intact: bool
    valid: bool
    trusted: bool
    chain: list[str] = field(default_factory=list)  # signer first, trust anchor last
    timestamp: TimestampInfo | None = None
    revocation: str = "unknown"  # good | revoked | unknown | not_applicable
    revoked_since: str | None = None
    coverage: str = "unclear"  # entire_file | entire_revision | partial | unclear
    modification_level: str | None = None  # none | lta_updates | form_filling | annotations | other
    changes: list[str] = field(default_factory=list)  # Vietnamese, what came after
    diff_detail: str | None = None  # English: why pyHanko's difference analysis refused
    indication: str | None = None  # AdES: PASSED/..., INDETERMINATE/..., FAILED/...
    problems: list[str] = field(default_factory=list)  # Vietnamese: why not ok
    warnings: list[str] = field(default_factory=list)  # Vietnamese: worth knowing

    @property
    def ok(self) -> bool:
        """Valid: no problem listed. Every check that fails lists its problem (_judge),
        so the verdict cannot contradict the list."""
        return not self.problems


@dataclass
class PdfaCheck:
    checked: bool
    flavour: str = "2b"
    passed: bool = False
    revision_bytes: int = 0
    violations: list[str] = field(default_factory=list)  # of the revision before signing
    signed_violations: list[str] = field(default_factory=list)  # of what signing added
    note: str | None = None  # Vietnamese


@dataclass
class VerificationReport:
    file: str | None
    sha256: str
    signatures: list[SignatureReport]
    pdfa: PdfaCheck
    problems: list[str] = field(default_factory=list)  # Vietnamese, file-level

    @property
    def ok(self) -> bool:
        """Valid: at least one signature, every signature valid, no file-level problem."""
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)  # properties are not fields: the verdicts added
        for signature, shown in zip(self.signatures, data["signatures"]):
            shown["ok"] = signature.ok
        data["ok"] = self.ok
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


# ----------------------------------------------------------------------- helpers


def _iso_vn(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(VIETNAM).isoformat(timespec="seconds")


def _name(cert: x509.Certificate | None) -> str | None:
    return None if cert is None else cert.subject.human_friendly


def _revocation_policy(soft: bool) -> CertRevTrustPolicy:
    """Revocation is checked for every certificate that names an OCSP responder or a
    CRL; ``soft``: a failed check does not make the certificate untrusted."""
    rule = (RevocationCheckingRule.CHECK_IF_DECLARED_SOFT if soft
            else RevocationCheckingRule.CHECK_IF_DECLARED)
    return CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule))


def _spec(trust_roots, online: bool, soft: bool) -> PdfSignatureValidationSpec:
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(trust_roots)),
        revinfo_policy=_revocation_policy(soft),
    )
    fetching = (RevinfoOnlineFetchingRule.ALWAYS_FETCH if online
                else RevinfoOnlineFetchingRule.LOCAL_ONLY)
    return PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=fetching),
        key_usage_settings=_KEY_USAGE,
    ))


def _declares_revocation(cert: x509.Certificate) -> bool:
    return bool(cert.crl_distribution_points or cert.ocsp_urls)


def _coverage(status) -> str:
    return {
        SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
        SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
        SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "partial",
    }.get(status.coverage, "unclear")


# what a signature's coverage lets an attacker change without breaking it
_COVERAGE_VI = {
    "partial": "Chữ ký không phủ trọn phiên bản tài liệu mà nó ký: phần cuối của phiên bản "
               "đó (bảng tham chiếu) nằm ngoài vùng được ký, có thể bị sửa mà chữ ký không "
               "phát hiện.",
    "unclear": "Vùng dữ liệu được ký (ByteRange) bất thường: có phần của tệp nằm trước hoặc "
               "giữa các vùng được ký mà không được ký.",
}


@dataclass(frozen=True)
class _FileFacts:
    """What the review of every signature needs about the file as a whole."""

    reader: PdfFileReader
    tail: Tail | None  # bytes after the last revision read
    signed_fields: dict[str, int]  # field -> the revision its signature or timestamp signs
    inserted: dict[int, str]  # update -> what was slipped in before or between its objects

    def signed_after(self, revision: int) -> set[str]:
        return {name for name, signed in self.signed_fields.items() if signed > revision}


def _review(report: SignatureReport, embedded, status, facts: _FileFacts) -> bool:
    """Fill ``report.changes`` and ``.modification_level`` with what the revisions after
    the signature did; True when that is allowed: nothing, long-term validation data, or
    later signatures and timestamps in their own fields. pyHanko's level first, then what
    its rules let through (after_signing), which makes the level "other"."""
    mod, diff, revision = status.modification_level, status.diff_result, embedded.signed_revision
    changed = set(diff.changed_form_fields) if isinstance(diff, DiffResult) else set()
    later = facts.signed_after(revision)
    found = [*([_COVERAGE_VI[report.coverage]] if report.coverage in _COVERAGE_VI else []),
             *field_changes(facts.reader, revision, later, changed),
             *metadata_changes(facts.reader, revision),
             *(s for update, s in sorted(facts.inserted.items()) if update > revision),
             *([facts.tail.sentence()] if facts.tail else [])]
    report.modification_level = None if mod is None else mod.name.lower()
    if isinstance(diff, SuspiciousModification):
        report.diff_detail = str(diff)
    refused = mod is not None and mod not in _ACCEPTED_CHANGES
    if not found:
        report.changes = _changes(mod, diff, sorted(later & changed))
        return not refused
    # with a bad coverage, pyHanko's refusal says only that: not said twice
    if refused and report.coverage not in _COVERAGE_VI:
        found += _changes(mod, diff, [])
    report.changes, report.modification_level = found, "other"
    return False


def _changes(level, diff, signed_fields: list[str]) -> list[str]:
    """What pyHanko's difference analysis says the revisions after a signature did, in
    Vietnamese (``signed_fields``: the fields later signatures filled)."""
    if level is None or level == ModificationLevel.NONE:
        return []
    if level == ModificationLevel.LTA_UPDATES:
        return ["Sau khi ký chỉ bổ sung dữ liệu xác thực dài hạn "
                "(chứng thư, thông tin thu hồi, dấu thời gian tài liệu)."]
    if level == ModificationLevel.FORM_FILLING:
        if signed_fields:
            return [f"Sau khi ký có thêm chữ ký vào ô: {', '.join(signed_fields)}."]
        return ["Sau khi ký có thêm chữ ký hoặc điền ô biểu mẫu."]
    if level == ModificationLevel.ANNOTATIONS:
        return ["Sau khi ký có thêm hoặc sửa chú thích trên trang."]
    return [modified_sentence(diff)]  # pyHanko's English stays in ``diff_detail``


def _dss_covers(reader: PdfFileReader, cert: x509.Certificate | None) -> bool:
    """Whether the file's DSS holds an OCSP response for ``cert`` or a CRL of its issuer."""
    if cert is None:
        return False
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:
        return False
    for ref in dss.ocsps:
        try:
            basic = ocsp.OCSPResponse.load(ref.get_object().data).basic_ocsp_response
            responses = basic["tbs_response_data"]["responses"]
            if any(r["cert_id"]["serial_number"].native == cert.serial_number for r in responses):
                return True
        except Exception:
            continue
    for ref in dss.crls:
        try:
            if crl.CertificateList.load(ref.get_object().data).issuer == cert.issuer:
                return True
        except Exception:
            continue
    return False


def _indication(subindic) -> str:
    if isinstance(subindic, AdESPassed):
        return "PASSED"
    kind = "INDETERMINATE" if isinstance(subindic, AdESIndeterminate) else "FAILED"
    return f"{kind}/{subindic.name}"


# -------------------------------------------------------------------- signatures


def _signature_timestamp_time(embedded) -> datetime | None:
    tst = next(extract_tst_data_iter(embedded.signer_info, signed=False), None)
    if tst is None:
        return None
    return tst["encap_content_info"]["content"].parsed["gen_time"].native


def _revinfo_context(reader, trust_roots, online: bool, soft: bool, moment) -> ValidationContext:
    """Trust roots and the revocation data the file carries (DSS), plus what can be
    fetched now if ``online``; validation at ``moment`` (the signature timestamp's time,
    else now). Revocation data newer than ``moment`` counts (it was fetched for this
    signature or is fresher: a certificate is not un-revoked). ``soft``: no revocation
    data at all, only whether the chain leads to a trusted root."""
    kwargs = dict(trust_roots=list(trust_roots), moment=moment,
                  retroactive_revinfo=moment is not None, revinfo_policy=_revocation_policy(soft))
    if soft:  # (another signer's OCSP response from the same CA would count as a failure)
        return ValidationContext(crls=[], ocsps=[], allow_fetching=False, **kwargs)
    kwargs["allow_fetching"] = online
    try:
        return DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    except Exception:  # no DSS in the file
        return ValidationContext(crls=[], ocsps=[], **kwargs)


async def _status_at(embedded, reader, trust_roots, online, moment):
    """Classic validation at ``moment``: (status, revocation data missing?)."""
    async def run(soft):
        context = _revinfo_context(reader, trust_roots, online, soft, moment)
        try:
            return await async_validate_pdf_signature(
                embedded, context, key_usage_settings=_KEY_USAGE)
        finally:
            await context.aclose()
    status = await run(soft=False)
    if status.trusted or status.revocation_details is not None:
        return status, False
    soft = await run(soft=True)  # untrusted for want of revocation data, or otherwise?
    return soft, soft.trusted


async def _signature_status(embedded, reader, trust_roots, online):
    """(status, revocation data missing?, AdES indication or None)."""
    ts_time = _signature_timestamp_time(embedded)
    if ts_time is None:  # B-B: nothing proves the time, validate now
        return (*await _status_at(embedded, reader, trust_roots, online, None), None)
    # B-T and up: AdES validation, with the document timestamps as evidence record
    result = await ades_lta_validation(embedded, _spec(trust_roots, online, soft=False))
    indication = _indication(result.ades_subindic)
    if isinstance(result.ades_subindic, AdESPassed) and result.api_status is not None:
        return result.api_status, False, indication
    # no evidence record (B-T, B-LT): the certificate at the signature timestamp's time
    return (*await _status_at(embedded, reader, trust_roots, online, ts_time), indication)


async def _check_signature(embedded, facts: _FileFacts, trust_roots, online,
                           later_doc_ts) -> SignatureReport:
    reader = facts.reader
    status, revinfo_missing, indication = await _signature_status(
        embedded, reader, trust_roots, online)
    timestamped = status is not None and status.timestamp_validity is not None
    cert = embedded.signer_cert
    report = SignatureReport(
        field=embedded.field_name, kind="signature", signer=_name(cert),
        signer_cert_sha256=hashlib.sha256(cert.dump()).hexdigest() if cert else None,
        signing_time=_iso_vn(embedded.self_reported_timestamp), level=None,
        intact=bool(status and status.intact), valid=bool(status and status.valid),
        trusted=bool(status and status.trusted), indication=indication,
    )
    if status is None:
        report.problems.append("Không đọc được chữ ký này.")
        return report
    if status.validation_path is not None:
        chain = status.validation_path.iter_certs(include_root=True)
        report.chain = [c.subject.human_friendly for c in chain][::-1]
    ts = status.timestamp_validity
    if ts is not None:
        report.timestamp = TimestampInfo(_iso_vn(ts.timestamp), _name(ts.signing_cert),
                                         bool(ts.intact and ts.valid), bool(ts.trusted))
    if status.revocation_details is not None:
        report.revocation = "revoked"
        report.revoked_since = _iso_vn(status.revocation_details.revocation_date)
    elif cert is not None and not _declares_revocation(cert):
        report.revocation = "not_applicable"
    elif report.trusted and not revinfo_missing:
        report.revocation = "good"
    if timestamped:
        report.level = "B-T"
        if _dss_covers(reader, cert):
            report.level = "B-LTA" if later_doc_ts else "B-LT"
    else:
        report.level = "B-B"
    report.coverage = _coverage(status)
    _judge(report, status, allowed=_review(report, embedded, status, facts))
    if report.signer and TEST_IDENTITY_MARKER in report.signer:
        report.warnings.append("Chữ ký bằng chứng thư THỬ NGHIỆM, không có giá trị pháp lý.")
    return report


def _judge(report: SignatureReport, status, allowed: bool) -> None:
    """The problems that make a signature not valid (its verdict is their absence)."""
    p = report.problems
    if not report.intact:
        p.append("Nội dung đã ký bị thay đổi: dữ liệu không còn khớp với chữ ký.")
    elif not report.valid:
        p.append("Chữ ký không hợp lệ về mặt mật mã.")
    if not report.trusted and report.intact and report.revocation != "revoked":
        p.append("Chứng thư số của người ký không dẫn tới chứng thư gốc tin cậy "
                 "hoặc không còn hiệu lực.")
    if report.revocation == "revoked":
        p.append(f"Chứng thư số của người ký đã bị thu hồi từ {report.revoked_since}.")
    elif report.revocation == "unknown" and report.trusted:
        report.warnings.append("Chưa xác định được tình trạng thu hồi của chứng thư số: tệp "
                               "không kèm thông tin thu hồi (kiểm tra trực tuyến để biết).")
    if report.timestamp is not None and not (report.timestamp.intact and report.timestamp.trusted):
        p.append("Dấu thời gian của chữ ký không hợp lệ hoặc không tin cậy.")
    if report.coverage in _COVERAGE_VI:  # what the unsigned bytes say is anyone's guess
        p.append("Chữ ký không bảo vệ trọn phần tệp mà nó ký: phần không được ký có thể đã "
                 "bị sửa.")
    elif not allowed or status.docmdp_ok is False:
        p.append("Tài liệu đã bị sửa đổi sau khi ký.")


async def _check_doc_timestamp(embedded, facts: _FileFacts, trust_roots) -> SignatureReport:
    context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False,
                                revocation_mode="soft-fail")
    status = await async_validate_pdf_timestamp(embedded, validation_context=context)
    cert = status.signing_cert
    report = SignatureReport(
        field=embedded.field_name, kind="document_timestamp", signer=_name(cert),
        signer_cert_sha256=hashlib.sha256(cert.dump()).hexdigest() if cert else None,
        signing_time=_iso_vn(status.timestamp), level=None,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        timestamp=TimestampInfo(_iso_vn(status.timestamp), _name(status.signing_cert),
                                bool(status.intact and status.valid), bool(status.trusted)),
        revocation="not_applicable", coverage=_coverage(status),
    )
    _judge(report, status, allowed=_review(report, embedded, status, facts))
    return report


# ------------------------------------------------------------------------ PDF/A


def _pdfa_check(data: bytes, reader: PdfFileReader, first_signed_revision: int | None,
                flavour: str = "2b") -> PdfaCheck:
    """pikepdf's PDF/A checker on the revision before the first signature."""
    import pikepdf.pdfa

    if first_signed_revision is None:
        end = len(data)
    elif first_signed_revision == 0:
        return PdfaCheck(False, flavour, note="Chữ ký nằm ngay trong bản đầu tiên của tệp; "
                                              "không có bản PDF/A chưa ký để kiểm tra.")
    else:
        cut = revision_end(data, reader, first_signed_revision - 1)
        if cut is None:
            return PdfaCheck(False, flavour, note="Không tách được bản PDF trước chữ ký.")
        end = cut

    def check(upto: int):
        report = pikepdf.pdfa.validate_written(io.BytesIO(data[:upto]), flavour)
        return [f"{f.rule} {f.where}: {f.message}" for f in report.violations], report.unsupported

    violations, unsupported = check(end)
    # the signed file as a whole: pikepdf does not check signature forms ('unsupported'),
    # but sees the rest of what signing added (fonts, annotations, /Version)
    signed_violations = check(len(data))[0] if end < len(data) else []
    unsupported = [u for u in unsupported if "/AcroForm" not in u.where]
    note = None
    if unsupported and not violations:
        note = f"Có {len(unsupported)} mục trình kiểm tra PDF/A chưa kiểm được."
    return PdfaCheck(True, flavour, passed=not violations and not signed_violations,
                     revision_bytes=end, violations=violations,
                     signed_violations=signed_violations, note=note)


# ------------------------------------------------------------------------ entry


async def _verify(data: bytes, trust_roots, online: bool):
    reader, tail = open_pdf(data)
    embedded = list(reader.embedded_signatures)
    facts = _FileFacts(reader, tail, {s.field_name: s.signed_revision for s in embedded},
                       inserted_bytes(data, reader))
    reports = []
    for sig in embedded:
        if sig.sig_object_type == "/DocTimeStamp":
            reports.append(await _check_doc_timestamp(sig, facts, trust_roots))
        else:
            later_ts = any(o.sig_object_type == "/DocTimeStamp"
                           and o.signed_revision > sig.signed_revision for o in embedded)
            reports.append(await _check_signature(sig, facts, trust_roots, online, later_ts))
    first = min((s.signed_revision for s in embedded), default=None)
    # what follows the last revision is named by every signature: PDF/A of what was read
    readable = data if tail is None else data[:tail.offset]
    return reports, _pdfa_check(readable, reader, first)


def verify_pdf(data: bytes, *, trust_roots: Iterable[x509.Certificate] = (),
               online: bool = False, name: str | None = None) -> VerificationReport:
    """Verify every signature and document timestamp of a PDF.

    ``trust_roots``: the CA certificates to trust (nothing else is). ``online``: fetch
    missing revocation data (OCSP/CRL) now instead of relying only on what the file
    carries. ``ok`` is true when the file has at least one signature, every signature
    is intact, valid, trusted, not revoked and followed only by allowed changes (long-term
    validation data, later signatures in their own fields), and no problem is listed.
    """
    data = bytes(data)
    report = VerificationReport(file=name, sha256=hashlib.sha256(data).hexdigest(),
                                signatures=[], pdfa=PdfaCheck(False))
    try:
        report.signatures, report.pdfa = asyncio.run(_verify(data, list(trust_roots), online))
    except Exception as e:  # unreadable or hostile file: a verdict, not a crash
        report.problems.append(
            f"Không đọc được tệp PDF hoặc chữ ký trong tệp ({type(e).__name__}).")
        return report
    if not report.signatures:
        report.problems.append("Tệp không có chữ ký số.")
    if report.pdfa.checked and not report.pdfa.passed:
        report.problems.append("Bản tài liệu trước khi ký không đạt chuẩn PDF/A.")
    return report
