"""What the public verification page shows, from api.verification's report: a verdict
banner, the register entry (no personal data for a code alone), one card per signature in
the way the EU DSS demonstration reports them, and the report to download (JSON, PDF)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from api.pages.web import vn_time
from api.service import Service
from api.verification import issued_copies, signature_verdict, verdict, verify_bytes
from pipeline.certification.qr import verification_code
from pipeline.certification.register_entry import vn_date
from pipeline.signing.validation import SignatureReport, VerificationReport
from workers.copies import agency_name

BANNERS = {  # verdict -> (css class, title)
    "VALID": ("ok", "Bản sao hợp lệ"),
    "INDETERMINATE": ("warn", "Chưa xác định được"),
    "INVALID": ("bad", "Không hợp lệ"),
    "REVOKED": ("bad", "Đã thu hồi"),
}
REVOCATION = {"good": "Còn hiệu lực (không bị thu hồi)", "revoked": "ĐÃ BỊ THU HỒI",
              "unknown": "Chưa xác định được",
              "not_applicable": "Không áp dụng (chứng thư không khai báo dịch vụ thu hồi)"}
LEVEL = {"B-B": "PAdES-BASELINE-B", "B-T": "PAdES-BASELINE-T", "B-LT": "PAdES-BASELINE-LT",
         "B-LTA": "PAdES-BASELINE-LTA"}
COVERAGE = {"entire_file": "Chữ ký bao trùm toàn bộ tệp",
            "entire_revision": "Chữ ký bao trùm bản của tệp lúc ký; sau đó tệp có thêm phần mới",
            "partial": "Chữ ký không bao trùm toàn bộ phần tệp nó ký",
            "unclear": "Không xác định được phần tệp chữ ký bao trùm"}


@dataclass
class Lookup:
    kind: str  # code | file
    verdict: str  # VALID | INDETERMINATE | INVALID | REVOKED
    reasons: list[str] = field(default_factory=list)
    register: list[tuple[str, str]] = field(default_factory=list)  # shown to anyone
    file_matches: bool | None = None
    sha256: str | None = None
    code: str | None = None
    file_name: str | None = None
    signatures: list[dict] = field(default_factory=list)
    report: VerificationReport | None = None
    checked_at: str = ""
    data: dict = field(default_factory=dict)  # the downloadable JSON

    @property
    def banner(self) -> tuple[str, str]:
        css, title = BANNERS[self.verdict]
        if self.verdict == "VALID" and self.kind == "file" and not self.file_matches:
            title = "Chữ ký hợp lệ"  # a signed file, but no certified copy of the register
        return css, title


def _organisation(subject: str) -> str | None:
    found = re.search(r"Organization(?:al Unit)?: ([^,]+)", subject or "")
    return found[1].strip() if found else None


def signature_card(s: SignatureReport, checked_at: str) -> dict:
    kind, _, sub = (s.indication or "").partition("/")
    coverage = COVERAGE.get(s.coverage, s.coverage)
    if s.coverage == "entire_file" and not s.changes:
        coverage = COVERAGE["entire_file"]
    return {
        "title": "Dấu thời gian tài liệu" if s.kind == "document_timestamp" else "Chữ ký số",
        "field": s.field, "verdict": signature_verdict(s),
        "signer": s.signer or "Không rõ", "agency": _organisation(s.chain[0]) if s.chain else None,
        "level": LEVEL.get(s.level or "", s.level or "—"),
        "indication": kind or "—", "sub_indication": sub or "—",
        "chain": s.chain, "signing_time": vn_time(s.signing_time),
        "timestamp_time": vn_time(s.timestamp.time) if s.timestamp else "—",
        "tsa": s.timestamp.tsa if s.timestamp else None,
        "coverage": coverage, "changes": s.changes,
        "revocation": REVOCATION.get(s.revocation, s.revocation)
                      + (f" (từ {vn_time(s.revoked_since)})" if s.revoked_since else ""),
        "revocation_checked_at": checked_at,
        "problems": s.problems, "warnings": s.warnings,
    }


def _judge(lookup: Lookup, report: VerificationReport) -> None:
    lookup.report, lookup.sha256 = report, report.sha256
    lookup.verdict = verdict(report)
    if any(s.revocation == "revoked" for s in report.signatures):
        lookup.verdict = "REVOKED"
    lookup.signatures = [signature_card(s, lookup.checked_at) for s in report.signatures]
    if lookup.verdict != "VALID":
        lookup.reasons += report.problems
        for s in report.signatures:
            lookup.reasons += s.problems + ([] if lookup.verdict == "INVALID" else s.warnings)
        if not lookup.reasons and lookup.verdict == "INDETERMINATE":
            lookup.reasons.append("Chưa kiểm tra được độ tin cậy hoặc tình trạng thu hồi của "
                                  "chứng thư số.")
    lookup.reasons = list(dict.fromkeys(lookup.reasons))


def public_register(svc: Service, entry, copy_id: str) -> list[tuple[str, str]]:
    """The register entry without personal data (no requester, certifier, document name)."""
    hit = svc.db.index.get(entry.original_id)
    doc_type = svc.archive.types.get(hit.document_type or "") if hit else None
    return [("Mã kiểm tra", verification_code(copy_id)),
            ("Số chứng thực", str(entry.number)),
            ("Quyển số", entry.book_label),
            ("Ngày chứng thực", vn_date(entry.certified_on)),
            ("Cơ quan chứng thực", agency_name(svc.archive, entry.agency_code)),
            ("Loại giấy tờ", doc_type.name if doc_type else "Không xác định"),
            ("Số trang", str(entry.pages)),
            ("Số bản sao đã cấp", str(entry.copies)),
            ("Tình trạng trong sổ", "Đã cấp, chưa bị thu hồi")]


def by_code(svc: Service, copy_id: str, entry) -> Lookup:
    lookup = Lookup("code", "INDETERMINATE", code=verification_code(copy_id),
                    checked_at=vn_time(datetime.now(UTC)))
    lookup.register = public_register(svc, entry, copy_id)
    held = issued_copies(svc.archive.root).get(copy_id)
    path = svc.archive.root / held["file"] if held else None
    if path is not None and path.is_file():
        _judge(lookup, verify_bytes(path.read_bytes(), svc.settings))
        lookup.file_matches = held["sha256"] == lookup.sha256
    else:
        lookup.reasons.append("Bản sao có trong sổ chứng thực nhưng tệp đã cấp không có ở "
                              "đây để kiểm tra chữ ký; xin tải tệp bản sao lên để kiểm tra.")
    lookup.data = _data(lookup)
    return lookup


def by_file(svc: Service, data: bytes, name: str | None) -> tuple[Lookup, str | None]:
    """The lookup and, if the file is an issued copy, its copy id."""
    lookup = Lookup("file", "INDETERMINATE", file_name=name,
                    checked_at=vn_time(datetime.now(UTC)))
    _judge(lookup, verify_bytes(data, svc.settings, name=name))
    match = next((cid for cid, c in issued_copies(svc.archive.root).items()
                  if c["sha256"] == lookup.sha256), None)
    entry = svc.db.register.find_copy(match) if match else None
    lookup.file_matches = entry is not None
    if entry is not None:
        lookup.code = verification_code(match)  # type: ignore[arg-type]
        lookup.register = public_register(svc, entry, match)  # type: ignore[arg-type]
    lookup.data = _data(lookup)
    return lookup, match


def _data(lookup: Lookup) -> dict:
    return {"kind": lookup.kind, "verdict": lookup.verdict, "banner": lookup.banner[1],
            "reasons": lookup.reasons, "checked_at": lookup.checked_at,
            "code": lookup.code, "sha256": lookup.sha256, "file_name": lookup.file_name,
            "file_matches_register": lookup.file_matches,
            "register": dict(lookup.register), "signatures": lookup.signatures}


def report_lines(lookup: Lookup) -> list[str]:
    lines = [f"KẾT LUẬN: {lookup.banner[1].upper()}", *lookup.reasons,
             f"Thời điểm kiểm tra: {lookup.checked_at}"]
    if lookup.file_matches is not None and lookup.kind == "file":
        lines.append("Mã băm SHA-256 của tệp " + ("trùng với bản sao đã đăng ký trong sổ."
                     if lookup.file_matches else "không trùng với bản sao nào trong sổ."))
    lines += [f"{label}: {value}" for label, value in lookup.register]
    return lines


def pdf_lines(lookup: Lookup) -> list[str]:
    """The PDF report's text: the page's lines, then the verification report's."""
    from pipeline.signing.report import report_text

    tail = [""] + report_text(lookup.report).splitlines() if lookup.report else []
    return report_lines(lookup) + tail
