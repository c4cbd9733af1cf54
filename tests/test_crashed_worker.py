"""A Celery worker killed with kill -9 mid-batch (the whole worker: its main process and its
pool) loses nothing and duplicates nothing: its unacknowledged tasks come back after the
bounded visibility timeout, another worker finishes them, and every document is there
exactly once. A client with no worker at all says what it waits for, then gives up."""
from __future__ import annotations

import time

import pytest

from tests.batches import make_batch
from tests.conftest import read_results
from tests.exactly_once import assert_exactly_once
from tests.workers_at_hand import (
    delete_queues,
    kill_group,
    queue_env,
    start_client,
    start_worker,
    stop_worker,
    wait_for,
)

# Stages are limited to 20 s, so redelivery can come after 25 s instead of kombu's hour.
LIMITS = dict(page_time_limit_s=20, document_time_limit_s=20, broker_visibility_timeout_s=25,
              wait_report_s=5)


@pytest.mark.celery
def test_kill_9_of_a_worker_mid_batch(sohoa_env, tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    make_batch(batch, 6, seed=60)
    env = queue_env(sohoa_env, **LIMITS)
    log = tmp_path / "worker.log"
    first = start_worker(env, log, "--concurrency", "2")
    client = start_client(env, batch, out, tmp_path / "client.log")
    second = None
    try:
        wait_for(lambda: read_results(out), 180, "a first document from the first worker")
        assert len(read_results(out)) < 6, "the batch finished before the kill: make it longer"
        killed_at = time.monotonic()
        kill_group(first)  # SIGKILL to the worker and its pool: no warm shutdown, no ack
        second = start_worker(env, log, "--concurrency", "2")
        assert client.wait(timeout=300) == 0, (tmp_path / "client.log").read_text()
        took = time.monotonic() - killed_at
    finally:
        for proc in (first, second):
            if proc is not None:
                stop_worker(proc)
        if client.poll() is None:
            kill_group(client)
        delete_queues(env)
    assert took < 120, f"redelivery took {took:.0f} s"
    assert_exactly_once(out, {f"HS-{i:03d}/{p.name}" for i, p in enumerate(sorted(batch.rglob("*.tif")))})
    stderr = (tmp_path / "client.log").read_text()
    assert "Đang chờ máy xử lý trên hàng đợi" in stderr, stderr


@pytest.mark.celery
def test_client_without_workers_gives_up_at_its_deadline(sohoa_env, tmp_path, run_sohoa):
    make_batch(tmp_path / "batch", 1, seed=61)
    env = queue_env(sohoa_env, wait_deadline_s=6, wait_report_s=2)
    started = time.monotonic()
    try:
        proc = run_sohoa("process", tmp_path / "batch", "--out", tmp_path / "out", env=env,
                         timeout=120)
    finally:
        delete_queues(env)
    assert proc.returncode == 1, proc.stderr
    assert time.monotonic() - started < 60
    assert "0 worker đang nhận việc" in proc.stderr, proc.stderr
    assert "Hết thời hạn chờ máy xử lý" in proc.stderr
    [result] = read_results(tmp_path / "out").values()
    assert result["status"] == "failed" and "Hết thời hạn chờ" in result["error"]


@pytest.mark.celery
def test_a_message_lost_in_flight_is_sent_again(sohoa_env, tmp_path):
    """A worker killed between taking a message off the Redis list (BRPOP) and writing it
    to kombu's unacknowledged set loses that message inside Redis, where no visibility
    timeout brings it back. The loss is made here exactly as BRPOP makes it: the message is
    taken off the list, and no worker ever acknowledges it. The client sends it again."""
    import redis

    batch, out = tmp_path / "batch", tmp_path / "out"
    make_batch(batch, 1, seed=62)
    env = queue_env(sohoa_env, page_time_limit_s=10, document_time_limit_s=10,
                    broker_visibility_timeout_s=15, wait_report_s=2)
    broker = redis.Redis.from_url(env["SOHOA_BROKER_URL"])
    pages = f"{env['SOHOA_QUEUE']}.pages"
    client = start_client(env, batch, out, tmp_path / "client.log")
    worker = None
    try:
        wait_for(lambda: broker.llen(pages) == 1, 120, "the page's message in the queue")
        assert broker.rpop(pages)  # taken, never to be acknowledged
        worker = start_worker(env, tmp_path / "worker.log", "--concurrency", "1")
        assert client.wait(timeout=180) == 0, (tmp_path / "client.log").read_text()
    finally:
        if worker is not None:
            stop_worker(worker)
        if client.poll() is None:
            kill_group(client)
        delete_queues(env)
    assert "sending it again" in (tmp_path / "client.log").read_text()
    assert_exactly_once(out, {f"HS-000/{p.name}" for p in batch.rglob("*.tif")})
