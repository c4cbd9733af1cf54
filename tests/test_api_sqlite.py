"""The archive service on the embedded default (SQLite and local files in one folder), serving
an output folder made by `sohoa process`: its documents, its certified copies' codes
(public, rate-limited, no personal data), problem documents for bad requests (never a
500), cancel, token revocation and expiry, and an audit trail that shows tampering."""
from __future__ import annotations

import io
import json
import random
import select
import socket
import sqlite3
from urllib.parse import urlparse

import httpx
import pytest

from samples.render import render_document
from tests.api_server import assert_problem, bearer, make_token, running_server, wait_for_job

AGENCY = "H00.00.00.00"  # the default SOHOA_AGENCY_CODE: `sohoa process` numbers with it
LIMIT = 4 * 2**20
REQUESTER = "Nguyễn Văn Công Dân"


def _scan(doc_type: str, seed: int) -> bytes:
    buffer = io.BytesIO()
    render_document(doc_type, random.Random(seed), dpi=200).pages[0].save(
        buffer, "PNG", dpi=(200, 200))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def archive(tmp_path_factory, sohoa_env, run_sohoa):
    """An output folder of `sohoa process` (one ID card), with a certified copy of it."""
    root = tmp_path_factory.mktemp("archive-sqlite")
    batch, out = root / "batch", root / "out"
    (batch / "HS-1").mkdir(parents=True)
    (batch / "HS-1" / "card.png").write_bytes(_scan("can_cuoc", 5))
    processed = run_sohoa("process", batch, "--out", out)
    assert processed.returncode == 0, processed.stderr
    document_id = json.loads(next(out.rglob("*.result.json")).read_text())["document_id"]
    certified = run_sohoa("certify", document_id, "--out", out, "--requester", REQUESTER,
                          "--certifier", "Trần Thị Bình", "--certifier-title", "Phó Chủ tịch",
                          "--json")
    assert certified.returncode == 0, certified.stderr
    return out, document_id, json.loads(certified.stdout)


@pytest.fixture(scope="module")
def service(archive, sohoa_env, run_sohoa):
    out = archive[0]
    tokens = {"admin": make_token(run_sohoa, out, AGENCY, "admin"),
              "writer": make_token(run_sohoa, out, AGENCY, "dossiers:write,documents:read")}
    env = {**sohoa_env, "SOHOA_API_MAX_UPLOAD_BYTES": str(LIMIT),
           "SOHOA_API_VERIFY_PER_MINUTE": "30"}
    with running_server(out, env, out.parent / "server.log") as base, \
            httpx.Client(base_url=base, timeout=120) as client:
        yield client, tokens, base


def test_an_output_folder_of_sohoa_process_is_served(service, archive):
    client, tokens, _ = service
    _, document_id, _ = archive
    auth = bearer(tokens["admin"])
    found = client.get("/api/v1/documents", params={"type": "can_cuoc"}, headers=auth).json()
    assert [r["id"] for r in found["results"]] == [document_id]
    document = client.get(f"/api/v1/documents/{document_id}", headers=auth).json()
    assert document["version"] == 1 and {f["kind"] for f in document["files"]} == {
        "original", "pdfa", "signed"}
    signed = client.get(f"/api/v1/documents/{document_id}/files/signed", headers=auth)
    assert signed.content == next(archive[0].rglob(f"{document_id}.pdf")).read_bytes()
    text = client.get("/api/v1/documents", params={"q": "can cuoc"}, headers=auth).json()
    assert text["count"] == 1


def test_a_code_alone_shows_no_personal_data(service, archive):
    client, _, _ = service
    out, _, summary = archive
    copy = summary["copies"][0]
    for path in (f"/verify/{copy['copy_id']}", f"/api/v1/verify/{copy['code'].lower()}"):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["verdict"] == "VALID" and body["copy"]["number"] == summary["number"]
        assert body["register"] is None
        for personal in (REQUESTER, "Trần Thị Bình", summary["original"]["name"]):
            assert personal not in answer.text
    assert_problem(client.get("/verify/ZZZZ-ZZZZ-ZZZZ"), 404, "not_found")
    assert_problem(client.get("/verify/not-a-code"), 422, "bad_code")
    # whoever holds the very file sees the whole entry
    pdf = (out / copy["file"]).read_bytes()
    checked = client.post("/api/v1/verify", files={"file": ("copy.pdf", pdf, "application/pdf")})
    body = checked.json()
    assert body["verdict"] == "VALID" and body["file_matches_register"] is True
    assert body["register"]["requester"] == REQUESTER
    assert [s["verdict"] for s in body["signatures"]] == ["VALID", "VALID"]
    tampered = pdf.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in pdf else pdf[:-10]
    worse = client.post("/api/v1/verify", files={"file": ("x.pdf", tampered, "application/pdf")})
    assert worse.status_code == 200 and worse.json()["verdict"] != "VALID"


def test_bad_requests_get_problem_documents(service, archive):
    client, tokens, _ = service
    _, document_id, _ = archive
    auth = bearer(tokens["writer"])
    assert_problem(client.post("/api/v1/dossiers", content=b"files", headers={
        **auth, "Content-Type": "text/plain"}), 415, "unsupported_media_type")
    assert_problem(client.post("/api/v1/dossiers", json={"files": []}, headers=auth), 422,
                   "invalid_request")  # JSON names objects of the store
    assert_problem(client.post("/api/v1/dossiers", json={"objects": [{"sha256": "ab" * 32}]},
                               headers=auth), 422, "object_not_found")
    malformed = client.post("/api/v1/dossiers", headers=auth, files=[
        ("files", ("broken.pdf", b"%PDF-1.7\n1 0 obj <<garbage", "application/pdf"))])
    assert "broken.pdf" in assert_problem(malformed, 422)["detail"]
    assert_problem(client.post("/api/v1/dossiers", headers=auth, files=[
        ("files", ("notes.txt", b"hello", "text/plain"))]), 422, "unsupported_type")
    assert_problem(client.post("/api/v1/verify", files={"file": ("a.pdf", b"not a pdf")}), 422,
                   "not_pdf")
    etag = client.get(f"/api/v1/documents/{document_id}", headers=auth).headers["etag"]
    url = f"/api/v1/documents/{document_id}/fields"
    good = {"fields": {"ho_ten": "A B"}, "reason": "thử"}
    assert_problem(client.patch(url, json={"fields": {"no_such_field": "1"}, "reason": "thử"},
                                headers={**auth, "If-Match": etag}), 422, "unknown_field")
    assert_problem(client.patch(url, json={**good, "extra": 1}, headers={**auth, "If-Match": etag}),
                   422, "invalid_request")
    assert_problem(client.patch(url, content=b"{not json", headers={
        **auth, "If-Match": etag, "Content-Type": "application/json"}), 422, "invalid_request")
    assert_problem(client.patch(url, json=good, headers=auth), 428, "precondition_required")
    assert_problem(client.patch(url, json=good, headers={**auth, "If-Match": '"old.v0"'}), 412,
                   "stale_version")
    assert_problem(client.get("/api/v1/nothing-here", headers=auth), 404, "not_found")
    assert_problem(client.delete("/api/v1/jobs", headers=auth), 405, "method_not_allowed")
    assert_problem(client.get("/api/v1/documents", params={"page": 0}, headers=auth), 422)
    assert_problem(client.get("/api/v1/tokens", headers=auth), 403, "insufficient_scope")
    assert_problem(client.get("/api/v1/documents", headers={"Authorization": "Bearer nope"}),
                   401, "unauthorized")


def _raw_upload(base: str, token: str, headers: str, chunks) -> bytes:
    """Send a request by hand, stopping as soon as the server answers; the answer."""
    where = urlparse(base)
    with socket.create_connection((where.hostname, where.port), timeout=30) as conn:
        conn.sendall((f"POST /api/v1/dossiers HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {token}\r\n{headers}\r\n").encode())
        try:
            for chunk in chunks:
                if select.select([conn], [], [], 0)[0]:
                    break  # the server answered before the body ended
                conn.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = conn.recv(65536)
            if not data:
                break
            answer += data
        return answer


def test_oversized_uploads_are_refused_while_streaming(service):
    client, tokens, base = service
    boundary = "b0undary"
    declared = _raw_upload(base, tokens["writer"],
                           f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                           f"Content-Length: {500 * 2**20}\r\n", [b"--" + boundary.encode()])
    assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
    assert b"application/problem+json" in declared and b"payload_too_large" in declared
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"big.tif\"\r\nContent-Type: image/tiff\r\n\r\n").encode()
    piece = b"\0" * 65536

    def chunked():
        yield f"{len(head):x}\r\n".encode() + head + b"\r\n"
        for _ in range(500 * 16):  # up to 500 MB, never all sent
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"

    streamed = _raw_upload(base, tokens["writer"],
                           f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                           "Transfer-Encoding: chunked\r\n", chunked())
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:300]
    assert b"payload_too_large" in streamed
    assert client.get("/api/v1/health").status_code == 200  # and the service is fine


def test_a_queued_job_is_canceled(service):
    client, tokens, _ = service
    auth = bearer(tokens["writer"])
    first = client.post("/api/v1/dossiers", headers=auth,
                        files=[("files", ("a.png", _scan("giay_khai_sinh", 8), "image/png"))])
    second = client.post("/api/v1/dossiers", headers=auth,
                         files=[("files", ("b.png", _scan("can_cuoc", 9), "image/png"))])
    canceled = client.post(f"{second.json()['url']}/cancel", headers=auth)
    assert canceled.status_code == 202 and canceled.json()["cancel_requested"]
    done = wait_for_job(client, second.json()["url"], tokens["writer"])
    assert done["state"] == "canceled", done
    assert [d["outcome"] for d in done["documents"]] == ["canceled"]
    assert wait_for_job(client, first.json()["url"], tokens["writer"])["state"] == "succeeded"
    listed = client.get("/api/v1/jobs", headers=auth).json()
    assert {j["id"] for j in listed} >= {first.json()["id"], second.json()["id"]}


def test_revoked_and_expired_tokens_are_refused(service, archive, run_sohoa):
    client, tokens, _ = service
    out = archive[0]
    spare = make_token(run_sohoa, out, AGENCY, "documents:read")
    assert client.get("/api/v1/documents", headers=bearer(spare)).status_code == 200
    listed = client.get("/api/v1/tokens", headers=bearer(tokens["admin"])).json()
    assert all(spare not in json.dumps(t) for t in listed)  # never the secret
    spare_id = spare.split("_")[1]
    assert next(t for t in listed if t["id"] == spare_id)["last_used_at"]
    assert client.delete(f"/api/v1/tokens/{spare_id}",
                         headers=bearer(tokens["admin"])).status_code == 204
    assert_problem(client.get("/api/v1/documents", headers=bearer(spare)), 401)
    made = run_sohoa("token", "create", "--data", out, "--agency", AGENCY, "--scopes",
                     "documents:read", "--expires", "2000-01-01")
    assert made.returncode == 0
    assert_problem(client.get("/api/v1/documents", headers=bearer(made.stdout.strip())), 401)


def test_verification_is_rate_limited(service):
    client, _, _ = service
    answers = [client.get("/verify/ZZZZZZZZZZZZ") for _ in range(40)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert_problem(limited[0], 429, "rate_limited")
    assert int(limited[0].headers["retry-after"]) >= 1


def test_the_audit_trail_shows_an_edited_or_removed_event(service, archive, run_sohoa):
    out = archive[0]
    ok = run_sohoa("audit-trail", "verify", "--data", out)
    assert ok.returncode == 0, ok.stderr
    database = out / ".sohoa" / "sohoa.sqlite"
    with sqlite3.connect(database) as conn:
        try:
            conn.execute("UPDATE audit_events SET actor = 'someone' WHERE seq = 2")
            raise AssertionError("the trail accepted an edit")
        except sqlite3.DatabaseError as exc:
            assert "append-only" in str(exc)
        # someone who drops the guards: the chain still tells
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("DROP TRIGGER audit_events_no_delete")
        conn.execute("UPDATE audit_events SET changes = '{}' WHERE seq = 3")
    edited = run_sohoa("audit-trail", "verify", "--data", out)
    assert edited.returncode == 1 and "số 3 đã bị sửa" in edited.stderr, edited.stderr
    with sqlite3.connect(database) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq = 5")
        last = conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
        conn.execute("DELETE FROM audit_events WHERE seq = ?", (last,))
    removed = run_sohoa("audit-trail", "verify", "--data", out)
    assert removed.returncode == 1
    assert "Thiếu sự kiện số 5" in removed.stderr and "đã bị xóa" in removed.stderr


def test_serve_needs_no_set_up(tmp_path, sohoa_env):
    """`sohoa serve` alone: an archive under SOHOA_HOME, SQLite and local files, OpenAPI 3.1."""
    env = {**sohoa_env, "SOHOA_HOME": str(tmp_path / "home")}
    with running_server(None, env, tmp_path / "server.log") as base:
        spec = httpx.get(f"{base}/api/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.1") and "/api/v1/dossiers" in spec["paths"]
    assert (tmp_path / "home" / "archive" / ".sohoa" / "sohoa.sqlite").is_file()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hooks", "http://localhost/hooks", "http://[::1]/hooks",
    "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/hooks",
    "https://192.168.1.10/hooks", "http://[fd00::1]/hooks", "http://100.64.0.1/",
    "http://0.0.0.0:8000/", "http://[::ffff:127.0.0.1]/hooks"])
def test_webhooks_to_internal_addresses_are_refused(service, url):
    """Without SOHOA_WEBHOOK_ALLOW_PRIVATE a receiver on this machine, a link-local address
    (cloud metadata) or a private network is refused when registered, in Vietnamese."""
    client, tokens, _ = service
    body = assert_problem(client.post("/api/v1/webhooks", headers=bearer(tokens["admin"]),
                                      json={"url": url, "events": ["job.finished"]}),
                          422, "webhook_url_refused")
    assert "địa chỉ nội bộ" in body["detail"] and "SOHOA_WEBHOOK_ALLOW_PRIVATE" in body["detail"]


def test_webhook_urls_must_be_http(service):
    client, tokens, _ = service
    for url in ("ftp://hooks.example.vn/x", "file:///etc/passwd", "gopher://example.vn/"):
        assert_problem(client.post("/api/v1/webhooks", headers=bearer(tokens["admin"]),
                                   json={"url": url, "events": ["job.finished"]}), 422)
    assert client.get("/api/v1/webhooks", headers=bearer(tokens["admin"])).json() == []
