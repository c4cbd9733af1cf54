"""How a batch reports its progress to whoever runs it (the CLI's progress bar, the
service's job record): one small protocol instead of loose callbacks."""
from __future__ import annotations

from typing import Protocol

from pipeline.core.result import DocumentSummary


class BatchProgress(Protocol):
    def planned(self, pages: int, documents: int) -> None:
        """The batch is planned: `pages` to work on, `documents` in all."""

    def pages_done(self, count: int) -> None:
        """`count` more pages are finished."""

    def document_done(self, summary: DocumentSummary) -> None:
        """A document is finished (or was finished by an earlier run)."""


class SilentProgress:
    """Progress nobody watches (tests, library use)."""

    def planned(self, pages: int, documents: int) -> None:
        pass

    def pages_done(self, count: int) -> None:
        pass

    def document_done(self, summary: DocumentSummary) -> None:
        pass
