"""`sohoa serve`: the archive service on uvicorn; `sohoa token …`: agencies' tokens;
`sohoa audit-trail …`: check and export the audit trail. They all work on one archive:
--data DIR (an output folder of `sohoa process` is one), default SOHOA_DATA_DIR, else
<SOHOA_HOME>/archive."""
from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from cli.errors import reports_errors
from pipeline.core.settings import Settings, load_settings

_data = click.option("--data", type=click.Path(file_okay=False, path_type=Path),
                     help="The archive's folder (default: SOHOA_DATA_DIR or <SOHOA_HOME>/archive).")


def _settings(data: Path | None) -> Settings:
    settings = load_settings()
    settings.data_dir = (data or settings.archive_dir()).resolve()
    return settings


def _database(settings: Settings):
    from storage.archive import ArchiveDatabase

    settings.data_dir.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
    return ArchiveDatabase(settings.database_for(settings.archive_dir()))


@click.command("serve")
@_data
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 64), help="Pages worked on at once.")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Server processes answering requests (default SOHOA_API_WORKERS, 1).")
@reports_errors
def serve(data: Path | None, host: str, port: int, concurrency: int | None,
          workers: int | None) -> None:
    """Serve the archive's REST API (OpenAPI at /api/v1/openapi.json).

    With --workers N, N processes share the port (uvicorn's workers): Python answers
    about one core's worth of requests per process. Rate limits, idempotency keys, the
    audit chain, job state and webhook deliveries live in the database, so they hold
    across processes; each process runs the jobs it accepted, one at a time."""
    import uvicorn

    from cli.main import _check_signing_identity, _page_settings

    settings = _page_settings(concurrency)  # tuned and probed: jobs run in this process
    settings.data_dir = (data or settings.archive_dir()).resolve()
    _check_signing_identity(settings)
    workers = workers or settings.api_workers
    click.echo(f"Kho lưu trữ: {settings.data_dir}; API: http://{host}:{port}/api/v1/docs"
               + (f"; {workers} tiến trình" if workers > 1 else ""), err=True)
    if workers == 1:
        from api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                    proxy_headers=False)
        return
    # the worker processes make their app from the environment (app_factory)
    os.environ["SOHOA_DATA_DIR"] = str(settings.data_dir)
    os.environ["SOHOA_CONCURRENCY"] = str(settings.concurrency)
    uvicorn.run("cli.serve:app_factory", factory=True, workers=workers, host=host, port=port,
                log_level="info", proxy_headers=False)


def app_factory():
    """The app of one worker process of `sohoa serve --workers N` (settings from the
    environment `serve` set)."""
    from api.app import create_app
    from cli.main import _page_settings

    return create_app(_page_settings(None))


def _expiry(text: str | None) -> datetime | None:
    """'90d', '12h', or an ISO date/time; None: never expires."""
    if not text:
        return None
    match = re.fullmatch(r"(\d+)([dh])", text.strip())
    if match:
        unit = {"d": "days", "h": "hours"}[match[2]]
        return datetime.now(UTC) + timedelta(**{unit: int(match[1])})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("dùng dạng 90d, 12h hoặc ngày giờ ISO.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@click.group("token")
def token() -> None:
    """Service tokens of agencies (shown once, stored only as a hash)."""


@token.command("create")
@_data
@click.option("--agency", required=True, help="Agency code (starts its mã hồ sơ), e.g. H00.00.00.00.")
@click.option("--agency-name", help="The agency's display name, printed on the copies it "
                                    "certifies (sets or changes it).")
@click.option("--scopes", help="Comma-separated: dossiers:write, documents:read, persons:read, "
                               "copies:issue, audit:read, admin.")
@click.option("--role", type=click.Choice(["clerk", "reviewer", "certifier", "auditor",
                                           "agency_admin"]), help="A staff role's scopes.")
@click.option("--label", default="", help="What the token is for.")
@click.option("--expires", help="90d, 12h or an ISO date (default: never).")
@reports_errors
def token_create(data: Path | None, agency: str, agency_name: str | None, scopes: str | None,
                 role: str | None, label: str, expires: str | None) -> None:
    """Create a token; it is printed once, on stdout."""
    from storage.tokens import ROLES

    chosen = [s.strip() for s in (scopes or "").split(",") if s.strip()]
    chosen += list(ROLES[role]) if role else []
    if not chosen:
        raise click.UsageError("cần --scopes hoặc --role.")
    with _database(_settings(data)) as db:
        try:
            db.tokens.ensure_agency(agency, agency_name)
            made = db.tokens.create(agency, chosen, label=label, expires_at=_expiry(expires))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        db.audit.append(actor="cli", action="token.created", object_type="token",
                        object_id=made.record.id, agency_code=agency,
                        changes={"scopes": sorted(made.record.scopes), "label": label})
    click.echo(f"Mã truy cập {made.record.id} của {agency} ({', '.join(sorted(made.record.scopes))}"
               f"); chỉ hiện một lần:", err=True)
    click.echo(made.token)


@token.command("list")
@_data
@click.option("--agency", help="Only this agency's tokens.")
def token_list(data: Path | None, agency: str | None) -> None:
    """Tokens (never their secrets) as JSON lines."""
    with _database(_settings(data)) as db:
        for t in db.tokens.list(agency):
            click.echo(json.dumps({"id": t.id, "agency": t.agency_code, "label": t.label,
                                   "scopes": sorted(t.scopes), "created_at": str(t.created_at),
                                   "expires_at": str(t.expires_at) if t.expires_at else None,
                                   "revoked_at": str(t.revoked_at) if t.revoked_at else None,
                                   "last_used_at": str(t.last_used_at) if t.last_used_at else None},
                                  ensure_ascii=False))


@token.command("revoke")
@_data
@click.argument("token_id")
def token_revoke(data: Path | None, token_id: str) -> None:
    """Revoke a token by its id."""
    with _database(_settings(data)) as db:
        if not db.tokens.revoke(token_id):
            click.echo(f"Không có mã truy cập {token_id} (hoặc đã thu hồi).", err=True)
            sys.exit(1)
        db.audit.append(actor="cli", action="token.revoked", object_type="token",
                        object_id=token_id)
    click.echo(f"Đã thu hồi mã truy cập {token_id}.", err=True)


@click.group("audit-trail")
def audit_trail() -> None:
    """The audit trail of the archive service (`sohoa audit` is object fixity)."""


@audit_trail.command("verify")
@_data
def audit_verify(data: Path | None) -> None:
    """Check the hash chain: exit 1 if an event was removed or edited."""
    with _database(_settings(data)) as db:
        problems, count = db.audit.verify(), db.audit.count()
    for p in problems:
        click.echo(f"Lỗi: {p.message}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"Nhật ký kiểm toán nguyên vẹn: {count} sự kiện, chuỗi băm khớp.", err=True)


@audit_trail.command("export")
@_data
@click.option("--agency", help="Only this agency's events.")
def audit_export(data: Path | None, agency: str | None) -> None:
    """Events as NDJSON on stdout."""
    with _database(_settings(data)) as db:
        for event in db.audit.events(agency):
            click.echo(json.dumps(event.to_dict(), ensure_ascii=False))
