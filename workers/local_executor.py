"""In-process executor (the embedded default): pages of all documents run in parallel; a
document is assembled as soon as its last page is done.

The pages run in threads of this one process, not in a pool of Python processes. The work
that fills the CPUs runs outside the interpreter lock anyway: each page's OCR is its own
Tesseract process, and OpenCV, Pillow and NumPy release the lock while they work. Threads
keep one copy of the libraries (OpenCV, pikepdf, pyHanko: about 150 MB) instead of one per
worker, which is what keeps a batch under its memory budget; speed is the same as a
process pool's (bench/run.py measures both).

Only a bounded window of pages is in flight, so memory stays flat however large the batch.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from workers import graph
from workers.graph import INTERNAL_ERROR, DocumentJob
from workers.settings import Settings

log = logging.getLogger("sohoa.local")


def run_jobs(jobs: list[DocumentJob], settings: Settings, *, on_pages=None, on_document=None) -> list[dict]:
    if not jobs:
        return []
    window = 3 * settings.concurrency
    results: list[dict] = []
    outcomes: dict[int, list] = {i: [None] * job.page_count for i, job in enumerate(jobs)}
    queue = [(i, p) for i, job in enumerate(jobs) for p in range(job.page_count)]
    queue.reverse()  # pop() from the end keeps document order
    running: dict[Future, tuple[str, int, int]] = {}
    # At most half the threads hold a page decoded at full resolution (see graph._page):
    # the others are in Tesseract meanwhile, so speed stays and peak memory drops.
    graph.configure(settings, threading.BoundedSemaphore(max(1, settings.concurrency // 2)))
    with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="sohoa-page") as pool:
        while queue or running:
            while queue and sum(1 for k in running.values() if k[0] == "page") < window:
                i, p = queue.pop()
                running[pool.submit(graph.process_page, jobs[i].to_dict(), p)] = ("page", i, p)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                kind, i, p = running.pop(future)
                if kind == "page":
                    outcomes[i][p] = _page_outcome(future, jobs[i], p)
                    on_pages and on_pages(1)
                    if all(o is not None for o in outcomes[i]):
                        running[pool.submit(graph.assemble, outcomes.pop(i), jobs[i].to_dict())] = ("doc", i, 0)
                else:
                    summary = _document_summary(future, jobs[i])
                    results.append(summary)
                    on_document and on_document(summary)
    return results


def _page_outcome(future: Future, job: DocumentJob, page: int) -> dict:
    try:
        return future.result()
    except Exception:  # a bug: this document fails, the batch goes on
        log.exception("page %d of %s failed", page, job.source)
        return {"ok": False, "error": INTERNAL_ERROR, "code": "internal"}


def _document_summary(future: Future, job: DocumentJob) -> dict:
    try:
        return future.result()
    except Exception:
        log.exception("assembling %s failed", job.source)
        result = graph.fail(job, INTERNAL_ERROR)
        graph.write_result(Path(job.out_root) / job.result_path, result)
        return graph.summary(result)
