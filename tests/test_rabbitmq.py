"""Celery on RabbitMQ (the machine's server, 127.0.0.1:5672, guest/guest): a worker killed
with kill -9 mid-batch loses nothing and duplicates nothing. RabbitMQ gives a dead
consumer's unacknowledged messages back at once (no visibility timeout as with Redis);
another worker finishes them, every document exactly once.

Each test on the machine's server runs in a virtual host of its own (rabbitmqctl
add_vhost), deleted afterwards with everything in it: parallel runs and other users of the
server never see its queues, exchanges or worker broadcasts. The outage is caused on a
RabbitMQ node of the test's own (tests/own_services.py), never the machine's: stopped
mid-batch and started again, the batch finishes, every document exactly once. Results go
to the local Redis (db 11), as a deployment on RabbitMQ sets SOHOA_RESULT_BACKEND."""
from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest

from tests.batches import make_batch
from tests.conftest import read_results
from tests.exactly_once import assert_exactly_once
from tests.own_services import OwnRabbitMQ
from tests.test_outages import DOCUMENTS, _outage_mid_batch, _run_with_worker, _sources
from tests.workers_at_hand import (
    BROKER as REDIS,
    kill_group,
    queue_env,
    start_client,
    start_worker,
    stop_worker,
    wait_for,
)

RABBITMQ = "127.0.0.1:5672"
DOCS = 12  # a first document done leaves the worker most of the batch to hold (8 finished
# before the kill once, the queues polled through rabbitmqctl at about a second a look)
LIMITS = dict(page_time_limit_s=20, document_time_limit_s=20, broker_visibility_timeout_s=25,
              wait_report_s=5)


def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess:
    # a missing tool fails the test, it does not skip it
    assert shutil.which("rabbitmqctl"), "rabbitmqctl is not installed (Debian: rabbitmq-server)"
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def vhost():
    name = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    made = _rabbitmqctl("add_vhost", name)
    assert made.returncode == 0, f"RabbitMQ on {RABBITMQ} refused a vhost: {made.stderr}"
    try:
        allowed = _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        assert allowed.returncode == 0, allowed.stderr
        yield name
    finally:
        _rabbitmqctl("delete_vhost", name)


def _queues(vhost: str) -> dict[str, tuple[int, int]]:
    """queue name -> (ready, unacknowledged) messages."""
    listed = _rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "-q",
                          "name", "messages_ready", "messages_unacknowledged")
    assert listed.returncode == 0, listed.stderr
    rows = (line.split() for line in listed.stdout.splitlines() if line.strip())
    return {r[0]: (int(r[1]), int(r[2])) for r in rows if len(r) == 3}


@pytest.mark.celery
def test_kill_9_of_a_worker_mid_batch_on_rabbitmq(sohoa_env, tmp_path, vhost):
    batch, out = tmp_path / "batch", tmp_path / "out"
    make_batch(batch, DOCS, seed=63)
    env = queue_env(sohoa_env, broker=f"amqp://guest:guest@{RABBITMQ}/{vhost}",
                    result_backend=REDIS, **LIMITS)
    pages = f"{env['SOHOA_QUEUE']}.pages"
    log = tmp_path / "worker.log"
    first = start_worker(env, log, "--concurrency", "2")
    client = start_client(env, batch, out, tmp_path / "client.log")
    second = None
    try:
        wait_for(lambda: read_results(out), 180, "a first document from the first worker")
        # The kill must come while the first worker holds messages it has not acknowledged
        # (it must lose them), not in a gap between stages when its queues are empty: the
        # client sends a document's assembly only once its pages are all read.
        held = 0
        while not held and len(read_results(out)) < DOCS:
            held = sum(n[1] for q, n in _queues(vhost).items()
                       if q.startswith(env["SOHOA_QUEUE"]))
        assert len(read_results(out)) < DOCS, "the batch finished before the kill: make it longer"
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
    assert held > 0, "the killed worker held no message: nothing was redelivered"
    assert took < 120, f"finishing after the kill took {took:.0f} s"
    assert_exactly_once(out, {f"HS-{i:03d}/{p.name}" for i, p in enumerate(sorted(batch.rglob("*.tif")))})
    assert set(_queues(vhost)) >= {pages, f"{env['SOHOA_QUEUE']}.documents"}  # it was RabbitMQ's
    assert all(n == (0, 0) for q, n in _queues(vhost).items() if q.startswith(env["SOHOA_QUEUE"]))


@pytest.mark.celery
def test_rabbitmq_down_mid_batch(sohoa_env, tmp_path, run_sohoa):
    broker = OwnRabbitMQ()
    broker.start()
    batch, out = tmp_path / "batch", tmp_path / "out"
    make_batch(batch, DOCUMENTS, seed=72)
    env = queue_env(sohoa_env, broker=broker.url, result_backend=REDIS, page_time_limit_s=60,
                    document_time_limit_s=60, broker_visibility_timeout_s=65, wait_report_s=5)
    try:
        worker_log = _run_with_worker(env, tmp_path, batch, out, lambda: _outage_mid_batch(
            out, broker.stop, broker.start))
        assert_exactly_once(out, _sources(batch))
        assert run_sohoa("audit", "--out", out).returncode == 0
    finally:
        broker.remove()
    # the worker lost its broker for real, and came back to it
    assert "Cannot connect to amqp" in worker_log or "Connection to broker lost" in worker_log, \
        worker_log[-3000:]


def test_rabbitmq_without_a_result_backend_is_refused_with_a_sentence(sohoa_env, tmp_path,
                                                                       run_sohoa):
    (tmp_path / "batch").mkdir()
    env = {"SOHOA_BROKER_URL": f"amqp://guest:guest@{RABBITMQ}//", "SOHOA_QUEUE": "unused"}
    proc = run_sohoa("process", tmp_path / "batch", "--out", tmp_path / "out", env=env,
                     timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "SOHOA_RESULT_BACKEND" in proc.stderr, proc.stderr
