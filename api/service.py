"""What every request of one app shares: the archive, the job runner, the rate limiter,
and the helpers routes use to reach them (FastAPI dependencies)."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.ratelimit import RateLimiter
from pipeline.core.settings import Settings
from storage.archive import ArchiveDatabase
from workers.archive import Archive
from workers.archive_jobs import JobRunner
from workers.webhooks import Dispatcher


@dataclass
class Service:
    archive: Archive
    runner: JobRunner
    verify_limiter: RateLimiter
    webhooks: Dispatcher

    @property
    def db(self) -> ArchiveDatabase:
        return self.archive.db

    @property
    def settings(self) -> Settings:
        return self.archive.settings


def service(request: Request) -> Service:
    return request.app.state.service


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)
