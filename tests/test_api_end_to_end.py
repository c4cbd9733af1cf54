"""The archive service end to end on the real PostgreSQL: a dossier uploaded through the API
runs as a job, its signed document is fetched, a field corrected makes a new version whose
new signed copy pyHanko and pdfsig accept; retries, duplicates, search, persons, audit;
and a token of another agency gets nothing of it on any route of the OpenAPI document."""
from __future__ import annotations

import io
import json
import random
import re
import subprocess

import httpx
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from samples.render import render_document
from tests.api_server import assert_problem, bearer, make_token, running_server, wait_for_job
from tests.conftest import postgres_schema

AGENCY_A, AGENCY_B = "H01.00.00.00", "H02.00.00.00"
ALL_SCOPES = "dossiers:write,documents:read,persons:read,copies:issue,audit:read,admin"


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> dict[str, bytes]:
    """Two clean generated scans: an ID card and a birth certificate (PNG)."""
    rng = random.Random(31)
    out = {}
    for doc_type in ("can_cuoc", "giay_khai_sinh"):
        buffer = io.BytesIO()
        render_document(doc_type, rng, dpi=200).pages[0].save(buffer, "PNG", dpi=(200, 200))
        out[doc_type] = buffer.getvalue()
    return out


@pytest.fixture(scope="module")
def service(tmp_path_factory, sohoa_env, run_sohoa):
    data = tmp_path_factory.mktemp("archive-pg")
    with postgres_schema("sohoa_api") as url:
        env = {**sohoa_env, "SOHOA_DATABASE_URL": url}
        tokens = {
            "a": make_token(run_sohoa, data, AGENCY_A, ALL_SCOPES, env),
            "b": make_token(run_sohoa, data, AGENCY_B, ALL_SCOPES, env),
            "a_reader": make_token(run_sohoa, data, AGENCY_A, "documents:read", env),
        }
        with running_server(data, env, data.parent / "server-pg.log") as base, \
                httpx.Client(base_url=base, timeout=120) as client:
            yield client, tokens, data, env


@pytest.fixture(scope="module")
def uploaded(service, scans):
    client, tokens, _, _ = service
    files = [("files", ("the ID card.png", scans["can_cuoc"], "image/png")),
             ("files", ("khai sinh.png", scans["giay_khai_sinh"], "image/png")),
             ("files", ("same card again.png", scans["can_cuoc"], "image/png"))]
    headers = {**bearer(tokens["a"]), "Idempotency-Key": "dossier-0001"}
    first = client.post("/api/v1/dossiers", files=files, headers=headers)
    retry = client.post("/api/v1/dossiers", files=files, headers=headers)
    job = wait_for_job(client, first.json()["url"], tokens["a"])
    return first, retry, job


def test_a_retried_upload_is_the_first_answer_and_the_same_file_one_document(uploaded):
    first, retry, _ = uploaded
    assert first.status_code == 202, first.text
    assert first.headers["location"] == first.json()["url"]
    assert retry.status_code == 202 and retry.json() == first.json()
    assert retry.headers.get("idempotent-replayed") == "true"
    documents = first.json()["documents"]
    assert len(documents) == 2  # the card twice in one request is one document
    assert first.json()["dossier_id"].startswith(AGENCY_A + "-")


def test_the_job_runs_to_success_with_every_page(uploaded):
    _, _, job = uploaded
    assert job["state"] == "succeeded", job
    assert job["stage"] == "finished" and job["pages_done"] == job["pages_total"] == 2
    assert {d["outcome"] for d in job["documents"]} <= {"done", "needs_review"}


def test_the_same_scan_sent_again_is_the_same_document(service, uploaded, scans):
    client, tokens, _, _ = service
    card = uploaded[2]["documents"][0]["document_id"]
    again = client.post("/api/v1/dossiers", headers=bearer(tokens["a"]),
                        files=[("files", ("renamed.png", scans["can_cuoc"], "image/png"))])
    job = wait_for_job(client, again.json()["url"], tokens["a"])
    assert job["state"] == "succeeded"
    assert [(d["document_id"], d["outcome"]) for d in job["documents"]] == [(card, "duplicate")]


def _signature_ok(pdf: bytes, tmp_path) -> None:
    status = validate_pdf_signature(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0])
    assert status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in report and "Total document signed" in report, report


def test_fetch_correct_and_the_new_signed_copy_verifies(service, uploaded, tmp_path):
    client, tokens, _, _ = service
    card = uploaded[2]["documents"][0]["document_id"]
    auth = bearer(tokens["a"])
    document = client.get(f"/api/v1/documents/{card}", headers=auth)
    assert document.status_code == 200 and document.json()["document_type"] == "can_cuoc"
    etag = document.headers["etag"]
    assert client.get(f"/api/v1/documents/{card}",
                      headers={**auth, "If-None-Match": etag}).status_code == 304
    v1 = client.get(f"/api/v1/documents/{card}/files/signed", headers=auth)
    assert v1.status_code == 200 and v1.headers["content-type"] == "application/pdf"
    _signature_ok(v1.content, tmp_path)

    fields = client.get(f"/api/v1/documents/{card}/fields", headers=auth).json()
    assert fields["etag"] == etag and all(f["source"] == "ocr" for f in fields["fields"])
    patch = {"fields": {"ho_ten": "NGUYỄN VĂN SỬA"}, "reason": "Đối chiếu bản giấy"}
    corrected = client.patch(f"/api/v1/documents/{card}/fields", json=patch,
                             headers={**auth, "If-Match": etag})
    assert corrected.status_code == 200, corrected.text
    new_etag = corrected.headers["etag"]
    assert new_etag != etag and corrected.json()["version"] == 2
    by_key = {f["key"]: f for f in corrected.json()["fields"]}
    assert by_key["ho_ten"]["value"] == "NGUYỄN VĂN SỬA" and by_key["ho_ten"]["source"] == "clerk"

    stale = client.patch(f"/api/v1/documents/{card}/fields", json=patch,
                         headers={**auth, "If-Match": etag})
    assert_problem(stale, 412, "stale_version")

    v2 = client.get(f"/api/v1/documents/{card}/files/signed", headers=auth)
    assert v2.content != v1.content
    _signature_ok(v2.content, tmp_path)
    kept = client.get(f"/api/v1/documents/{card}/files/signed?version=1", headers=auth)
    assert kept.content == v1.content  # the old signed copy is kept
    versions = client.get(f"/api/v1/documents/{card}/versions", headers=auth).json()
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["changed"] == ["ho_ten"]
    assert versions[1]["reason"] == "Đối chiếu bản giấy"

    report = client.post("/api/v1/verify", files={"file": ("v2.pdf", v2.content, "application/pdf")})
    assert report.status_code == 200 and report.json()["verdict"] == "VALID", report.text


def test_search_finds_the_corrected_value_and_persons_their_documents(service, uploaded):
    client, tokens, _, _ = service
    auth = bearer(tokens["a"])
    found = client.get("/api/v1/documents", params={"field": "ho_ten:nguyen van sua"},
                       headers=auth).json()
    assert found["count"] == 1 and found["results"][0]["fields"]["ho_ten"] == "NGUYỄN VĂN SỬA"
    assert found["next"] is None and found["previous"] is None
    card = found["results"][0]
    owner = card["owners"][0]
    person = client.get(f"/api/v1/persons/{owner}/documents", headers=auth).json()
    assert card["id"] in [r["id"] for r in person["results"]]
    paged = client.get("/api/v1/documents", params={"per_page": 1}, headers=auth).json()
    assert paged["count"] == 2 and paged["next"] and "page=2" in paged["next"]
    only_reader = client.get(f"/api/v1/persons/{owner}/documents",
                             headers=bearer(tokens["a_reader"]))
    assert_problem(only_reader, 403, "insufficient_scope")


BODIES = {("patch", "/api/v1/documents/{document_id}/fields"):
          {"fields": {"ho_ten": "KẺ LẠ"}, "reason": "thử truy cập chéo"},
          ("post", "/api/v1/copies/{copy_id}/revoke"): {"reason": "thử truy cập chéo"}}


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m[1], "x"), path)


def test_a_foreign_token_gets_nothing_on_any_route(service, uploaded):
    """Every route of the OpenAPI document, called with agency B's all-scopes token on
    agency A's objects: 404 or 403 (or, for B's own lists, nothing of A's), never A's data."""
    client, tokens, _, _ = service
    job = uploaded[2]
    card = job["documents"][0]["document_id"]
    a_tokens = client.get("/api/v1/tokens", headers=bearer(tokens["a"])).json()
    ids = {"document_id": card, "dossier_id": job["dossier_id"], "job_id": job["id"],
           "kind": "signed", "personal_id": client.get(
               f"/api/v1/documents/{card}", headers=bearer(tokens["a"])).json()["owners"][0],
           "token_id": a_tokens[0]["id"], "n": "1"}
    secrets_of_a = [card, job["dossier_id"], job["id"], ids["personal_id"], ids["token_id"],
                    job["documents"][0]["sha256"]]
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    walked = 0
    for path, methods in spec["paths"].items():
        for method in methods:
            if "verify" in path or path.endswith("/health"):
                continue  # public by design: checked in tests/test_api_sqlite.py
            url = _fill(path, ids)
            # a valid body, so the request gets past validation to the ownership check
            body = BODIES.get((method, path))
            response = client.request(method.upper(), url, json=body,
                                      headers={**bearer(tokens["b"]), "If-Match": "*"})
            walked += 1
            assert response.status_code != 500, (method, url, response.text)
            if "{" in path:
                assert response.status_code in (403, 404), (method, url, response.text)
            shown = response.text
            if path.endswith("/audit"):  # B's own trail: it may name what B itself asked for
                assert all(json.loads(line)["agency_code"] == AGENCY_B
                           for line in shown.splitlines()), shown
                continue
            if response.headers["content-type"].startswith("application/problem+json"):
                shown = json.dumps({k: v for k, v in response.json().items() if k != "instance"},
                                   ensure_ascii=False)  # the path the caller sent, echoed
            for secret in secrets_of_a:
                assert secret not in shown, (method, url, secret)
            no_token = client.request(method.upper(), url)
            assert_problem(no_token, 401, "unauthorized")
    assert walked >= 15
    # and agency A's document is still there for A
    assert client.get(f"/api/v1/documents/{card}", headers=bearer(tokens["a"])).status_code == 200


def test_audit_trail_holds_reads_and_writes_and_verifies(service, uploaded, run_sohoa):
    client, tokens, data, env = service
    exported = client.get("/api/v1/audit", headers=bearer(tokens["a"]))
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in exported.text.splitlines()]
    actions = {e["action"] for e in events}
    assert {"dossier.created", "document.viewed", "file.downloaded",
            "document.corrected"} <= actions, actions
    assert all(e["agency_code"] == AGENCY_A for e in events)
    corrected = next(e for e in events if e["action"] == "document.corrected")
    assert corrected["changes"]["fields"]["ho_ten"]["to"] == "NGUYỄN VĂN SỬA"
    assert corrected["request_id"] and corrected["actor"].startswith("token:")
    for token in tokens.values():  # secrets never reach the trail
        assert token not in exported.text and token.split("_", 2)[2] not in exported.text
    checked = run_sohoa("audit-trail", "verify", "--data", data, env=env)
    assert checked.returncode == 0, checked.stderr
