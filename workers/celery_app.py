"""Celery executor's tasks: the same graph steps as the local executor, as tasks.

Messages carry a job (graph.DocumentJob) of object keys and names as JSON, never image
bytes; the answers are the graph's typed records as JSON. Tasks are
acknowledged late (a worker that dies mid-task leaves it for another) and retried with
backoff on transient errors; the steps are idempotent, so a retry redoes nothing done.
"""
from __future__ import annotations

from celery import Celery, signals

from pipeline.core.result import PageOutcome
from pipeline.core.settings import Settings, load_settings
from workers import graph
from workers.graph import DocumentJob

# Worth retrying: the object store or the broker hiccuped. Not our errors (SohoaError):
# a missing Tesseract or model is ToolMissing, which no retry mends.
TRANSIENT = (OSError, ConnectionError, TimeoutError)


app = Celery("sohoa")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json", result_serializer="json", accept_content=["json"],
    result_expires=7 * 24 * 3600,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


def configure_app(settings: Settings) -> Celery:
    """Point the app at the configured broker (the entry point calls this: the CLI's
    `sohoa worker` and `sohoa process`); workers also get the graph's settings."""
    app.conf.update(broker_url=settings.broker_url,
                    result_backend=settings.result_backend or settings.broker_url,
                    task_default_queue=settings.queue)
    graph.configure(settings)
    return app


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


retrying = dict(bind=True, autoretry_for=TRANSIENT, retry_backoff=2, retry_backoff_max=120,
                retry_jitter=True, max_retries=5)


@app.task(name="sohoa.process_page", **retrying)
def process_page(self, job: dict, index: int) -> dict:
    """A PageOutcome, as JSON."""
    return graph.process_page(DocumentJob(**job), index).model_dump()


@app.task(name="sohoa.assemble", **retrying)
def assemble(self, outcomes: list[dict], job: dict) -> dict:
    """A DocumentSummary, as JSON."""
    pages = [PageOutcome.model_validate(o) for o in outcomes]
    return graph.assemble(DocumentJob(**job), pages).model_dump()
