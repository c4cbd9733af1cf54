"""The archive service's second part end to end, on a real server process and the real
PostgreSQL: fields with where and how surely they were read, page images, certified copies
through the API (idempotent request, fetch, revoke, the register as CSV and PDF/A, the
public verification saying revoked), intake from objects of the archive's object store,
and webhooks delivered to a real receiving process on loopback, signed with HMAC-SHA256
and retried after a failed attempt, with their delivery log."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from samples.render import render_document
from storage.objects import LocalObjectStore
from tests.api_server import (
    assert_problem,
    bearer,
    free_port,
    make_token,
    running_server,
    wait_for_job,
)
from tests.conftest import postgres_schema

AGENCY_A, AGENCY_B = "H03.00.00.00", "H04.00.00.00"
NAME_A = "ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ"  # tenant A's display name; B has none
ALL = "dossiers:write,documents:read,persons:read,copies:issue,audit:read,admin"
EVENTS = ["job.finished", "document.needs_review", "copy.issued", "copy.revoked"]
COPY = {"requester": "Nguyễn Văn Công Dân", "certifier_name": "Trần Thị Bình",
        "certifier_title": "Phó Chủ tịch", "copies": 2}


def _scan(doc_type: str, seed: int) -> bytes:
    buffer = io.BytesIO()
    render_document(doc_type, random.Random(seed), dpi=200).pages[0].save(
        buffer, "PNG", dpi=(200, 200))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    """A real HTTP server process taking webhooks; its first answer is a 500."""
    folder = tmp_path_factory.mktemp("hooks")
    log, port = folder / "received.jsonl", free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "webhook_receiver.py"),
                             str(port), str(log), "1"])
    deadline = time.time() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/probe", timeout=2)  # 501: up, nothing logged
            break
        except httpx.TransportError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/hooks", log
    proc.terminate()
    proc.wait(timeout=10)


def received(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def service(tmp_path_factory, sohoa_env, run_sohoa, receiver):
    data = tmp_path_factory.mktemp("archive-copies")
    with postgres_schema("sohoa_api2") as url:
        env = {**sohoa_env, "SOHOA_DATABASE_URL": url, "SOHOA_WEBHOOK_BACKOFF_S": "0.5",
               "SOHOA_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver listens on loopback
               "SOHOA_PUBLIC_BASE_URL": "https://xacthuc.example.vn"}
        tokens = {"a": make_token(run_sohoa, data, AGENCY_A, ALL, env, agency_name=NAME_A),
                  "b": make_token(run_sohoa, data, AGENCY_B, ALL, env),
                  "a_reader": make_token(run_sohoa, data, AGENCY_A, "documents:read", env)}
        log = data.parent / "server-copies.log"
        with running_server(data, env, log) as base, \
                httpx.Client(base_url=base, timeout=180) as client:
            hook = client.post("/api/v1/webhooks", headers=bearer(tokens["a"]),
                               json={"url": receiver[0], "events": EVENTS, "label": "thử"})
            assert hook.status_code == 201, hook.text
            yield client, tokens, data, hook.json(), log


@pytest.fixture(scope="module")
def card(service):
    """An ID card sent as a file and digitized: its document id."""
    client, tokens, *_ = service
    sent = client.post("/api/v1/dossiers", headers=bearer(tokens["a"]),
                       files=[("files", ("card.png", _scan("can_cuoc", 31), "image/png"))])
    assert sent.status_code == 202, sent.text
    job = wait_for_job(client, sent.json()["url"], tokens["a"])
    assert job["state"] == "succeeded", job
    return job["documents"][0]["document_id"]


def test_fields_say_how_surely_and_where_they_were_read(service, card):
    client, tokens, *_ = service
    fields = client.get(f"/api/v1/documents/{card}/fields", headers=bearer(tokens["a"])).json()
    assert fields["fields"], fields
    for f in fields["fields"]:
        assert f["source"] == "ocr"
        assert 0 <= f["confidence"] <= 100, f
        assert f["page"] == 1, f
        x0, y0, x1, y1 = f["box"]
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1, f


def test_page_images_and_thumbnails(service, card):
    client, tokens, *_ = service
    auth = bearer(tokens["a"])
    page = client.get(f"/api/v1/documents/{card}/pages/1", headers=auth)
    assert page.status_code == 200 and page.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(page.content))
    assert image.format == "JPEG" and image.width > 500
    assert client.get(f"/api/v1/documents/{card}/pages/1", headers={
        **auth, "If-None-Match": page.headers["etag"]}).status_code == 304
    thumb = client.get(f"/api/v1/documents/{card}/pages/1/thumbnail", params={"width": 128},
                       headers=auth)
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).width == 128
    assert_problem(client.get(f"/api/v1/documents/{card}/pages/2", headers=auth), 404)
    assert_problem(client.get(f"/api/v1/documents/{card}/pages/1", headers=bearer(tokens["b"])),
                   404)


@pytest.fixture(scope="module")
def issued(service, card):
    client, tokens, *_ = service
    headers = {**bearer(tokens["a"]), "Idempotency-Key": "copy-0001"}
    body = {"document_id": card, **COPY}
    first = client.post("/api/v1/copies", json=body, headers=headers)
    retry = client.post("/api/v1/copies", json=body, headers=headers)
    return first, retry


def test_copies_are_certified_once_per_key_and_verify(service, card, issued, tmp_path):
    client, tokens, *_ = service
    auth = bearer(tokens["a"])
    assert_problem(client.post("/api/v1/copies", json={"document_id": card, **COPY},
                               headers=auth), 428, "idempotency_key_required")
    first, retry = issued
    assert first.status_code == 201, first.text
    assert retry.status_code == 201 and retry.json() == first.json()
    assert retry.headers.get("idempotent-replayed") == "true"
    out = first.json()
    assert out["document_id"] == card and len(out["copies"]) == 2
    assert all(c["verify_url"].startswith("https://xacthuc.example.vn/verify/")
               for c in out["copies"])
    entries = client.get("/api/v1/register", params={"year": out["year"]}, headers=auth).text
    assert entries.count(card) == 1  # the retry took no second number
    pdf = client.get(out["copies"][0]["file_url"], headers=auth)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == out["copies"][0]["sha256"]
    signatures = PdfFileReader(io.BytesIO(pdf.content)).embedded_signatures
    assert len(signatures) == 2  # the certifier's, then the agency's
    assert all(validate_pdf_signature(s).intact for s in signatures)
    code = out["copies"][0]["code"]
    public = client.get(f"/verify/{code}").json()
    assert public["copy"]["number"] == out["number"] and not public["copy"]["revoked"]
    assert public["copy"]["agency"] == NAME_A  # the tenant certified it, not the service
    # the lời chứng and the agency's signature stamp (pdftotext reads the stamps'
    # appearances) name the tenant agency, never the service's SOHOA_AGENCY_NAME
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf.content,
                                   capture_output=True, check=True).stdout.decode().split())
    assert f"CƠ QUAN CHỨNG THỰC {NAME_A}" in text and f"Ký bởi: {NAME_A}" in text, text
    assert "Ký bởi: ĐƠN VỊ SỐ HÓA THỬ NGHIỆM" not in text, text
    assert COPY["requester"] not in json.dumps(public, ensure_ascii=False)
    foreign = bearer(tokens["b"])
    assert_problem(client.get(out["copies"][0]["url"], headers=foreign), 404)
    assert_problem(client.get(out["copies"][0]["file_url"], headers=foreign), 404)
    assert card not in client.get("/api/v1/register", params={"year": out["year"]},
                                  headers=foreign).text
    assert_problem(client.post("/api/v1/copies", json={"document_id": card, **COPY},
                               headers={**foreign, "Idempotency-Key": "x-1"}), 404)
    assert_problem(client.post("/api/v1/copies", json={"document_id": card, **COPY},
                               headers={**bearer(tokens["a_reader"]), "Idempotency-Key": "x-2"}),
                   403, "insufficient_scope")


@pytest.fixture(scope="module")
def revoked(service, issued):
    client, tokens, *_ = service
    copy = issued[0].json()["copies"][0]
    return client.post(f"{copy['url']}/revoke", json={"reason": "Cấp nhầm người yêu cầu"},
                       headers=bearer(tokens["a"]))


def test_a_revoked_copy_is_marked_in_the_register_and_verifies_as_revoked(service, issued,
                                                                           revoked):
    client, tokens, *_ = service
    auth = bearer(tokens["a"])
    out = issued[0].json()
    copy = out["copies"][0]
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] and revoked.json()["revocation_reason"]
    assert "Thu hồi bản sao " + copy["copy_id"] in revoked.json()["entry"]["notes"]
    assert_problem(client.post(f"{copy['url']}/revoke", json={"reason": "lần nữa"},
                               headers=auth), 409, "already_revoked")
    public = client.get(f"/verify/{copy['code']}").json()
    assert public["verdict"] == "INVALID" and public["copy"]["revoked"]
    assert public["copy"]["revoked_on"] and "Cấp nhầm" not in json.dumps(public)
    other = client.get(f"/verify/{out['copies'][1]['code']}").json()
    assert not other["copy"]["revoked"]  # only the copy revoked
    pdf = client.get(copy["file_url"], headers=auth).content
    checked = client.post("/api/v1/verify", files={"file": ("c.pdf", pdf, "application/pdf")})
    assert checked.json()["verdict"] == "INVALID" and checked.json()["copy"]["revoked"]
    csv = client.get("/api/v1/register", params={"year": out["year"]}, headers=auth)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Thu hồi bản sao " + copy["copy_id"] in csv.text
    printed = client.get("/api/v1/register", params={"year": out["year"], "format": "pdf"},
                         headers=auth)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF-")


@pytest.fixture(scope="module")
def corrected(service, card, issued):
    """Fields before, and the answer to a correction that breaks a rule (after the copies:
    they are of version 1)."""
    client, tokens, *_ = service
    auth = bearer(tokens["a"])
    etag = client.get(f"/api/v1/documents/{card}", headers=auth).headers["etag"]
    before = {f["key"]: f for f in client.get(f"/api/v1/documents/{card}/fields",
                                              headers=auth).json()["fields"]}
    return before, client.patch(f"/api/v1/documents/{card}/fields",
                                headers={**auth, "If-Match": etag},
                                json={"fields": {"so": "123"}, "reason": "Thử số sai"})


def test_a_correction_keeps_where_fields_were_read_and_marks_the_clerks(corrected):
    before, patched = corrected
    assert patched.status_code == 200, patched.text
    after = {f["key"]: f for f in patched.json()["fields"]}
    assert patched.json()["status"] == "needs_review"  # a 3-digit number breaks the rules
    assert after["so"]["source"] == "clerk" and after["so"]["confidence"] is None
    assert after["so"]["box"] == before["so"]["box"]  # still where it is on the paper
    assert after["ho_ten"] == before["ho_ten"]


def test_intake_from_objects_of_the_store(service):
    client, tokens, data, *_ = service
    store = LocalObjectStore(data / ".sohoa" / "objects")  # the archive's configured store
    key = store.put(_scan("giay_khai_sinh", 41))
    store.put_named("inbox/2026/khai-sinh-2.png", _scan("giay_khai_sinh", 42))
    auth = {**bearer(tokens["a"]), "Idempotency-Key": "objects-1"}
    body = {"objects": [{"sha256": key, "name": "khai sinh.png"},
                        {"object": "inbox/2026/khai-sinh-2.png"}]}
    sent = client.post("/api/v1/dossiers", json=body, headers=auth)
    assert sent.status_code == 202, sent.text
    assert client.post("/api/v1/dossiers", json=body, headers=auth).json() == sent.json()
    job = wait_for_job(client, sent.json()["url"], tokens["a"])
    assert job["state"] == "succeeded", job
    assert [d["name"] for d in job["documents"]] == ["khai sinh.png", "khai-sinh-2.png"]
    document = client.get(f"/api/v1/documents/{job['documents'][0]['document_id']}",
                          headers=auth).json()
    assert document["document_type"] == "giay_khai_sinh"
    assert_problem(client.post("/api/v1/dossiers", headers=bearer(tokens["a"]),
                               json={"objects": [{"object": "inbox/none.png"}]}),
                   422, "object_not_found")
    assert_problem(client.post("/api/v1/dossiers", headers=bearer(tokens["a"]),
                               json={"objects": [{"object": "../../etc/passwd"}]}),
                   422, "object_not_found")


def _wait_for(log: Path, events: set[str], timeout: float = 60) -> list[dict]:
    deadline = time.time() + timeout
    while True:
        got = [r for r in received(log) if r["status"] == 204]
        if events <= {json.loads(r["body"])["type"] for r in got}:
            return got
        if time.time() > deadline:
            raise AssertionError(f"webhooks received: {received(log)}")
        time.sleep(0.3)


def test_webhooks_are_signed_retried_and_logged(service, receiver, card, issued, revoked,
                                                corrected):
    client, tokens, data, hook, server_log = service
    got = _wait_for(receiver[1], set(EVENTS))
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    for request in got:
        stamp, mac = dict(p.split("=", 1) for p in
                          request["headers"]["Sohoa-Signature"].split(",")).values()
        expected = hmac.new(secret.encode(), f"{stamp}.{request['body']}".encode(),
                            hashlib.sha256).hexdigest()
        assert hmac.compare_digest(mac, expected) and abs(time.time() - int(stamp)) < 600
        event = json.loads(request["body"])
        assert event["agency"] == AGENCY_A and request["headers"]["Sohoa-Event"] == event["type"]
    finished = next(json.loads(r["body"]) for r in got
                    if json.loads(r["body"])["type"] == "job.finished")
    assert finished["data"]["state"] == "succeeded"
    issued_event = next(json.loads(r["body"]) for r in got
                        if json.loads(r["body"])["type"] == "copy.issued")
    assert {c["copy_id"] for c in issued_event["data"]["copies"]} == {
        c["copy_id"] for c in issued[0].json()["copies"]}
    log = client.get(hook["deliveries_url"], headers=bearer(tokens["a"])).json()
    first = log[0]
    assert first["attempts"] >= 2 and first["state"] == "delivered"  # the receiver's 500, then 204
    assert first["last_status"] == 204 and first["delivered_at"]
    assert {d["event"] for d in log} >= set(EVENTS)
    listed = client.get("/api/v1/webhooks", headers=bearer(tokens["a"])).json()
    assert [h["id"] for h in listed] == [hook["id"]] and listed[0]["secret"] is None
    assert_problem(client.get(hook["deliveries_url"], headers=bearer(tokens["b"])), 404)
    assert client.get("/api/v1/webhooks", headers=bearer(tokens["b"])).json() == []
    trail = client.get("/api/v1/audit", headers=bearer(tokens["a"])).text
    assert secret not in trail and secret not in server_log.read_text()
    assert secret not in json.dumps(log)
    assert_problem(client.post("/api/v1/webhooks", headers=bearer(tokens["a"]),
                               json={"url": "ftp://x", "events": ["job.finished"]}), 422)
    assert_problem(client.post("/api/v1/webhooks", headers=bearer(tokens["a"]),
                               json={"url": receiver[0], "events": ["nope"]}), 422)


def _half_erased_card() -> bytes:
    """An ID card whose lower half is blank: its type is certain (the title), none of its
    fields can be read, so the job's document needs review."""
    from PIL import ImageDraw

    page = render_document("can_cuoc", random.Random(31), dpi=200).pages[0].convert("RGB")
    ImageDraw.Draw(page).rectangle([0, int(page.height * 0.45), page.width, page.height],
                                   fill="white")
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=(200, 200))
    return buffer.getvalue()


def test_a_job_whose_document_needs_review_fires_the_webhook(service, receiver):
    """document.needs_review from the pipeline itself (not from a clerk's correction): the
    job's run emits it for the document, with the job, signed like every event."""
    client, tokens, _, hook, _ = service
    sent = client.post("/api/v1/dossiers", headers=bearer(tokens["a"]),
                       files=[("files", ("nua-the.png", _half_erased_card(), "image/png"))])
    assert sent.status_code == 202, sent.text
    job = wait_for_job(client, sent.json()["url"], tokens["a"])
    [document] = job["documents"]
    assert document["outcome"] == "needs_review", job
    deadline = time.time() + 60
    while True:
        events = [(json.loads(r["body"]), r) for r in received(receiver[1]) if r["status"] == 204]
        mine = [(e, r) for e, r in events if e["type"] == "document.needs_review"
                and e["data"].get("job_id") == job["id"]]
        finished = [e for e, _ in events if e["type"] == "job.finished"
                    and e["data"]["job_id"] == job["id"]]
        if mine and finished:
            break
        assert time.time() < deadline, f"webhooks received: {received(receiver[1])}"
        time.sleep(0.3)
    [(event, request)] = mine
    assert event["agency"] == AGENCY_A
    assert event["data"]["document_id"] == document["document_id"]
    assert event["data"]["url"] == f"/api/v1/documents/{document['document_id']}"
    stamp, mac = dict(p.split("=", 1) for p in
                      request["headers"]["Sohoa-Signature"].split(",")).values()
    assert hmac.compare_digest(mac, hmac.new(hook["secret"].encode(),
                                             f"{stamp}.{request['body']}".encode(),
                                             hashlib.sha256).hexdigest())
    assert finished[0]["data"]["documents"] == [
        {"document_id": document["document_id"], "outcome": "needs_review"}]
    status = client.get(event["data"]["url"], headers=bearer(tokens["a"])).json()["status"]
    assert status == "needs_review"
