"""Celery executor: each document is a chord, its pages fanned out to whatever workers
listen on the broker, its assembly the chord's callback."""
from __future__ import annotations

import logging
import time

from celery import chord
from celery.result import AsyncResult

from pipeline.core.result import DocumentSummary
from pipeline.core.settings import Settings
from workers import graph
from workers.graph import DocumentJob
from workers.progress import BatchProgress

log = logging.getLogger("sohoa.celery")
POLL_S = 0.3


def run_jobs(jobs: list[DocumentJob], settings: Settings,
             progress: BatchProgress) -> list[DocumentSummary]:
    from workers.celery_app import assemble, configure_app, process_page

    configure_app(settings)
    pending: dict[AsyncResult, DocumentJob] = {}
    for job in jobs:
        header = [process_page.s(job.to_dict(), p) for p in range(job.page_count)]
        pending[chord(header)(assemble.s(job.to_dict()))] = job
    results = []
    while pending:
        for async_result in [r for r in pending if r.ready()]:
            job = pending.pop(async_result)
            summary = _summary(async_result, job)
            results.append(summary)
            progress.pages_done(job.page_count)
            progress.document_done(summary)
        if pending:
            time.sleep(POLL_S)
    return results


def _summary(async_result: AsyncResult, job: DocumentJob) -> DocumentSummary:
    try:
        answer = async_result.get(propagate=True, disable_sync_subtasks=False)
    except Exception:  # retries exhausted or a bug: this document fails, the batch goes on
        log.exception("document %s failed on the workers", job.source)
        return graph.record_failure(job)
    return DocumentSummary.model_validate(answer)
