"""`sohoa audit`: the fixity check of an output folder or archive (storage.fixity).

Exit 0 when every object and published file matches its SHA-256, 1 when any is missing or
corrupt (each is listed), 2 on usage errors. Run it on a schedule, as archives do.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from cli.errors import EXIT_FAILED, EXIT_OK, reports_errors
from cli.terminal import inert
from pipeline.core.settings import load_settings

PROBLEM_VI = {"missing": "thiếu", "corrupt": "hỏng (sai mã băm)"}


@click.command("audit")
@click.option("--out", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Output folder of `sohoa process`, or the archive's data folder.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON on stdout.")
@reports_errors
def audit(out: Path, as_json: bool) -> None:
    """Re-hash every stored object against the index; report missing and corrupt ones."""
    from storage.fixity import audit as run_audit, expected_from_index
    from storage.index import DocumentIndex
    from workers.graph import Context

    out = out.resolve()
    settings = load_settings()
    if not settings.database_url and not (out / ".sohoa" / "sohoa.sqlite").is_file():
        raise click.UsageError(f"{out} chưa có chỉ mục (không phải thư mục kết quả của sohoa).")
    with DocumentIndex(settings.database_for(out)) as index:
        expected = expected_from_index(index, out)
    report = run_audit(Context(settings, out).store, expected, out)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print(report, Console(stderr=True, width=None if sys.stderr.isatty() else 200))
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


def _print(report, console: Console) -> None:
    verdict = "[green]toàn vẹn[/]" if report.ok else "[bold red]CÓ LỖI[/]"
    console.print(f"Kiểm tra toàn vẹn: {report.objects_checked} đối tượng lưu trữ, "
                  f"{report.files_checked} tệp đã công bố; {report.count('missing')} thiếu, "
                  f"{report.count('corrupt')} hỏng: {verdict}")
    if report.findings:
        table = Table("Đối tượng / tệp", "Vấn đề", "Thuộc tài liệu")
        for f in report.findings:
            table.add_row(inert(f.key), PROBLEM_VI[f.problem], inert(", ".join(f.used_by) or "—"))
        console.print(table)
