"""Queues by work class: a page worker takes only page work, an assembly worker only
documents, and together they finish a batch (what docker-compose.yml deploys)."""
from __future__ import annotations

import pytest

from tests.batches import make_batch
from tests.exactly_once import assert_exactly_once
from tests.workers_at_hand import delete_queues, queue_env, start_worker, stop_worker


@pytest.mark.celery
def test_page_and_document_workers_split_the_work(sohoa_env, tmp_path, run_sohoa):
    batch, out = tmp_path / "batch", tmp_path / "out"
    make_batch(batch, 2, seed=95)
    env = queue_env(sohoa_env)
    pages = start_worker(env, tmp_path / "pages.log", "--work", "pages", "--concurrency", "2")
    documents = start_worker(env, tmp_path / "documents.log", "--work", "documents",
                             "--concurrency", "1")
    try:
        done = run_sohoa("process", batch, "--out", out, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        stop_worker(pages)
        stop_worker(documents)
        delete_queues(env)
    page_log, document_log = (tmp_path / "pages.log").read_text(), (tmp_path / "documents.log").read_text()
    assert page_log.count("sohoa.process_page[") >= 2 and "sohoa.assemble[" not in page_log
    assert document_log.count("sohoa.assemble[") >= 2 and "sohoa.process_page[" not in document_log
    assert f"{env['SOHOA_QUEUE']}.pages" in page_log and f"{env['SOHOA_QUEUE']}.documents" in document_log
    assert_exactly_once(out, {str(p.relative_to(batch)) for p in batch.rglob("*.tif")})
