"""Celery executor: pages go to the page queue, a document to the assembly queue once its
last page is back. The client drives the fan-out and fan-in itself (no chord): it knows at
every moment which pages and documents it waits for, a page redelivered after a worker
died counts once, and an outage of the broker only pauses the loop.

The client says what it waits for when nothing has finished for `wait_report_s`, and gives
up on the documents still out after `wait_deadline_s` without progress: each is reported
failed with a sentence saying why, and running the command again finishes them (whatever
the workers finish meanwhile is kept).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from celery.canvas import Signature
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.result import AsyncResult

from pipeline.core.result import DocumentSummary, PageOutcome
from pipeline.core.settings import Settings
from storage.transient import is_transient, retry_transient
from workers import graph
from workers.celery_app import (
    WORK_CLASSES,
    app,
    assemble,
    configure_app,
    process_page,
    queue_for,
    restore_interval_s,
)
from workers.graph import INTERNAL_ERROR, DocumentJob
from workers.originals import Originals, refused
from workers.progress import BatchProgress, Waiting

log = logging.getLogger("sohoa.celery")
POLL_S = 0.3
TOO_SLOW = "Trang này xử lý quá thời hạn cho phép; kỹ thuật viên cần kiểm tra tệp gốc."


def gave_up_message(deadline_s: float) -> str:
    return (f"Hết thời hạn chờ máy xử lý: không có tiến triển trong {deadline_s:.0f} giây "
            "(không có worker nào nhận việc, hoặc hàng đợi bị gián đoạn). Kiểm tra các worker "
            "rồi chạy lại đúng lệnh này để làm tiếp; phần đã xong được giữ nguyên.")


def run_jobs(jobs: list[DocumentJob], settings: Settings, progress: BatchProgress,
             originals: Originals | None = None) -> list[DocumentSummary]:
    """`originals`: the jobs' originals still on their way into the store (none: stored)."""
    configure_app(settings)
    return _Dispatch(jobs, settings, progress, originals).run()


@dataclass(frozen=True)
class _Task:
    job: int  # index into the jobs
    page: int | None = None  # None: assembling the document


@dataclass
class _Sent:
    task: _Task
    signature: Signature  # to send it again under the same id
    at: float  # monotonic time it was (last) sent


class _Dispatch:
    def __init__(self, jobs: list[DocumentJob], settings: Settings, progress: BatchProgress,
                 originals: Originals | None = None):
        self.jobs, self.settings, self.progress, self.originals = jobs, settings, progress, originals
        self.waiting = [_Task(i, p) for i, job in enumerate(jobs) for p in range(job.page_count)]
        self.waiting.reverse()  # pop() from the end keeps document order
        self.outcomes: dict[int, list[PageOutcome | None]] = {
            i: [None] * job.page_count for i, job in enumerate(jobs)}
        self.running: dict[AsyncResult, _Sent] = {}
        self.results: list[DocumentSummary] = []
        self.last_progress = self.last_report = self.last_lost_check = time.monotonic()
        # A message in flight to a worker killed at that moment is lost to the Redis
        # transport (BRPOP took it off the list, the unacked entry was not written yet).
        # Once our queues are empty, every task out is running (done within its time limit)
        # or unacknowledged (back in the queue within the visibility timeout): queues empty
        # and no progress for longer than that, and what is still out was lost.
        visibility = settings.visibility_timeout_s()
        self.lost_after_s = visibility + 2 * restore_interval_s(visibility)
        self.empty_since: float | None = None

    def run(self) -> list[DocumentSummary]:
        for i, job in enumerate(self.jobs):
            if job.page_count == 0:  # nothing to fan out: straight to assembly
                self._send_assembly(i)
        while self.waiting or self.running:
            self._send_pages()
            if not self._collect():
                if self._idle_s() >= self.settings.wait_deadline_s:
                    self._give_up()
                    break
                self._maybe_report()
                self._resend_lost()
                time.sleep(POLL_S)
        return self.results

    # sending

    def _send_pages(self) -> None:
        in_flight = sum(s.task.page is not None for s in self.running.values())
        while self.waiting and in_flight < self.settings.celery_window:
            task = self.waiting[-1]
            if self.originals is not None:
                if not self.originals.ready(task.job):
                    return  # its original is still being stored: the next round sends it
                refusal = self.originals.wait(task.job)
                if refusal is not None:
                    self._fail(task.job, refusal)
                    continue
            self._send(task, process_page.s(self.jobs[task.job].to_dict(), task.page))
            self.waiting.pop()
            in_flight += 1
            self.last_progress = time.monotonic()  # an original stored is the client's progress

    def _fail(self, index: int, refusal: str) -> None:
        """A job whose original could not be stored: its document fails, its pages go."""
        self.waiting, summary = refused(self.jobs, index, refusal, self.waiting, self.outcomes,
                                        self.progress)
        self.results.append(summary)

    def _send_assembly(self, index: int) -> None:
        pages = [o.model_dump() for o in self.outcomes.pop(index) if o is not None]
        self._send(_Task(index), assemble.s(pages, self.jobs[index].to_dict()))

    def _send(self, task: _Task, signature: Signature, task_id: str | None = None) -> None:
        result = retry_transient(lambda: signature.apply_async(task_id=task_id),
                                 budget_s=self.settings.retry_budget_s, what="broker send")
        self.running[result] = _Sent(task, signature, time.monotonic())

    # collecting

    def _collect(self) -> bool:
        """Take in whatever finished; True if anything did."""
        progressed = False
        for result, sent in list(self.running.items()):
            try:
                if not result.ready():
                    continue
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("result backend unreachable, waiting: %s", exc)
                return progressed  # the backend is down: try again on the next round
            del self.running[result]
            progressed = True
            if sent.task.page is None:
                self._document_done(result, sent.task)
            else:
                self._page_done(result, sent.task)
        if progressed:
            self.last_progress = self.last_report = time.monotonic()
            self.empty_since = None
        return progressed

    def _page_done(self, result: AsyncResult, task: _Task) -> None:
        job = self.jobs[task.job]
        outcome = _page_outcome(result, job, task.page or 0)
        self.outcomes[task.job][task.page or 0] = outcome
        self.progress.pages_done(1)
        if all(o is not None for o in self.outcomes[task.job]):
            self._send_assembly(task.job)

    def _document_done(self, result: AsyncResult, task: _Task) -> None:
        job = self.jobs[task.job]
        summary = _summary(result, job)
        self.results.append(summary)
        self.progress.document_done(summary)

    # waiting, and giving up

    def _idle_s(self) -> float:
        return time.monotonic() - self.last_progress

    def _maybe_report(self) -> None:
        if time.monotonic() - self.last_report < self.settings.wait_report_s:
            return
        self.last_report = time.monotonic()
        status = Waiting(
            pages=len(self.waiting) + sum(s.task.page is not None for s in self.running.values()),
            documents=len(self._jobs_out()),
            idle_s=self._idle_s(), deadline_s=self.settings.wait_deadline_s,
            queue=self.settings.queue, workers=_workers_listening(self.settings))
        log.warning("waiting on queue %s: %d pages, %d documents out, %d workers listening, "
                    "idle %.0f s of %.0f s", status.queue, status.pages, status.documents,
                    -1 if status.workers is None else status.workers, status.idle_s,
                    status.deadline_s)
        self.progress.waiting(status)

    def _jobs_out(self) -> set[int]:
        return {s.task.job for s in self.running.values()} | {t.job for t in self.waiting}

    def _resend_lost(self) -> None:
        now = time.monotonic()
        if now - self.last_lost_check < self.settings.wait_report_s:
            return
        self.last_lost_check = now
        if not _queues_empty(self.settings):
            self.empty_since = None  # still queued behind other work, or given back
            return
        if self.empty_since is None:
            self.empty_since = now
            return
        if now - self.empty_since < self.lost_after_s:
            return
        for result, sent in list(self.running.items()):
            # Same task id: whichever copy answers first is the answer; the steps are
            # idempotent, so a copy that was not lost after all redoes nothing.
            log.warning("task %s not back, queues empty for %.0f s: sending it again",
                        result.id, now - self.empty_since)
            del self.running[result]
            self._send(sent.task, sent.signature, task_id=result.id)
        self.empty_since = None

    def _give_up(self) -> None:
        left = sorted(self._jobs_out())
        log.error("no progress for %.0f s: giving up on %d documents", self._idle_s(), len(left))
        message = gave_up_message(self.settings.wait_deadline_s)
        for index in left:
            summary = graph.record_failure(self.jobs[index], message)
            self.results.append(summary)
            self.progress.document_done(summary)
        self.running.clear()
        self.waiting.clear()


def _workers_listening(settings: Settings) -> int | None:
    """How many workers take our queues (None: the broker did not answer)."""
    ours = {queue_for(settings, w) for w in WORK_CLASSES}
    try:
        answers = app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception as exc:
        log.warning("cannot ask the workers: %s", exc)
        return None
    return sum(1 for queues in answers.values() if ours & {q.get("name") for q in queues})


def _queues_empty(settings: Settings) -> bool:
    """Whether our queues hold no message (False when the broker does not answer)."""
    from kombu.exceptions import ChannelError

    try:
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            for work in WORK_CLASSES:
                try:
                    if channel.queue_declare(queue_for(settings, work), passive=True).message_count:
                        return False
                except ChannelError:  # Redis: an empty queue is no key at all
                    channel = conn.channel()
    except Exception as exc:
        log.warning("cannot look at the queues: %s", exc)
        return False
    return True


def _page_outcome(result: AsyncResult, job: DocumentJob, page: int) -> PageOutcome:
    try:
        return PageOutcome.model_validate(result.get(propagate=True, disable_sync_subtasks=False))
    except (TimeLimitExceeded, SoftTimeLimitExceeded):
        log.error("page %d of %s passed its time limit", page, job.source)
        return PageOutcome(ok=False, error=TOO_SLOW, code="time_limit")
    except Exception:  # retries exhausted or a bug: this document fails, the batch goes on
        log.exception("page %d of %s failed on the workers", page, job.source)
        return PageOutcome(ok=False, error=INTERNAL_ERROR, code="internal")
    finally:
        _forget(result)


def _summary(result: AsyncResult, job: DocumentJob) -> DocumentSummary:
    try:
        return DocumentSummary.model_validate(
            result.get(propagate=True, disable_sync_subtasks=False))
    except Exception:
        log.exception("document %s failed on the workers", job.source)
        return graph.record_failure(job)
    finally:
        _forget(result)


def _forget(result: AsyncResult) -> None:
    # The answer is taken: drop it from the backend rather than keep it for a week.
    try:
        result.forget()
    except Exception as exc:
        log.debug("forgetting %s: %s", result.id, exc)
