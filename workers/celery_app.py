"""Celery executor's tasks: the same graph steps as the local executor, as tasks.

Messages carry a job (graph.DocumentJob) of object keys and names as JSON, never image
bytes; the answers are the graph's typed records as JSON.

Two work classes, two queues (`<queue>.pages`, `<queue>.documents`): page work is CPU-heavy
and scales with pages; assembly (PDF/A, signing, publishing) is short and holds the
signing key. A worker takes either or both (`sohoa worker --work pages|documents|all`).

A worker that dies loses nothing: tasks are acknowledged late, so a task killed with its
worker goes back to the queue, at the latest after the broker's visibility timeout (Redis),
which is bounded by the longest stage's time limit (Settings.visibility_timeout_s) rather
than kombu's hour. Transient outages of the object store, broker or database are retried
with back-off; the steps are idempotent, so a retry or a redelivery redoes nothing done.
"""
from __future__ import annotations

import logging

from celery import Celery, signals

from pipeline.core.errors import ConfigurationError
from pipeline.core.result import PageOutcome
from pipeline.core.settings import Settings, load_settings
from storage.transient import backoff_s, is_transient
from workers import graph
from workers.graph import DocumentJob

log = logging.getLogger("sohoa.celery")
PAGES, DOCUMENTS = "pages", "documents"
WORK_CLASSES = (PAGES, DOCUMENTS)
MAX_RETRIES = 8  # with back-off capped at 60 s: about five minutes of outage


app = Celery("sohoa")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,  # a worker killed mid-task: the task is redelivered
    worker_prefetch_multiplier=1,  # a dead worker holds back at most one task per process
    task_serializer="json", result_serializer="json", accept_content=["json"],
    result_expires=7 * 24 * 3600,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,  # a broker outage is waited out, not fatal
    result_backend_always_retry=True,  # storing an answer survives a short backend outage
    result_backend_max_retries=20,
    worker_hijack_root_logger=False,
)


def queue_for(settings: Settings, work: str) -> str:
    """The broker queue of one work class (deployments sharing a broker: by their queue)."""
    return f"{settings.queue}.{work}"


def configure_app(settings: Settings) -> Celery:
    """Point the app at the configured broker (the entry point calls this: the CLI's
    `sohoa worker` and `sohoa process`); workers also get the graph's settings."""
    visibility = settings.visibility_timeout_s()
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=_result_backend(settings),
        task_default_queue=queue_for(settings, PAGES),
        task_routes={"sohoa.process_page": {"queue": queue_for(settings, PAGES)},
                     "sohoa.assemble": {"queue": queue_for(settings, DOCUMENTS)}},
        broker_transport_options=_transport_options(settings.queue, visibility),
        task_annotations={
            "sohoa.process_page": _limits(settings.page_time_limit_s),
            "sohoa.assemble": _limits(settings.document_time_limit_s)},
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
        worker_max_memory_per_child=settings.worker_max_memory_mb * 1024,  # KiB
    )
    graph.configure(settings)
    return app


def _result_backend(settings: Settings) -> str | None:
    """The broker keeps the answers too (Redis), unless it cannot: RabbitMQ holds no
    results Celery can read back, a deployment on it names its result backend."""
    if settings.result_backend:
        return settings.result_backend
    if (settings.broker_url or "").split(":", 1)[0] in ("amqp", "amqps", "pyamqp"):
        raise ConfigurationError(
            "Máy chủ hàng đợi là RabbitMQ (SOHOA_BROKER_URL=amqp://…) nên cần đặt thêm "
            "SOHOA_RESULT_BACKEND (ví dụ redis://…) để nhận kết quả xử lý.", "result_backend",
            detail="SOHOA_RESULT_BACKEND is not set and an AMQP broker stores no results")
    return settings.broker_url


def _transport_options(queue: str, visibility: int) -> dict:
    # The unacknowledged set is per deployment (queue): another deployment on the same Redis
    # with a shorter timeout must not hand our running tasks to its workers. The sweep runs
    # every quarter timeout (kombu's default: every 100 s at best).
    return {"visibility_timeout": visibility,
            "unacked_key": f"unacked.{queue}", "unacked_index_key": f"unacked_index.{queue}",
            "unacked_mutex_key": f"unacked_mutex.{queue}",
            "unacked_restore_interval": restore_interval_s(visibility),
            "unacked_restore_throttle": 1}


def restore_interval_s(visibility: int) -> int:
    return max(1, min(10, visibility // 4))


def _limits(hard_s: int) -> dict:
    # The soft limit lets the step fail cleanly (SoftTimeLimitExceeded) before the kill.
    return {"time_limit": hard_s, "soft_time_limit": max(1, hard_s - max(5, hard_s // 10))}


@signals.worker_init.connect
def _started_by_celery(**_: object) -> None:
    # `celery -A workers.celery_app worker` is an entry point of its own: it reads the
    # environment once, like the CLI does. (`sohoa worker` has configured already.)
    if not graph.is_configured():
        from pipeline.tools.probe import probe_tools
        from workers.tuning import tune_for_pages

        settings = load_settings()
        tune_for_pages(settings.limits())
        probe_tools(settings.ocr())
        configure_app(settings)


def _retrying(task, step, *args):
    """Run a graph step; a transient outage is retried with back-off (a new message, so
    the worker is free meanwhile), anything else is the step's own answer or a bug."""
    try:
        return step(*args)
    except Exception as exc:
        if not is_transient(exc) or task.request.retries >= MAX_RETRIES:
            raise
        delay = backoff_s(task.request.retries)
        log.warning("%s: transient %s, retry %d in %.0f s: %s", task.name, type(exc).__name__,
                    task.request.retries + 1, delay, exc)
        raise task.retry(exc=exc, countdown=delay) from exc


@app.task(name="sohoa.process_page", bind=True)
def process_page(self, job: dict, index: int) -> dict:
    """A PageOutcome, as JSON."""
    return _retrying(self, graph.process_page, DocumentJob(**job), index).model_dump()


@app.task(name="sohoa.assemble", bind=True)
def assemble(self, outcomes: list[dict], job: dict) -> dict:
    """A DocumentSummary, as JSON."""
    pages = [PageOutcome.model_validate(o) for o in outcomes]
    return _retrying(self, graph.assemble, DocumentJob(**job), pages, self.request.id).model_dump()
