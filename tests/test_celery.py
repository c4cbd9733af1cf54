"""A real Celery worker on the local Redis gives the same results as the in-process run."""
from __future__ import annotations

import random
import subprocess
import time
import uuid

import pytest
import redis

from samples.degrade import degrade
from samples.render import render_document
from tests.conftest import SOHOA, read_results

BROKER = "redis://127.0.0.1:6379/11"


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory):
    batch = tmp_path_factory.mktemp("celery") / "batch"
    rng = random.Random(11)
    for i, (doc_type, rotation, skew) in enumerate(
            [("giay_khai_sinh", 90, 3.0), ("can_cuoc", 0, -6.5), ("giay_chung_nhan_qsdd", 180, 1.2)]):
        doc = render_document(doc_type, rng, dpi=200)
        pages = [degrade(p, rng, rotation=rotation, skew_deg=skew, effects=["noise"], dpi=200)
                 for p in doc.pages]
        folder = batch / f"HS-{i:03d}"
        folder.mkdir(parents=True)
        pages[0].save(folder / f"{doc_type}.tif", dpi=(200, 200), save_all=True, append_images=pages[1:])
    return batch


@pytest.fixture(scope="module")
def celery_worker(sohoa_env, tmp_path_factory):
    client = redis.Redis.from_url(BROKER)
    client.ping()  # the machine's Redis must be up: this test uses it for real
    # a queue of this run's own: another test run on the same Redis must not take its tasks
    queue = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    env = {**sohoa_env, "SOHOA_BROKER_URL": BROKER, "SOHOA_QUEUE": queue}
    # A file, not a pipe: nobody reads a pipe while tests run, and a full one blocks the worker.
    log = (tmp_path_factory.mktemp("worker") / "worker.log").open("w+")
    proc = subprocess.Popen([SOHOA, "worker", "--concurrency", "2"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    from pipeline.core.settings import Settings
    from workers.celery_app import configure_app
    app = configure_app(Settings(broker_url=BROKER, queue=queue))
    while time.time() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"worker exited: {log.read()}")
        if app.control.ping(timeout=1.0):
            break
    else:
        proc.kill()
        pytest.fail("worker did not answer within 60 s")
    yield env
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    client.delete(queue, f"{queue}.pages", f"{queue}.documents")


@pytest.mark.celery
def test_celery_results_equal_in_process_results(small_batch, celery_worker, run_sohoa, tmp_path):
    local = run_sohoa("process", small_batch, "--out", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    remote = run_sohoa("process", small_batch, "--out", tmp_path / "celery", env=celery_worker)
    assert remote.returncode == 0, remote.stderr
    a, b = read_results(tmp_path / "local"), read_results(tmp_path / "celery")
    assert set(a) == set(b) and len(a) == 3
    for source in a:
        for key in ("status", "pages", "text", "document_type", "fields", "validation"):
            assert a[source][key] == b[source][key], (source, key)
        assert a[source]["sha256"]["original"] == b[source]["sha256"]["original"]
        assert (tmp_path / "celery" / b[source]["artifacts"]["signed"]).is_file()
    assert [p["rotation"] for r in sorted(b.values(), key=lambda r: r["source"]) for p in r["pages"]] \
        == [90, 0, 180, 180]
