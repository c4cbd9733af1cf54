"""The one configuration of sohoa: environment variables (prefix SOHOA_), with defaults
that need none (local object store under the output folder, in-process execution, a test
signing identity).

Each entry point (a CLI command, a Celery worker, the service) builds one Settings and
passes it down; nothing below reads the environment. Process-wide tuning for the commands
that work on pages is one explicit call, :func:`workers.tuning.tune_for_pages`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.core.errors import ConfigurationError
from pipeline.core.model import Limits, OcrOptions

PadesLevelName = Literal["B-B", "B-T", "B-LT", "B-LTA"]


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "sohoa"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    # Who digitizes: printed on the stamp; the code starts every mã hồ sơ.
    agency_name: str = "ĐƠN VỊ SỐ HÓA THỬ NGHIỆM"
    agency_code: str = "H00.00.00.00"
    # Outside the repository and any output folder: the test identity lives here.
    home: Path = Field(default_factory=_default_home)
    # A real signing identity: PKCS#12 file and its passphrase (value or file).
    signing_p12: Path | None = None
    signing_passphrase: SecretStr | None = None
    signing_passphrase_file: Path | None = None

    # Certified copies: the certifier's own PKCS#12 and its passphrase (value or file).
    certifier_p12: Path | None = None
    certifier_passphrase: SecretStr | None = None
    certifier_passphrase_file: Path | None = None
    # PAdES level of new signatures (B-B, B-T, B-LT, B-LTA), lowest fallback, timestamp server.
    signing_level: PadesLevelName = "B-B"
    signing_min_level: PadesLevelName | None = None
    tsa_url: str | None = None

    # Celery is used when a broker is configured; otherwise pages run in this process.
    broker_url: str | None = None
    result_backend: str | None = None
    # The broker queue clients send to and workers take from: deployments sharing one
    # broker (or test runs sharing a Redis) keep apart by their queue.
    queue: str = "celery"
    # Pages worked on at once: threads of the local executor, processes of a Celery worker.
    concurrency: int = max(1, os.cpu_count() or 1)
    # Hard time limits of the two work classes (a Celery worker kills a task past them). The
    # longest bounds the broker's redelivery below: a message is never handed to a second
    # worker while the first may still be working on it.
    page_time_limit_s: int = 600
    document_time_limit_s: int = 600
    # After how long an unacknowledged message (its worker died) goes back to the queue
    # (Redis/SQS transports); default: the longest stage's limit plus a minute.
    broker_visibility_timeout_s: int | None = None
    # The client (`sohoa process`, the service) gives up on documents when nothing has
    # finished for this long, and says what it waits for every `wait_report_s`.
    wait_deadline_s: float = 1800.0
    wait_report_s: float = 30.0
    # Pages sent to the broker at once by one client (memory of the broker and the client).
    celery_window: int = 256
    # A Celery worker process is replaced after this many tasks or past this much memory.
    worker_max_tasks_per_child: int = 500
    worker_max_memory_mb: int = 1500
    # Transient outages (object store, database, broker) are retried with back-off for up to
    # this long before the step fails.
    retry_budget_s: float = 120.0

    # The index and dossier registry: SQLAlchemy URL; default SQLite under the output folder.
    database_url: str | None = None
    # S3 object store (radosgw, MinIO, AWS); default: local files under the output folder.
    s3_endpoint: str | None = None  # host:port
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_bucket: str = "sohoa"
    s3_secure: bool = True
    s3_region: str | None = None
    # Where citizens verify certified copies: <public_base_url>/verify/<copy id>.
    public_base_url: str = "http://localhost:8000"

    # The archive service (`sohoa serve`): its data folder (default <home>/archive), the
    # largest request body it reads (uploads are refused while streaming past it), and
    # verification look-ups allowed per client address and minute.
    data_dir: Path | None = None
    api_max_upload_bytes: int = 256 * 2**20
    api_verify_per_minute: int = 30
    # Webhooks: a failed delivery is tried again after backoff × 2^(attempt-1) seconds, up
    # to this many attempts in all; each attempt waits this long for the receiver.
    webhook_backoff_s: float = 30.0
    webhook_max_attempts: int = 8
    webhook_timeout_s: float = 10.0
    # Receivers on loopback, link-local or private addresses are refused (at registration
    # and at every delivery) unless this is set: for tests and on-premises receivers.
    webhook_allow_private: bool = False
    # `sohoa serve`: server processes (uvicorn workers) answering requests; --workers.
    api_workers: int = 1

    # Extra document types: folders of <type>.schema.json + <type>.rules.json (os.pathsep-separated).
    schema_dirs: str = ""

    # Extra trusted CA certificates (PEM/DER paths, os.pathsep-separated) for verification.
    trust_roots: str = ""

    # Tesseract's model (`vie` is faster, less accurate) and where its models are.
    ocr_language: str = "Vietnamese"
    tessdata_dir: str | None = None
    ocr_timeout_s: float = OcrOptions.timeout_s  # per page; a page past it fails alone
    max_pages: int = Limits.max_pages
    max_page_pixels: int = Limits.max_page_pixels
    max_file_bytes: int = Limits.max_file_bytes

    def visibility_timeout_s(self) -> int:
        """Redelivery bound of the broker: never below the longest stage's time limit."""
        longest = max(self.page_time_limit_s, self.document_time_limit_s)
        return max(self.broker_visibility_timeout_s or longest + 60, longest + 5)

    def limits(self) -> Limits:
        return Limits(max_file_bytes=self.max_file_bytes, max_pages=self.max_pages,
                      max_page_pixels=self.max_page_pixels)

    def ocr(self) -> OcrOptions:
        return OcrOptions(language=self.ocr_language, tessdata_dir=self.tessdata_dir,
                          timeout_s=self.ocr_timeout_s)

    def extra_schema_dirs(self) -> tuple[str, ...]:
        return _paths(self.schema_dirs)

    def trust_root_paths(self) -> tuple[str, ...]:
        return _paths(self.trust_roots)

    def database_for(self, out_root: Path) -> str:
        return self.database_url or f"sqlite:///{Path(out_root) / '.sohoa' / 'sohoa.sqlite'}"

    def archive_dir(self) -> Path:
        return self.data_dir or self.home / "archive"

    def passphrase(self) -> bytes | None:
        return _secret(self.signing_passphrase, self.signing_passphrase_file)

    def certifier_passphrase_bytes(self) -> bytes | None:
        return _secret(self.certifier_passphrase, self.certifier_passphrase_file)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad value is the operator's ConfigurationError,
    naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        wrong = ", ".join(f"SOHOA_{'_'.join(map(str, e['loc'])).upper()}" for e in exc.errors())
        raise ConfigurationError(f"Giá trị cấu hình không hợp lệ: {wrong}.",
                                 "bad_setting", detail=str(exc)) from None


def _paths(listed: str) -> tuple[str, ...]:
    return tuple(p for p in listed.split(os.pathsep) if p)


def _secret(value: SecretStr | None, file: Path | None) -> bytes | None:
    """A passphrase given as a value or as a file (outside the repository)."""
    if value is not None:
        return value.get_secret_value().encode()
    if file is not None:
        return file.read_bytes().strip()
    return None
