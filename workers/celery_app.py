"""Celery executor's tasks: the same graph steps as the local executor, as tasks.

Messages carry a job dict of object keys and names, never image bytes. Tasks are
acknowledged late (a worker that dies mid-task leaves it for another) and retried with
backoff on transient errors; the steps are idempotent, so a retry redoes nothing done.
"""
from __future__ import annotations

from celery import Celery

from pipeline.core.settings import Settings
from workers import graph

TRANSIENT = (OSError, ConnectionError, TimeoutError)


def make_app(settings: Settings) -> Celery:
    app = Celery("sohoa", broker=settings.broker_url,
                 backend=settings.result_backend or settings.broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


app = make_app(Settings())
retrying = dict(bind=True, autoretry_for=TRANSIENT, retry_backoff=2, retry_backoff_max=120,
                retry_jitter=True, max_retries=5)


@app.task(name="sohoa.process_page", **retrying)
def process_page(self, job: dict, index: int) -> dict:
    return graph.process_page(job, index)


@app.task(name="sohoa.assemble", **retrying)
def assemble(self, outcomes: list[dict], job: dict) -> dict:
    return graph.assemble(outcomes, job)
