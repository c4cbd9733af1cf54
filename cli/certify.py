"""`sohoa certify SOURCE ...`: certified electronic copies of an original (a document id in
the index or a PDF/A file); `sohoa register export`: the certification register as CSV or
as PDF/A pages for printing. The work is in pipeline/certification/ (issue.py, original.py);
this module finds the original in the index and opens the register (storage).

Exit codes: 0 every copy made, signed and verified; 1 the original or a copy was refused
(one Vietnamese sentence on stderr); 2 usage or configuration errors.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from cli.database import database_url, not_made_yet
from cli.errors import reports_errors
from pipeline.core.errors import CertificationError
from pipeline.core.settings import Settings, load_settings


def _not_blank(_ctx, _param, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("không được để trống.")
    return " ".join(value.split()) if value else value


@click.command("certify")
@click.argument("source")
@click.option("--requester", required=True, callback=_not_blank, metavar="HỌ_TÊN",
              help="Full name of the person asking for the copies.")
@click.option("--certifier", required=True, callback=_not_blank, metavar="HỌ_TÊN",
              help="Full name of the official who certifies.")
@click.option("--certifier-title", required=True, callback=_not_blank, metavar="CHỨC_DANH",
              help="The certifier's title, e.g. 'Phó Chủ tịch'.")
@click.option("--copies", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Copies made at once; they share one số chứng thực.")
@click.option("--book", metavar="QUYỂN_SỐ", help="Quyển số, e.g. 01/2026 (default 01/<year>).")
@click.option("--document-name", callback=_not_blank, metavar="TÊN",
              help="Name of the original (default: from the index, or the file's title).")
@click.option("--notes", default="", help="Ghi chú for the register.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: its index and register; copies go to OUT/certified/<year>/.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@reports_errors
def certify(source: str, requester: str, certifier: str, certifier_title: str, copies: int,
            book: str | None, document_name: str | None, notes: str, out: Path | None,
            as_json: bool) -> None:
    """Certify SOURCE (document id or PDF/A file): copies with the lời chứng, signed by the
    certifier and the agency, verified, and recorded in the register under one number."""
    from pipeline.certification.issue import CertifyRequest, certify as run, check_request
    from storage.cert_register import CertRegister

    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # pyHanko logs every failed check with a traceback; our refusal says it all
        for name in ("pyhanko", "pyhanko_certvalidator"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    settings = load_settings()
    request = CertifyRequest(source=source, requester=requester, certifier_name=certifier,
                             certifier_title=certifier_title, copies=copies, book=book,
                             out=out, document_name=document_name, notes=notes)
    check_request(request, settings)
    original = _original(request, settings)
    out = Path(request.out or original.out_root)
    with CertRegister(database_url(settings, out)) as book_:
        summary = run(request, original, book_, out, settings)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(summary_text(summary))
    for note in dict.fromkeys(c["pades_fallback"] for c in summary["copies"]
                              if c["pades_fallback"]):
        click.echo(f"Lưu ý: {note}", err=True)
    if summary["test_signatures"]:
        click.echo("Lưu ý: ký bằng chứng thư THỬ NGHIỆM (không có giá trị pháp lý); cấu hình "
                   "SOHOA_SIGNING_P12 và SOHOA_CERTIFIER_P12 để ký thật.", err=True)


def _original(request, settings: Settings):
    """The original named by a path, else by a document id in the output folder's index."""
    from pipeline.certification.original import (
        ArchivedOriginal,
        original_from_archive,
        original_from_file,
    )
    from storage.index import DocumentIndex

    path = Path(request.source)
    if path.is_file():
        return original_from_file(path, settings.agency_name, request.document_name)
    url = database_url(settings, request.out)
    if not_made_yet(url):
        raise CertificationError(f"Không có tệp {request.source}, và {request.out} chưa có chỉ "
                                 "mục tài liệu.")
    with DocumentIndex(url) as index:
        hit = index.get(request.source)
    if hit is None or "pdfa" not in hit.artifacts:
        raise CertificationError(f"Không tìm thấy tài liệu có mã {request.source} (cũng không "
                                 "có tệp nào tên như vậy).")
    try:
        pdfa = hit.path("pdfa").read_bytes()
        signed = hit.path("signed").read_bytes() if "signed" in hit.artifacts else None
    except OSError:
        raise CertificationError(f"Không đọc được tệp PDF/A của tài liệu {request.source}.") \
            from None
    held = ArchivedOriginal(document_id=hit.document_id, indexed_name=_indexed_name(hit),
                            pdfa=pdfa, pdfa_name=hit.path("pdfa").name,
                            pdfa_sha256=hit.sha256.get("pdfa"), signed=signed,
                            out_root=Path(hit.out_root))
    return original_from_archive(held, settings.agency_name, request.document_name)


def _indexed_name(hit) -> str:
    archive = hit.archive or {}
    name = archive.get("TypeName") or hit.document_type or hit.document_id
    code = "/".join(str(p) for p in (archive.get("CodeNumber"), archive.get("CodeNotation")) if p)
    subject = archive.get("Subject")
    return name + (f" số {code}" if code else "") + (f" ({subject})" if subject else "")


def summary_text(s: dict) -> str:
    """A certify summary in Vietnamese, for the clerk."""
    from pipeline.certification.register_entry import money

    out = [f"Đã chứng thực: số {s['number']}, quyển số {s['book_label']}, ngày {s['date']}",
           f"Bản chính: {s['original']['name']} ({s['original']['id']}, "
           f"{s['original']['pages']} trang)",
           f"Người yêu cầu: {s['requester']}; người chứng thực: {s['certifier']}",
           f"Số bản sao: {len(s['copies'])}; lệ phí: {money(s['fee'])} đồng"]
    for i, c in enumerate(s["copies"], 1):
        out += [f"  Bản sao {i}: {Path(s['out_root']) / c['file']}",
                f"    mã kiểm tra {c['code']}, {c['verify_url']} (PAdES {c['pades_level']})"]
    out.append(f"Tóm tắt: {Path(s['out_root']) / s['summary_file']}")
    return "\n".join(out)


@click.group("register")
def register() -> None:
    """The certification register (sổ chứng thực bản sao điện tử)."""


@register.command("export")
@click.option("--year", type=click.IntRange(2000, 9999), required=True)
@click.option("--month", type=click.IntRange(1, 12))
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder whose register to read (unless SOHOA_DATABASE_URL is set).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: CSV on stdout; required for PDF).")
@click.option("--agency", help="Only this certifying agency's register (each agency numbers "
                               "its own; default: every register, agency by agency).")
@reports_errors
def export(year: int, month: int | None, fmt: str, out: Path | None,
           output: Path | None, agency: str | None) -> None:
    """Export a year's (or a month's) register entries."""
    from pipeline.certification.register_pdf import register_pdf
    from storage.cert_register import CertRegister

    if fmt == "pdf" and output is None:
        raise click.UsageError("cần -o TỆP.pdf để xuất sổ dạng PDF.")
    settings = load_settings()
    url = database_url(settings, out)
    if not_made_yet(url):
        raise click.UsageError(f"không có sổ chứng thực trong {out} (chưa chứng thực lần nào).")
    with CertRegister(url) as book:
        if fmt == "pdf":
            output.write_bytes(register_pdf(book.entries(year, month, within=agency),
                                            settings.agency_name, year, month))
        elif output is not None:  # Excel reads UTF-8 with a BOM
            output.write_text(book.export_csv(year, month, within=agency), "utf-8-sig")
        else:
            click.echo(book.export_csv(year, month, within=agency), nl=False)


if __name__ == "__main__":
    certify()
