"""`sohoa find`: look up indexed documents by full text, owner, type and field values.

A table for people (Vietnamese headers), JSON for other systems (--json). Exit 0 whether
anything was found or not, 2 on usage errors.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from cli.database import database_url, not_made_yet
from cli.errors import reports_errors
from cli.terminal import inert
from pipeline.core.settings import load_settings

STATUS_VI = {"done": "xong", "needs_review": "cần kiểm tra"}
# The field that best says who or what a document is about, per type (first present wins).
_SUMMARY_FIELDS = ("ho_ten", "chong_ho_ten", "nguoi_su_dung", "trich_yeu")
NOT_FOUND = "Không tìm thấy tài liệu nào phù hợp."


def _field_filters(_ctx, _param, values: tuple[str, ...]) -> dict[str, str]:
    filters = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"cần dạng khóa=giá trị, ví dụ ho_ten=Nguyễn Văn An: {item!r}")
        filters[key.strip()] = value
    return filters


def _database_url(out: Path | None) -> str:
    url = database_url(load_settings(), out)
    if not_made_yet(url):
        raise click.UsageError(f"không có chỉ mục tài liệu trong {out} (chưa chạy sohoa process?).")
    return url


@click.command()
@click.argument("query", required=False)
@click.option("--owner", metavar="SỐ_ĐỊNH_DANH", help="Documents about this person (12 digits).")
@click.option("--type", "document_type", metavar="LOẠI", help="Document type, e.g. giay_khai_sinh.")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE", callback=_field_filters,
              help="Field value, accents and case ignored; repeatable.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout, for other systems.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder whose index to search (unless SOHOA_DATABASE_URL is set).")
@reports_errors
def find(query: str | None, owner: str | None, document_type: str | None,
         fields: dict[str, str], page: int, per_page: int, as_json: bool,
         out: Path | None) -> None:
    """Find indexed documents: full-text QUERY ("quoted phrase" allowed), filtered by owner,
    type and field values; without QUERY, every document matching the filters."""
    from storage.index import DocumentIndex

    if owner is not None and not (owner.strip().isdigit() and len(owner.strip()) == 12):
        raise click.BadParameter("số định danh cá nhân gồm đúng 12 chữ số.", param_hint="--owner")
    with DocumentIndex(_database_url(out)) as index:
        if query and query.strip():
            found = index.search(query, document_type=document_type, fields=fields, owner=owner,
                                 page=page, per_page=per_page)
        else:
            found = index.find_fields(document_type=document_type, fields=fields, owner=owner,
                                      page=page, per_page=per_page)
    if as_json:
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        if not found.total:
            click.echo(NOT_FOUND, err=True)
        return
    console = Console(width=None if sys.stdout.isatty() else 200)
    if not found.total:
        console.print(NOT_FOUND)
        return
    console.print(_table(found, searched=bool(query and query.strip())))
    console.print(f"Trang {found.page}/{max(found.pages, 1)}: {len(found.items)} trong tổng số "
                  f"{found.total} tài liệu.")


def _table(found, *, searched: bool) -> Table:
    table = Table("STT", "Mã tài liệu", "Loại giấy tờ", "Số/ký hiệu", "Ngày",
                  "Trích đoạn" if searched else "Nội dung", "Trạng thái", "Tệp đã ký")
    first = (found.page - 1) * found.per_page
    for number, hit in enumerate(found.items, start=first + 1):
        reuse = hit.reuse_record()
        summary = hit.snippet if searched else next(
            (str(hit.fields[k]) for k in _SUMMARY_FIELDS if hit.fields.get(k)), "")
        if searched and hit.pages:
            summary = f"(trang {', '.join(str(p + 1) for p in hit.pages)}) {summary or ''}"
        cells = (str(number), hit.document_id, reuse["TenGiayTo"] or "không xác định",
                 reuse["so_ky_hieu"] or "", reuse["issued_date"] or "", summary,
                 STATUS_VI.get(hit.status, hit.status),
                 str(hit.path()) if "signed" in hit.artifacts else "")
        table.add_row(*map(inert, cells))  # OCR text and paths: never markup
    return table
