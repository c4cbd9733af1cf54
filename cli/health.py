"""`sohoa health`: is this deployment's part up? For container health checks: exit 0 when
every configured service answers (broker, database, object store; a worker on this host
with --worker; a URL with --url), 1 otherwise, one Vietnamese line per check on stderr."""
from __future__ import annotations

import socket
import sys
import urllib.request
from collections.abc import Callable

import click

from cli.errors import EXIT_FAILED, EXIT_OK
from pipeline.core.settings import Settings, load_settings


@click.command("health")
@click.option("--worker", is_flag=True, help="Require a Celery worker on this host to answer.")
@click.option("--url", help="Require this URL to answer 200 (e.g. the API's /api/v1/health).")
def health(worker: bool, url: str | None) -> None:
    """Check the broker, database and object store configured, and optionally a worker or URL."""
    settings = load_settings()
    checks: list[tuple[str, Callable[[], None]]] = []
    if settings.broker_url:
        checks.append(("hàng đợi (broker)", lambda: _broker(settings)))
    if settings.database_url:
        checks.append(("cơ sở dữ liệu", lambda: _database(settings.database_url or "")))
    if settings.s3_endpoint:
        checks.append(("kho lưu trữ S3", lambda: _s3(settings)))
    if worker:
        checks.append(("worker trên máy này", lambda: _worker(settings)))
    if url:
        checks.append((url, lambda: _url(url)))
    failed = 0
    for name, check in checks:
        try:
            check()
            click.echo(f"{name}: tốt", err=True)
        except Exception as exc:  # any failure is "not healthy", named with its reason
            failed += 1
            click.echo(f"{name}: KHÔNG trả lời ({type(exc).__name__}: {exc})", err=True)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


def _broker(settings: Settings) -> None:
    from workers.celery_app import configure_app

    with configure_app(settings).connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=5)


def _database(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _s3(settings: Settings) -> None:
    from minio import Minio

    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
    client = Minio(settings.s3_endpoint or "", access_key=settings.s3_access_key,
                   secret_key=secret, secure=settings.s3_secure, region=settings.s3_region)
    client.bucket_exists(settings.s3_bucket)


def _worker(settings: Settings) -> None:
    from workers.celery_app import configure_app

    here = f"@{socket.gethostname()}"
    answers = configure_app(settings).control.ping(timeout=3.0) or []
    if not any(name.endswith(here) for answer in answers for name in answer):
        raise RuntimeError(f"no worker {here} answered")


def _url(url: str) -> None:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (operator's own URL)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
