"""The admin's webhooks page, in this process (FastAPI's TestClient over an empty archive,
admins made in its users table): the list, a registration whose secret is shown once, an
internal address refused with the REST route's Vietnamese sentence, disabling, the
delivery log, another agency's webhook not found, and every change in the audit trail."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from pipeline.core.settings import load_settings
from tests.pages_support import csrf_of
from workers.archive import Archive

AGENCY, OTHER = "H00.00.00.00", "H99.99.99.99"
PASSWORD = "ha-quan-tri-2026!"
PUBLIC_URL = "https://93.184.215.14/sohoa-hook"  # a public address literal: no DNS needed
PAGE = "/quan-tri/webhook"


@pytest.fixture
def site(tmp_path, monkeypatch, sohoa_home):
    monkeypatch.setenv("SOHOA_HOME", str(sohoa_home))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOHOA_WEBHOOK_ALLOW_PRIVATE", raising=False)
    settings = load_settings()
    archive = Archive(tmp_path / "archive", settings)
    archive.db.users.create(AGENCY, "admin", "Quản trị viên Hà", "agency_admin",
                            password=PASSWORD)
    archive.db.users.create(OTHER, "khac", "Quản trị cơ quan khác", "agency_admin",
                            password=PASSWORD)
    archive.db.users.create(AGENCY, "clerk", "Cán bộ Lan", "clerk", password=PASSWORD)
    app = create_app(settings, archive=archive)
    with TestClient(app, base_url="http://testserver") as client:
        yield client, archive


def _sign_in(client: TestClient, username: str) -> None:
    token = csrf_of(client.get("/dang-nhap").text)
    answer = client.post("/dang-nhap", data={"csrf": token, "ten_dang_nhap": username,
                                             "mat_khau": PASSWORD, "next": PAGE},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _post(client: TestClient, url: str, data: dict, **kw):
    token = csrf_of(client.get(PAGE).text)
    return client.post(url, data={"csrf": token, **data}, follow_redirects=False, **kw)


def _register(client, url=PUBLIC_URL, events=("copy.issued", "copy.revoked"), label="Một cửa"):
    return _post(client, PAGE, {"dia_chi": url, "ten": label, "su_kien": list(events)})


def test_an_admin_registers_a_webhook_and_its_secret_is_shown_once(site):
    client, archive = site
    _sign_in(client, "admin")
    empty = client.get(PAGE)
    assert empty.status_code == 200 and "chưa đăng ký webhook nào" in empty.text
    assert f'href="{PAGE}"' in empty.text  # in the navigation
    assert all(f'value="{e}"' in empty.text for e in (
        "job.finished", "document.needs_review", "copy.issued", "copy.revoked"))
    made = _register(client)
    assert made.status_code == 201, made.text
    [hook] = archive.db.webhooks.list(AGENCY)
    assert hook.url == PUBLIC_URL and hook.events == ("copy.issued", "copy.revoked")
    secret = re.search(r'id="khoa-ky">([^<]+)<', made.text)[1]
    assert secret.startswith("whsec_") and "chỉ hiển thị một lần" in made.text
    listed = client.get(PAGE)
    assert f'data-webhook="{hook.id}"' in listed.text and PUBLIC_URL in listed.text
    assert "copy.issued, copy.revoked" in listed.text and "Đang dùng" in listed.text
    assert secret not in listed.text and "khoa-ky" not in listed.text
    assert secret not in client.get(f"{PAGE}/{hook.id}").text
    assert listed.headers["cache-control"] == "no-store"
    [event] = [e for e in archive.db.audit.events(AGENCY) if e.action == "webhook.created"]
    assert event.object_id == hook.id and event.to_dict()["changes"]["url"] == PUBLIC_URL
    assert secret not in str(event.to_dict())


def test_an_internal_address_or_no_event_is_refused_as_a_form_error(site):
    client, archive = site
    _sign_in(client, "admin")
    private = _register(client, url="http://127.0.0.1:8080/hook")
    assert private.status_code == 422
    assert "127.0.0.1, một địa chỉ nội bộ" in private.text
    assert "SOHOA_WEBHOOK_ALLOW_PRIVATE=1" in private.text and 'role="alert"' in private.text
    assert 'value="http://127.0.0.1:8080/hook"' in private.text  # the form kept
    assert _register(client, url="ftp://93.184.215.14/x").status_code == 422
    no_event = _register(client, events=())
    assert no_event.status_code == 422 and "ít nhất một sự kiện" in no_event.text
    assert archive.db.webhooks.list(AGENCY) == []
    forged = client.post(PAGE, data={"csrf": "sai", "dia_chi": PUBLIC_URL,
                                     "su_kien": "copy.issued"})
    assert forged.status_code == 403 and archive.db.webhooks.list(AGENCY) == []


def test_an_internal_address_is_taken_when_the_archive_allows_it(site, monkeypatch):
    client, archive = site
    monkeypatch.setattr(archive.settings, "webhook_allow_private", True)
    _sign_in(client, "admin")
    made = _register(client, url="http://127.0.0.1:8080/hook")
    assert made.status_code == 201, made.text
    assert [h.url for h in archive.db.webhooks.list(AGENCY)] == ["http://127.0.0.1:8080/hook"]


def test_an_admin_disables_a_webhook_and_it_is_audited(site):
    client, archive = site
    _sign_in(client, "admin")
    _register(client)
    [hook] = archive.db.webhooks.list(AGENCY)
    done = _post(client, f"{PAGE}/{hook.id}/tat", {})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGE}?da_tat={hook.id}"
    assert archive.db.webhooks.get(hook.id, AGENCY).disabled_at is not None
    page = client.get(done.headers["location"]).text
    assert "Đã tắt webhook" in page and f'action="{PAGE}/{hook.id}/tat"' not in page
    actions = [(e.action, e.object_id) for e in archive.db.audit.events(AGENCY)]
    assert ("webhook.disabled", hook.id) in actions
    assert archive.db.webhooks.emit(AGENCY, "copy.issued", {"code": "X"}) == 0
    assert client.post(f"{PAGE}/{hook.id}/tat", data={"csrf": "sai"}).status_code == 403


def test_the_delivery_log_shows_attempts_status_and_next_retry(site):
    client, archive = site
    _sign_in(client, "admin")
    _register(client)
    [hook] = archive.db.webhooks.list(AGENCY)
    assert "Chưa có lần gửi nào" in client.get(f"{PAGE}/{hook.id}").text
    archive.db.webhooks.emit(AGENCY, "copy.issued", {"code": "A"})
    archive.db.webhooks.emit(AGENCY, "copy.revoked", {"code": "B"})
    first, second = archive.db.webhooks.deliveries(AGENCY, webhook_id=hook.id)
    archive.db.webhooks.attempted(first.id, ok=True, status=204, error=None,
                                  next_attempt_at=None)
    archive.db.webhooks.attempted(second.id, ok=False, status=503, error="HTTP 503",
                                  next_attempt_at=datetime.now(UTC) + timedelta(minutes=5))
    page = client.get(f"{PAGE}/{hook.id}")
    assert page.status_code == 200
    rows = dict(re.findall(r'data-delivery="(\d+)">(.*?)</tr>', page.text, re.S))
    assert "204" in rows[str(first.id)] and "Đã gửi" in rows[str(first.id)]
    assert "copy.issued" in rows[str(first.id)]
    assert "503" in rows[str(second.id)] and "Gửi lại" in rows[str(second.id)]
    assert "Đang chờ gửi" in rows[str(second.id)] and "copy.revoked" in rows[str(second.id)]
    assert re.search(r"<td>1</td>", rows[str(second.id)])
    assert page.text.index(f'data-delivery="{second.id}"') < page.text.index(
        f'data-delivery="{first.id}"')  # newest first


def test_another_agencys_webhook_is_not_found(site):
    client, archive = site
    foreign, secret = archive.db.webhooks.create(OTHER, PUBLIC_URL, ["copy.issued"], "khác")
    _sign_in(client, "admin")
    assert f'data-webhook="{foreign.id}"' not in client.get(PAGE).text
    seen = client.get(f"{PAGE}/{foreign.id}")
    assert seen.status_code == 404 and "Không có webhook này" in seen.text
    refused = _post(client, f"{PAGE}/{foreign.id}/tat", {})
    assert refused.status_code == 404
    assert archive.db.webhooks.get(foreign.id, OTHER).disabled_at is None
    assert not [e for e in archive.db.audit.events(AGENCY) if e.action.startswith("webhook.")]
    assert client.get(f"{PAGE}/khong-co").status_code == 404


def test_only_admins_see_the_webhooks_page(site):
    client, archive = site
    assert client.get(PAGE, follow_redirects=False).headers["location"].startswith(
        "/dang-nhap")
    _sign_in(client, "clerk")
    assert client.get(PAGE, follow_redirects=False).status_code == 403
    assert _post_without_page(client).status_code == 403
    assert archive.db.webhooks.list(AGENCY) == []


def _post_without_page(client):
    token = csrf_of(client.get("/verify").text)
    return client.post(PAGE, data={"csrf": token, "dia_chi": PUBLIC_URL,
                                   "su_kien": "copy.issued"}, follow_redirects=False)
