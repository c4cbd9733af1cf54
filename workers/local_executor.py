"""In-process executor (the embedded default): pages of all documents run in parallel; a
document is assembled as soon as its last page is done.

The pages run in threads of this one process, not in a pool of Python processes. The work
that fills the CPUs runs outside the interpreter lock anyway: Tesseract (one engine per
thread), OpenCV, Pillow and NumPy release the lock while they work. Threads
keep one copy of the libraries (OpenCV, pikepdf, pyHanko: about 150 MB) instead of one per
worker, which is what keeps a batch under its memory budget; speed is the same as a
process pool's (bench/run.py measures both).

Only a bounded window of pages is in flight, so memory stays flat however large the batch.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from pipeline.core.result import DocumentSummary, PageOutcome
from pipeline.core.settings import Settings
from workers import graph
from workers.graph import INTERNAL_ERROR, DocumentJob
from workers.originals import Originals, refused
from workers.progress import BatchProgress

log = logging.getLogger("sohoa.local")


def run_jobs(jobs: list[DocumentJob], settings: Settings, progress: BatchProgress,
             originals: Originals | None = None) -> list[DocumentSummary]:
    """`originals`: the jobs' originals still on their way into the store (none: stored)."""
    if not jobs:
        return []
    # At most half the threads hold a page decoded at full resolution (pipeline.scan.page):
    # the others are in Tesseract meanwhile, so speed stays and peak memory drops.
    graph.configure(settings, threading.BoundedSemaphore(max(1, settings.concurrency // 2)))
    batch = _Schedule(jobs, window=3 * settings.concurrency, progress=progress,
                      originals=originals)
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


@dataclass(frozen=True)
class _Task:
    """What a running future is doing: one page of a job, or assembling the job."""

    job: int  # index into the jobs
    page: int | None = None  # None: assembling the document

    @property
    def is_page(self) -> bool:
        return self.page is not None


class _Schedule:
    """Which pages are waiting, running and done; documents go to assembly when complete."""

    def __init__(self, jobs: list[DocumentJob], *, window: int, progress: BatchProgress,
                 originals: Originals | None):
        self.jobs, self.window, self.progress, self.originals = jobs, window, progress, originals
        self.outcomes: dict[int, list[PageOutcome | None]] = {
            i: [None] * job.page_count for i, job in enumerate(jobs)}
        self.waiting = [_Task(i, p) for i, job in enumerate(jobs) for p in range(job.page_count)]
        self.waiting.reverse()  # pop() from the end keeps document order
        self.running: dict[Future, _Task] = {}
        self.results: list[DocumentSummary] = []

    def unfinished(self) -> bool:
        return bool(self.waiting or self.running)

    def submit_pages(self, pool: ThreadPoolExecutor) -> None:
        while self.waiting and sum(t.is_page for t in self.running.values()) < self.window:
            task = self.waiting[-1]
            if self.originals is not None:
                if self.running and not self.originals.ready(task.job):
                    return  # its original is still being stored: after the next page done
                refusal = self.originals.wait(task.job)
                if refusal is not None:
                    self._fail(task.job, refusal)
                    continue
            self.waiting.pop()
            job = self.jobs[task.job]
            self.running[pool.submit(graph.process_page, job, task.page)] = task

    def _fail(self, index: int, refusal: str) -> None:
        """A job whose original could not be stored: its document fails, its pages go."""
        self.waiting, summary = refused(self.jobs, index, refusal, self.waiting, self.outcomes,
                                        self.progress)
        self.results.append(summary)

    def collect(self, done: set[Future], pool: ThreadPoolExecutor) -> None:
        for future in done:
            task = self.running.pop(future)
            job = self.jobs[task.job]
            if task.page is not None:
                self.outcomes[task.job][task.page] = _page_outcome(future, job, task.page)
                self.progress.pages_done(1)
                if all(o is not None for o in self.outcomes[task.job]):
                    outcomes = self.outcomes.pop(task.job)
                    future = pool.submit(graph.assemble, job, outcomes)
                    self.running[future] = _Task(task.job)
            else:
                summary = _document_summary(future, job)
                self.results.append(summary)
                self.progress.document_done(summary)


def _page_outcome(future: Future, job: DocumentJob, page: int) -> PageOutcome:
    try:
        return future.result()
    except Exception:  # a bug: this document fails, the batch goes on
        log.exception("page %d of %s failed", page, job.source)
        return PageOutcome(ok=False, error=INTERNAL_ERROR, code="internal")


def _document_summary(future: Future, job: DocumentJob) -> DocumentSummary:
    try:
        return future.result()
    except Exception:
        log.exception("assembling %s failed", job.source)
        return graph.record_failure(job)
