"""The archive service with a broker: its jobs run on a real Celery worker (Redis), through
the same stage graph, the archive on the real PostgreSQL. Upload → job → signed document
fetched → field corrected → the new signed copy verifies with pyHanko and pdfsig."""
from __future__ import annotations

import io
import random
import subprocess
import time
import uuid

import httpx
import pytest
import redis
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from samples.render import render_document
from tests.api_server import bearer, make_token, running_server, wait_for_job
from tests.conftest import SOHOA, postgres_schema

BROKER = "redis://127.0.0.1:6379/12"
AGENCY = "H03.00.00.00"


@pytest.fixture(scope="module")
def celery_service(tmp_path_factory, sohoa_env, run_sohoa):
    client = redis.Redis.from_url(BROKER)
    client.ping()
    queue = f"sohoa-test-{uuid.uuid4().hex[:12]}"  # apart from other runs on this Redis
    data = tmp_path_factory.mktemp("archive-celery")
    with postgres_schema("sohoa_api_celery") as url:
        env = {**sohoa_env, "SOHOA_BROKER_URL": BROKER, "SOHOA_DATABASE_URL": url,
               "SOHOA_QUEUE": queue}
        token = make_token(run_sohoa, data, AGENCY, "dossiers:write,documents:read", env)
        log = (data.parent / "worker.log").open("w")
        worker = subprocess.Popen([SOHOA, "worker", "--concurrency", "2"], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            with running_server(data, env, data.parent / "server-celery.log") as base, \
                    httpx.Client(base_url=base, timeout=120) as http:
                yield http, token, data
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            log.close()
            client.delete(queue, f"{queue}.pages", f"{queue}.documents")


def _verifies(pdf: bytes, path) -> None:
    status = validate_pdf_signature(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0])
    assert status.intact and status.valid
    path.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in report and "Total document signed" in report, report


@pytest.mark.celery
def test_a_job_runs_on_the_celery_worker_end_to_end(celery_service, tmp_path):
    http, token, data = celery_service
    buffer = io.BytesIO()
    render_document("can_cuoc", random.Random(77), dpi=200).pages[0].save(buffer, "PNG",
                                                                            dpi=(200, 200))
    started = time.time()
    sent = http.post("/api/v1/dossiers", headers=bearer(token),
                     files=[("files", ("card.png", buffer.getvalue(), "image/png"))])
    assert sent.status_code == 202, sent.text
    job = wait_for_job(http, sent.json()["url"], token, timeout=240)
    assert job["state"] == "succeeded", (job, (data.parent / "worker.log").read_text()[-3000:])
    assert time.time() - started < 240
    document_id = job["documents"][0]["document_id"]
    auth = bearer(token)
    signed = http.get(f"/api/v1/documents/{document_id}/files/signed", headers=auth)
    _verifies(signed.content, tmp_path / "v1.pdf")
    etag = http.get(f"/api/v1/documents/{document_id}", headers=auth).headers["etag"]
    corrected = http.patch(f"/api/v1/documents/{document_id}/fields", headers={
        **auth, "If-Match": etag}, json={"fields": {"que_quan": "Hà Nội"}, "reason": "Sửa quê quán"})
    assert corrected.status_code == 200, corrected.text
    again = http.get(f"/api/v1/documents/{document_id}/files/signed", headers=auth)
    assert again.content != signed.content
    _verifies(again.content, tmp_path / "v2.pdf")
