"""`sohoa serve --workers 2`: two server processes on one port (uvicorn workers) over one
archive on the real PostgreSQL. What must hold across processes is kept in the database:
the verification rate limit counts every process's requests together, and one
Idempotency-Key sent to both processes at once makes one dossier."""
from __future__ import annotations

import io
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from samples.render import render_document
from tests.api_server import bearer, free_port, make_token
from tests.conftest import SOHOA, postgres_schema

AGENCY = "H07.00.00.00"
LIMIT = 12


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, sohoa_env, run_sohoa):
    data = tmp_path_factory.mktemp("archive-workers")
    with postgres_schema("sohoa_workers") as url:
        env = {**sohoa_env, "SOHOA_DATABASE_URL": url,
               "SOHOA_API_VERIFY_PER_MINUTE": str(LIMIT)}
        token = make_token(run_sohoa, data, AGENCY, "dossiers:write,documents:read", env)
        port, log = free_port(), data.parent / "server-workers.log"
        with log.open("w") as out:
            proc = subprocess.Popen([SOHOA, "serve", "--data", str(data), "--port", str(port),
                                     "--workers", "2"], env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 120
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.time() < deadline, log.read_text()
                time.sleep(0.3)
            yield base, token, url, log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _pids(base: str, n: int) -> set[int]:
    """Server process ids answering n requests on new connections."""
    def one(_):
        with httpx.Client(base_url=base, timeout=30) as client:  # a new connection each
            return client.get("/api/v1/health").json()["process"]
    with ThreadPoolExecutor(8) as pool:
        return set(pool.map(one, range(n)))


def test_two_processes_answer(two_workers):
    base, *_ = two_workers
    assert len(_pids(base, 60)) == 2


def test_the_rate_limit_holds_across_processes(two_workers):
    base, *_ = two_workers

    def one(_):
        with httpx.Client(base_url=base, timeout=30) as client:  # one connection: one process
            pid = client.get("/api/v1/health").json()["process"]
            return client.get("/verify/ZZZZZZZZZZZZ").status_code, pid

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(3 * LIMIT)))
    assert len({pid for _, pid in answers}) == 2  # both processes took requests
    allowed = [s for s, _ in answers if s != 429]
    assert len(allowed) == LIMIT, answers  # one limit for the two, not one each


def _scan() -> bytes:
    buffer = io.BytesIO()
    render_document("can_cuoc", random.Random(3), dpi=200).pages[0].save(
        buffer, "PNG", dpi=(200, 200))
    return buffer.getvalue()


def test_one_idempotency_key_sent_to_both_processes_makes_one_dossier(two_workers):
    base, token, url, _ = two_workers
    scan = _scan()
    headers = {**bearer(token), "Idempotency-Key": "workers-1"}

    def send(_):
        with httpx.Client(base_url=base, timeout=120) as client:
            pid = client.get("/api/v1/health").json()["process"]
            answer = client.post("/api/v1/dossiers", headers=headers,
                                 files=[("files", ("the.png", scan, "image/png"))])
            return answer.status_code, answer.json(), pid

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(16)))
    assert len({pid for _, _, pid in answers}) == 2  # both processes were asked
    assert {s for s, _, _ in answers} <= {202, 409}, answers
    jobs = {body["id"] for s, body, _ in answers if s == 202}
    assert len(jobs) == 1, answers
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        dossiers = conn.execute(text("SELECT count(*) FROM jobs")).scalar_one()
    engine.dispose()
    assert dossiers == 1
