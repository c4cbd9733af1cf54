"""Recording finished documents in the index, from the client that runs the batch.

One writer (the client) keeps SQLite happy and workers free of a database connection;
recording is idempotent, so a document finished before a crash is simply recorded again
on the next run.
"""
from __future__ import annotations

import logging
from pathlib import Path

from pipeline.core.result import DocumentResult, DocumentSummary
from pipeline.core.settings import Settings
from pipeline.understand.doctypes import load_types
from storage.transient import retry_transient

log = logging.getLogger("sohoa.indexing")


class IndexRecorder:
    def __init__(self, settings: Settings, out: Path, result_paths: dict[str, str]):
        from storage.index import DocumentIndex

        self.out = out
        self.index = DocumentIndex(settings.database_for(out))
        self.types = load_types(settings.extra_schema_dirs())
        self.result_paths = result_paths  # source -> result.json path relative to out
        self.retry_budget_s = settings.retry_budget_s

    def record(self, summary: DocumentSummary) -> None:
        if summary.status == "failed" or summary.source not in self.result_paths:
            return
        path = self.out / self.result_paths[summary.source]
        result = DocumentResult.from_json(path.read_bytes())
        known = (retry_transient(lambda: self.index.get(result.document_id),
                                 budget_s=self.retry_budget_s, what="index lookup")
                 if summary.skipped else None)
        if known is not None and known.sha256 == result.sha256:
            return  # a re-run: already recorded, the database is left untouched
        # A database outage is waited out; recording again is harmless (an upsert).
        retry_transient(lambda: index_result(self.index, self.types, result.to_json_dict(),
                                             self.out),
                        budget_s=self.retry_budget_s, what=f"index {result.document_id}")

    def close(self) -> None:
        self.index.close()


def index_result(index, types: dict, result: dict, out_root: Path) -> None:
    """Index one result (result.json's content) with its owners and archive metadata,
    from its type's rules (also the archive service's way: workers/archive_record.py)."""
    doc_type = types.get(result.get("document_type") or "")
    fields = result.get("fields") or {}
    owners = doc_type.owners_of(fields) if doc_type else []
    pages = len(result.get("pages") or [])
    archive = doc_type.archive_metadata(fields, pages) if doc_type else None
    index.record(result, out_root=str(out_root), owners=owners, archive=archive)
