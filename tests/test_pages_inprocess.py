"""Page checks that need no processed archive, in this process (FastAPI's TestClient over
an empty archive): HTML answers for browsers at the QR address, the per-address rate limit
as a page, CSRF cookie flags, security headers, and the static files."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from pipeline.core.settings import load_settings
from workers.archive import Archive

HTML = {"Accept": "text/html"}


@pytest.fixture
def client(tmp_path, monkeypatch, sohoa_home):
    monkeypatch.setenv("SOHOA_HOME", str(sohoa_home))
    monkeypatch.setenv("SOHOA_API_VERIFY_PER_MINUTE", "3")
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    settings = load_settings()
    archive = Archive(tmp_path / "archive", settings)
    app = create_app(settings, archive=archive)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def test_browsers_get_pages_and_programs_json_at_the_qr_address(client):
    page = client.get("/verify/ZZZZ-ZZZZ-ZZZZ", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Không có bản sao chứng thực nào mang mã này" in page.text
    program = client.get("/verify/ZZZZ-ZZZZ-ZZZZ")
    assert program.headers["content-type"].startswith("application/problem+json")


def test_the_rate_limit_is_a_page_in_vietnamese(client):
    answers = [client.get("/verify/ZZZZZZZZZZZZ", headers=HTML) for _ in range(6)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and "quá nhiều lần" in limited[0].text
    assert int(limited[0].headers["retry-after"]) >= 1


def test_forms_set_a_strict_csrf_cookie_and_pages_send_security_headers(client):
    page = client.get("/verify")
    cookie = page.headers["set-cookie"]
    assert "sohoa_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'lang="vi"' in page.text and 'for="ma"' in page.text and 'for="tep"' in page.text
    assert client.post("/verify", data={"csrf": "wrong"}).status_code == 403
    assert client.get("/static/site.css").status_code == 200


def test_a_typed_code_goes_to_its_page_and_a_bad_one_is_explained(client):
    moved = client.get("/verify", params={"ma": "7kq2 m9xh-4rtd"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/verify/7KQ2M9XH4RTD"
    bad = client.get("/verify", params={"ma": "123"})
    assert bad.status_code == 422 and "12 ký tự" in bad.text


def test_repeated_failed_sign_ins_are_refused_for_a_while(client):
    """Failed sign-ins are counted per address in the archive's database; past the limit
    the address is refused with a Vietnamese page and Retry-After, before any password is
    checked."""
    from api.pages.signin import FAILURES_PER_MINUTE

    client.get("/dang-nhap")
    token = client.cookies.get("sohoa_csrf")
    form = {"csrf": token, "ten_dang_nhap": "khong-co-ai", "mat_khau": "sai-mat-khau-123"}
    answers = [client.post("/dang-nhap", data=form, follow_redirects=False)
               for _ in range(FAILURES_PER_MINUTE + 2)]
    assert all(a.status_code != 303 for a in answers)
    refused = [a for a in answers if a.status_code == 429]
    assert refused and "quá nhiều lần đăng nhập sai" in refused[-1].text
    assert int(refused[-1].headers["retry-after"]) >= 1
    assert answers[0].status_code != 429
