"""Celery executor: each document is a chord, its pages fanned out to whatever workers
listen on the broker, its assembly the chord's callback."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from celery import chord

from pipeline.core.settings import Settings
from workers import graph
from workers.graph import INTERNAL_ERROR, DocumentJob

log = logging.getLogger("sohoa.celery")
POLL_S = 0.3


def run_jobs(jobs: list[DocumentJob], settings: Settings, *, on_pages=None, on_document=None) -> list[dict]:
    from workers.celery_app import assemble, process_page

    pending = {}
    for job in jobs:
        header = [process_page.s(job.to_dict(), p) for p in range(job.page_count)]
        pending[chord(header)(assemble.s(job.to_dict()))] = job
    results = []
    while pending:
        for async_result in [r for r in pending if r.ready()]:
            job = pending.pop(async_result)
            summary = _summary(async_result, job)
            results.append(summary)
            on_pages and on_pages(job.page_count)
            on_document and on_document(summary)
        if pending:
            time.sleep(POLL_S)
    return results


def _summary(async_result, job: DocumentJob) -> dict:
    try:
        return async_result.get(propagate=True, disable_sync_subtasks=False)
    except Exception:  # retries exhausted or a bug: this document fails, the batch goes on
        log.exception("document %s failed on the workers", job.source)
        result = graph.fail(job, INTERNAL_ERROR)
        graph.write_result(Path(job.out_root) / job.result_path, result)
        return graph.summary(result)
