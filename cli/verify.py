"""`sohoa verify FILE`: check a signed PDF; Vietnamese report, or JSON with --json.

Exit codes: 0 every signature valid and intact, 1 otherwise (or no signature), 2 usage.
Trusted roots: the test identity's CA (if it exists under SOHOA_HOME), every --trust PEM,
and the files listed in SOHOA_TRUST_ROOTS (separated by ':').
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from cli.errors import reports_errors


def _trust_roots(extra: tuple[Path, ...]) -> list:
    from pipeline.core.errors import SigningError
    from pipeline.core.settings import load_settings
    from pipeline.signing.configured import development_ca_paths
    from pipeline.signing.pades import trust_roots

    settings = load_settings()
    paths: list[Path | str] = []
    try:
        paths += development_ca_paths(settings)
    except Exception as exc:  # a broken environment must not stop a verification
        logging.getLogger(__name__).warning("test identity CA not used: %s", exc)
    try:
        return list(trust_roots([*paths, *extra, *settings.trust_root_paths()]))
    except SigningError as exc:
        raise click.UsageError(exc.message) from exc


_REVOCATION_VI = {"good": "còn hiệu lực (không bị thu hồi)", "revoked": "ĐÃ BỊ THU HỒI",
                  "unknown": "chưa xác định", "not_applicable": "không áp dụng (chứng thư không "
                                                                "khai báo dịch vụ thu hồi)"}


def _yes(flag: bool) -> str:
    return "có" if flag else "KHÔNG"


def report_text(r) -> str:
    """A pipeline.signing.validation.VerificationReport in Vietnamese, for people."""
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


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--trust", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A trusted root CA certificate (PEM or DER); may be repeated.")
@click.option("--online", is_flag=True,
              help="Fetch missing revocation data (OCSP/CRL) now instead of using only the file's.")
@reports_errors
def verify(file: Path, as_json: bool, trust: tuple[Path, ...], online: bool) -> None:
    """Verify the signatures of a signed PDF (integrity, signers, times, trust, PDF/A)."""
    from pipeline.signing.validation import verify_pdf

    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # pyHanko logs every failed check with a traceback; the report says it all
        for name in ("pyhanko", "pyhanko_certvalidator"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    report = verify_pdf(file.read_bytes(), trust_roots=_trust_roots(trust), online=online,
                        name=str(file))
    click.echo(report.to_json() if as_json else report_text(report))
    sys.exit(0 if report.ok else 1)
