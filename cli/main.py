"""The `sohoa` command. Messages for archive staff are Vietnamese; logs are English.

Exit codes (cli/errors.py): 0 every document done (or waiting for review), 1 a document
failed, 2 usage or configuration, 130 stopped by Ctrl-C (what was finished is kept; the
same command finishes the rest).
"""
from __future__ import annotations

import json
import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, reports_errors
from cli.terminal import inert
from pipeline.core.result import DocumentSummary
from pipeline.core.settings import Settings, load_settings

# Piped output (logs, CI) gets a wide console so the report never folds file names.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
STATUS_VI = {"done": "xong", "needs_review": "cần kiểm tra", "failed": "lỗi"}


class PagesPerSecond(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} trang/giây" if speed else "… trang/giây", style="cyan")


@click.group()
@click.version_option(version("sohoa"), prog_name="sohoa")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
def main(verbose: bool) -> None:
    """sohoa: scanned dossiers to signed, searchable PDF/A records."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per subset table


@main.command()
@click.argument("batch", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (results, PDF/A, signed copies, object store).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Pages worked on at once.")
@reports_errors
def process(batch: Path, out: Path, concurrency: int | None) -> None:
    """Digitize every document of BATCH into OUT."""
    from workers.runner import run_batch

    batch, out = batch.resolve(), out.resolve()
    if out == batch or out.is_relative_to(batch):
        raise click.UsageError("--out must not be inside the batch folder.")
    settings = _page_settings(concurrency)
    _check_signing_identity(settings)
    columns = (TextColumn("Đang số hóa"), BarColumn(), MofNCompleteColumn(), TextColumn("trang"),
               PagesPerSecond(), TextColumn("còn"), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            results = run_batch(batch, out, settings, _ProgressBar(bar))
    except KeyboardInterrupt:
        console.print("Đã dừng theo yêu cầu. Các tài liệu đã xong được giữ nguyên; "
                      "chạy lại đúng lệnh này để làm tiếp phần còn lại.")
        sys.exit(EXIT_INTERRUPTED)
    _report(results, out)
    sys.exit(EXIT_FAILED if any(r.status == "failed" for r in results) else EXIT_OK)


def _page_settings(concurrency: int | None) -> Settings:
    """Settings of a command that works on pages: the process tuned for it, and the
    programs and models it needs checked before any work starts (ToolMissing: exit 2)."""
    from pipeline.tools.probe import probe_tools
    from workers.tuning import tune_for_pages

    settings = load_settings()
    if concurrency:
        settings.concurrency = concurrency
    tune_for_pages(settings.limits())
    probe_tools(settings.ocr())
    return settings


class _ProgressBar:
    """workers.progress.BatchProgress on a rich progress bar of pages."""

    def __init__(self, bar: Progress):
        self.bar, self.task = bar, bar.add_task("pages", total=None)

    def planned(self, pages: int, documents: int) -> None:
        self.bar.update(self.task, total=pages)

    def pages_done(self, count: int) -> None:
        self.bar.advance(self.task, count)

    def document_done(self, summary: DocumentSummary) -> None:
        pass

    def waiting(self, status) -> None:  # workers.progress.Waiting
        console.print(waiting_line(status))


def waiting_line(status) -> str:
    """One line for the operator: what the run waits for, and until when."""
    workers = ("không rõ số worker (hàng đợi không trả lời)" if status.workers is None
               else f"{status.workers} worker đang nhận việc")
    return (f"Đang chờ máy xử lý trên hàng đợi {inert(status.queue)}: còn {status.pages} trang, "
            f"{status.documents} tài liệu; {workers}; {status.idle_s:.0f} giây chưa có tiến triển "
            f"(dừng chờ sau {status.deadline_s:.0f} giây).")


def _check_signing_identity(settings: Settings) -> None:
    """A wrong key or passphrase is the operator's mistake: say so before any work starts."""
    from pipeline.core.errors import ConfigurationError, IdentityError
    from pipeline.signing.configured import describe_agency_identity

    try:
        _, is_test = describe_agency_identity(settings)
    except IdentityError as exc:  # the clerk's sentence, exit 2 (cli/errors.py)
        raise ConfigurationError(exc.message, exc.code, detail=exc.detail) from exc
    except OSError as exc:  # a passphrase file
        raise ConfigurationError(f"Không đọc được tệp {exc.filename}.", "identity_unreadable",
                                 detail=str(exc)) from exc
    if is_test:
        console.print("[yellow]Ký bằng chứng thư THỬ NGHIỆM (không có giá trị pháp lý); "
                      "cấu hình SOHOA_SIGNING_P12 để ký thật.[/]")


def _report(results: list[DocumentSummary], out: Path) -> None:
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUS_VI}
    skipped = sum(1 for r in results if r.skipped)
    console.print(f"[bold]{len(results)} tài liệu[/]: [green]{counts['done']} xong[/], "
                  f"[yellow]{counts['needs_review']} cần kiểm tra[/], [red]{counts['failed']} lỗi[/]"
                  + (f" ({skipped} đã xong từ lần chạy trước)" if skipped else ""))
    attention = [r for r in results if r.status != "done"]
    if attention:
        table = Table("Tài liệu", "Trạng thái", "Lý do", show_lines=False)
        for r in sorted(attention, key=lambda r: (r.status, r.source)):
            reason = r.error or "; ".join(r.review)
            table.add_row(inert(r.source), STATUS_VI[r.status], inert(reason))
        console.print(table)
    console.print(f"Kết quả: {inert(out)}")


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--per-type", type=click.IntRange(1, 10000), default=3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--family", type=click.Choice(["standard", "realistic"]), default="standard", show_default=True,
              help="realistic: phone photos, aged paper, other form generations, tiny inputs "
                   "(measurement only; seeds 1000-1999 tuning, 9000+ hold-out).")
@click.option("--clean", is_flag=True, help="No degradations, no rotation or skew (standard family).")
@click.option("--degraded", is_flag=True, help="Every document degraded, a stress batch (standard family).")
def samples(out: Path, per_type: int, seed: int, family: str, clean: bool, degraded: bool) -> None:
    """Write a batch of synthetic scans with truth.json (ground truth) into OUT."""
    if clean and degraded:
        raise click.UsageError("--clean and --degraded exclude each other.")
    if family == "realistic" and (clean or degraded):
        raise click.UsageError("--clean and --degraded belong to the standard family.")
    try:
        if family == "realistic":
            from samples.realistic import split_of
            from samples.realistic.generate import generate_realistic

            truth = generate_realistic(out, per_type, seed)
            part = {"tuning": "bộ tinh chỉnh", "hold-out": "bộ kiểm tra độc lập (chỉ để đo, không xem "
                    "khi tinh chỉnh)", "other": "ngoài hai bộ cố định"}[split_of(seed)]
            console.print(f"Bộ mẫu sát thực tế, hạt giống {seed}: {part}")
        else:
            from samples.generate import generate_batch

            options = {"degraded_ratio": 0.0, "rotations": False, "max_skew": 0.0} if clean else \
                {"degraded_ratio": 1.0} if degraded else {}
            truth = generate_batch(out, per_type, seed, **options)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    console.print(f"Đã tạo bộ ảnh mẫu: {truth.parent} (dữ liệu chuẩn: {truth.name})")


@main.command()
@click.option("--concurrency", type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--work", type=click.Choice(["all", "pages", "documents"]), default="all",
              show_default=True, help="Work class taken: page work, document assembly, or both.")
@reports_errors
def worker(concurrency: int | None, work: str) -> None:
    """Run a Celery worker (needs SOHOA_BROKER_URL). SIGTERM: finish the current tasks, stop."""
    settings = _page_settings(concurrency)
    if not settings.broker_url:
        raise click.UsageError("set SOHOA_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker.")
    from workers.celery_app import WORK_CLASSES, configure_app, queue_for

    queues = [queue_for(settings, w) for w in (WORK_CLASSES if work == "all" else (work,))]
    # SIGTERM is Celery's warm shutdown: no new task is taken, the running ones finish and
    # are acknowledged; what the worker had reserved goes back to the queue.
    argv = ["worker", "--loglevel=INFO", f"--concurrency={settings.concurrency}",
            f"--queues={','.join(queues)}", f"--hostname=sohoa-{work}-{os.getpid()}@%h"]
    configure_app(settings).worker_main(argv)


@main.command(name="eval")
@click.argument("batch", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mistakes", is_flag=True,
              help="List every wrong or missing field, then the wrong values inside done documents.")
def evaluate(batch: Path, out: Path, mistakes: bool) -> None:
    """Measure accuracy of OUT against BATCH/truth.json (a generated batch)."""
    from samples.accuracy import evaluate as run, print_report

    if not (batch / "truth.json").is_file():
        raise click.UsageError(f"{batch} has no truth.json (make one with `sohoa samples`).")
    report = run(batch, out)
    print_report(report, Console(width=None if sys.stdout.isatty() else 160))
    if mistakes and json.loads((batch / "truth.json").read_text("utf-8")).get("split") == "hold-out":
        console.print("[bold yellow]Bộ kiểm tra độc lập (hold-out): chỉ dùng để đo; không tinh chỉnh "
                      "theo các lỗi dưới đây (xem samples/realistic/__init__.py).[/]")
    for source, key, expected, got in report.mistakes if mistakes else []:
        console.print(inert(f"{source}  {key}: cần {expected!r}, đọc được {got!r}"))
    if mistakes and report.silent:
        console.print("[bold red]Lỗi im lặng (trong tài liệu đã xong):[/]")
        for source, key, expected, got in report.silent:
            console.print(inert(f"{source}  {key}: cần {expected!r}, đọc được {got!r}"))


def _register_commands() -> None:
    from cli.audit import audit
    from cli.certify import certify, register
    from cli.find import find
    from cli.health import health
    from cli.serve import audit_trail, serve, token
    from cli.users import user
    from cli.verify import verify

    for command in (find, verify, certify, register, serve, token, user, audit_trail, audit,
                    health):
        main.add_command(command)


_register_commands()

if __name__ == "__main__":
    main()
