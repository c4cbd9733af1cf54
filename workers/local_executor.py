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

from pipeline.core.settings import Settings
from workers import graph
from workers.graph import INTERNAL_ERROR, DocumentJob

log = logging.getLogger("sohoa.local")


def run_jobs(jobs: list[DocumentJob], settings: Settings, *, on_pages=None, on_document=None) -> list[dict]:
    if not jobs:
        return []
    # At most half the threads hold a page decoded at full resolution (pipeline.scan.page):
    # the others are in Tesseract meanwhile, so speed stays and peak memory drops.
    graph.configure(settings, threading.BoundedSemaphore(max(1, settings.concurrency // 2)))
    batch = _Schedule(jobs, window=3 * settings.concurrency, on_pages=on_pages, on_document=on_document)
    with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="sohoa-page") as pool:
        try:
            while batch.unfinished():
                batch.submit_pages(pool)
                done, _ = wait(batch.running, return_when=FIRST_COMPLETED)
                batch.collect(done, pool)
        except BaseException:  # Ctrl-C: pages not started are dropped; a re-run does them
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return batch.results


class _Schedule:
    """Which pages are waiting, running and done; documents go to assembly when complete."""

    def __init__(self, jobs: list[DocumentJob], *, window: int, on_pages, on_document):
        self.jobs, self.window = jobs, window
        self.on_pages, self.on_document = on_pages, on_document
        self.outcomes: dict[int, list] = {i: [None] * job.page_count for i, job in enumerate(jobs)}
        self.waiting = [(i, p) for i, job in enumerate(jobs) for p in range(job.page_count)]
        self.waiting.reverse()  # pop() from the end keeps document order
        self.running: dict[Future, tuple[str, int, int]] = {}
        self.results: list[dict] = []

    def unfinished(self) -> bool:
        return bool(self.waiting or self.running)

    def submit_pages(self, pool: ThreadPoolExecutor) -> None:
        while self.waiting and sum(1 for k in self.running.values() if k[0] == "page") < self.window:
            i, p = self.waiting.pop()
            self.running[pool.submit(graph.process_page, self.jobs[i].to_dict(), p)] = ("page", i, p)

    def collect(self, done: set[Future], pool: ThreadPoolExecutor) -> None:
        for future in done:
            kind, i, p = self.running.pop(future)
            job = self.jobs[i]
            if kind == "page":
                self.outcomes[i][p] = _page_outcome(future, job, p)
                self.on_pages and self.on_pages(1)
                if all(o is not None for o in self.outcomes[i]):
                    outcomes = self.outcomes.pop(i)
                    self.running[pool.submit(graph.assemble, outcomes, job.to_dict())] = ("doc", i, 0)
            else:
                summary = _document_summary(future, job)
                self.results.append(summary)
                self.on_document and self.on_document(summary)


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
