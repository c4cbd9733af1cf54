"""How a batch reports its progress to whoever runs it (the CLI's progress bar, the
service's job record): one small protocol instead of loose callbacks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pipeline.core.result import DocumentSummary


@dataclass(frozen=True)
class Waiting:
    """What a client waiting on workers waits for (nothing finished for `idle_s`)."""

    pages: int  # pages not back yet
    documents: int  # documents not finished yet
    idle_s: float
    deadline_s: float  # it gives up after this long without progress
    queue: str
    workers: int | None  # workers taking the queue; None: the broker did not answer


class BatchProgress(Protocol):
    def planned(self, pages: int, documents: int) -> None:
        """The batch is planned: `pages` to work on, `documents` in all."""

    def pages_done(self, count: int) -> None:
        """`count` more pages are finished."""

    def document_done(self, summary: DocumentSummary) -> None:
        """A document is finished (or was finished by an earlier run)."""

    def waiting(self, status: Waiting) -> None:
        """Nothing finished for a while: what is still out (the Celery executor)."""


class SilentProgress:
    """Progress nobody watches (tests, library use)."""

    def planned(self, pages: int, documents: int) -> None:
        pass

    def pages_done(self, count: int) -> None:
        pass

    def document_done(self, summary: DocumentSummary) -> None:
        pass

    def waiting(self, status: Waiting) -> None:
        pass
