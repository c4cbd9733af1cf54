"""The Vietnamese text of a verification report (:class:`VerificationReport` of
:mod:`pipeline.signing.validation`), as `sohoa verify` prints it and the tests and the
signing benchmark show it when a check fails."""
from __future__ import annotations

from pipeline.signing.validation import VerificationReport

__all__ = ["report_text"]

_REVOCATION_VI = {"good": "còn hiệu lực (không bị thu hồi)", "revoked": "ĐÃ BỊ THU HỒI",
                  "unknown": "chưa xác định", "not_applicable": "không áp dụng (chứng thư không "
                                                                "khai báo dịch vụ thu hồi)"}


def _yes(flag: bool) -> str:
    return "có" if flag else "KHÔNG"


def report_text(r: VerificationReport) -> str:
    """A verification report in Vietnamese, for people (`sohoa verify` without --json)."""
    out = [f"Tệp: {r.file or '(không tên)'}", f"SHA-256: {r.sha256}",
           "KẾT LUẬN: " + ("HỢP LỆ — mọi chữ ký còn nguyên vẹn và tin cậy." if r.ok
                           else "KHÔNG HỢP LỆ.")]
    for i, s in enumerate(r.signatures, 1):
        kind = "Dấu thời gian tài liệu" if s.kind == "document_timestamp" else "Chữ ký"
        out += ["", f"{kind} {i} — ô {s.field}: {'hợp lệ' if s.ok else 'KHÔNG HỢP LỆ'}",
                f"  Người ký: {s.signer or '?'}"]
        if s.kind == "signature":
            out += [f"  Thời gian ký (theo người ký): {s.signing_time or '?'}",
                    f"  Mức PAdES: {s.level or '?'}"]
        if s.timestamp:
            out.append(f"  Dấu thời gian: {s.timestamp.time} do {s.timestamp.tsa or '?'} cấp, "
                       f"tin cậy: {_yes(s.timestamp.trusted)}")
        out += [f"  Nguyên vẹn: {_yes(s.intact)}; đúng mật mã: {_yes(s.valid)}; "
                f"chứng thư tin cậy: {_yes(s.trusted)}",
                f"  Chuỗi chứng thư: {' → '.join(s.chain) if s.chain else '(không dựng được)'}",
                f"  Tình trạng thu hồi khi ký: {_REVOCATION_VI.get(s.revocation, s.revocation)}"]
        out += ([f"  Thay đổi sau khi ký: {c}" for c in s.changes]
                or ["  Không có thay đổi nào sau khi ký."])
        out += [f"  Vấn đề: {p}" for p in s.problems]
        out += [f"  Lưu ý: {w}" for w in s.warnings]
    pdfa = r.pdfa
    if pdfa.checked:
        out += ["", f"PDF/A-{pdfa.flavour} (bản trước khi ký và phần thêm khi ký): "
                    f"{'đạt' if pdfa.passed else 'KHÔNG ĐẠT'}"]
        out += [f"  {v}" for v in pdfa.violations[:10]]
        out += [f"  (phần thêm khi ký) {v}" for v in pdfa.signed_violations[:10]]
    if pdfa.note:
        out.append(f"PDF/A: {pdfa.note}")
    out += [f"Vấn đề: {p}" for p in r.problems]
    return "\n".join(out)
