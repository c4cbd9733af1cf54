"""Graceful shutdown (what `docker compose stop` sends): SIGTERM to a worker mid-task lets
it finish and acknowledge the task in hand, take nothing new, and exit 0; another worker
finishes the batch, every document once."""
from __future__ import annotations

import os
import re
import signal

import pytest

from tests.batches import make_batch
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

RECEIVED = re.compile(r"Task sohoa\.process_page\[([0-9a-f-]+)\] received")


@pytest.mark.celery
def test_sigterm_finishes_the_task_in_hand(sohoa_env, tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    make_batch(batch, 3, seed=90)
    env = queue_env(sohoa_env, wait_report_s=5)
    log = tmp_path / "worker.log"
    first = start_worker(env, log, "--concurrency", "1")
    client = start_client(env, batch, out, tmp_path / "client.log")
    second = None
    try:
        wait_for(lambda: RECEIVED.search(log.read_text()), 120, "a page task received")
        [task_id] = RECEIVED.findall(log.read_text())[:1]
        os.kill(first.pid, signal.SIGTERM)  # the main process only, as Docker does
        assert first.wait(timeout=120) == 0, log.read_text()[-3000:]
        stopped = log.read_text()
        assert re.search(rf"Task sohoa\.process_page\[{task_id}\] succeeded", stopped), stopped[-3000:]
        assert "WorkerLostError" not in stopped
        second = start_worker(env, log, "--concurrency", "2")
        assert client.wait(timeout=300) == 0, (tmp_path / "client.log").read_text()[-3000:]
    finally:
        for proc in (first, second):
            if proc is not None:
                stop_worker(proc)
        if client.poll() is None:
            kill_group(client)
        delete_queues(env)
    assert_exactly_once(out, {str(p.relative_to(batch)) for p in batch.rglob("*.tif")})
