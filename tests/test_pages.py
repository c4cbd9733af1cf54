"""The pages, as people use them, against a real `sohoa serve`: fast HTML checks with httpx,
and a few real browser runs in Debian's headless chromium: the QR code of a certified copy
opened to a green verdict, a tampered copy uploaded to a red one, two clerks on one
document (one claims, corrects and approves; the other is refused), the new signed copy
verifying, an admin creating and revoking a token, the review form by keyboard alone, and
a contrast and label check of every page visited."""
from __future__ import annotations

import hashlib
import io
import json
import random
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import httpx
import pytest

from samples.render import render_document
from tests.api_server import (
    assert_problem,
    bearer,
    free_port,
    make_token,
    running_server,
    wait_for_job,
)
from tests.conftest import SOHOA
from tests.pages_support import (
    accessibility_problems,
    browser,
    csrf_of,
    post_form,
    qr_urls,
    screenshot,
)

AGENCY = "H00.00.00.00"  # the default SOHOA_AGENCY_CODE: `sohoa process` numbers with it
REQUESTER, CERTIFIER = "Nguyễn Văn Công Dân", "Trần Thị Bình"
CLERK_1, CLERK_2, ADMIN = "Nguyễn Thị Lan", "Trần Văn Minh", "Quản trị viên Hà"


PASSWORDS = {"clerk1": "lan-mat-khau-2026", "clerk2": "minh-mat-khau-2026",
             "admin": "ha-quan-tri-2026!", "reader": "doc-thoi-mat-khau",
             "foreign": "co-quan-khac-2026"}


def _user(env, out, who: str, role: str, name: str, agency: str = AGENCY) -> dict:
    """A user made as the first admin is: `sohoa user create`, the password on stdin."""
    made = subprocess.run([SOHOA, "user", "create", "--data", str(out), "--agency", agency,
                           "--role", role, "--username", who, "--name", name],
                          input=PASSWORDS[who] + "\n", capture_output=True, text=True,
                          env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    return {"id": made.stdout.strip(), "username": who, "password": PASSWORDS[who],
            "name": name}


def _token(run_sohoa, out, role: str, label: str) -> str:
    made = run_sohoa("token", "create", "--data", out, "--agency", AGENCY, "--role", role,
                     "--label", label)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory, sohoa_env, run_sohoa):
    """An output folder of `sohoa process` (one ID card) with a certified copy whose QR code
    points at the server started for it; tokens for two clerks and an admin."""
    root = tmp_path_factory.mktemp("pages")
    batch, out = root / "batch", root / "out"
    (batch / "HS-1").mkdir(parents=True)
    buffer = io.BytesIO()
    card = render_document("can_cuoc", random.Random(5), dpi=200)
    card.pages[0].save(buffer, "PNG", dpi=(200, 200))
    (batch / "HS-1" / "card.png").write_bytes(buffer.getvalue())
    port = free_port()
    env = {**sohoa_env, "SOHOA_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "SOHOA_API_VERIFY_PER_MINUTE": "600"}
    processed = run_sohoa("process", batch, "--out", out, env=env)
    assert processed.returncode == 0, processed.stderr
    document_id = json.loads(next(out.rglob("*.result.json")).read_text())["document_id"]
    certified = run_sohoa("certify", document_id, "--out", out, "--requester", REQUESTER,
                          "--certifier", CERTIFIER, "--certifier-title", "Phó Chủ tịch",
                          "--json", env=env)
    assert certified.returncode == 0, certified.stderr
    tokens = {"clerk1": _token(run_sohoa, out, "clerk", CLERK_1),
              "clerk2": _token(run_sohoa, out, "clerk", CLERK_2),
              "admin": _token(run_sohoa, out, "agency_admin", ADMIN),
              "reader": make_token(run_sohoa, out, AGENCY, "documents:read")}
    users = {"clerk1": _user(env, out, "clerk1", "clerk", CLERK_1),
             "clerk2": _user(env, out, "clerk2", "clerk", CLERK_2),
             "admin": _user(env, out, "admin", "agency_admin", ADMIN),
             "reader": _user(env, out, "reader", "auditor", "Kiểm toán viên Đọc")}
    with running_server(out, env, root / "server.log", port=port) as base:
        yield {"base": base, "out": out, "document_id": document_id, "tokens": tokens,
               "users": users, "env": env,
               "copy": json.loads(certified.stdout)["copies"][0], "root": root,
               "truth": card.fields}


@pytest.fixture(scope="module")
def needs_review(site):
    """The card's true ID number; the card needs review with a wrong number in it, put in
    through the API (what OCR makes of this scan changes as OCR improves: the test must not
    hang on it)."""
    truth = site["truth"]["so"]
    auth = bearer(site["tokens"]["admin"])
    url = f"{site['base']}/api/v1/documents/{site['document_id']}"
    with httpx.Client(timeout=120) as api:
        document = api.get(url, headers=auth)
        broken = api.patch(url + "/fields", json={"fields": {"so": "12345"}, "reason": "Thử"},
                           headers={**auth, "If-Match": document.headers["etag"]})
        assert broken.json()["status"] == "needs_review", broken.text
    return truth


@pytest.fixture(scope="module")
def chrome():
    driver = browser()
    try:
        yield driver
    finally:
        driver.quit()


def _client(site) -> httpx.Client:
    return httpx.Client(base_url=site["base"], timeout=120, headers={"Accept": "text/html"})


@contextmanager
def _signed_in(site, who: str) -> Iterator[httpx.Client]:
    with _client(site) as client:
        user = site["users"][who]
        answer = post_form(client, "/dang-nhap", "/dang-nhap",
                           {"ten_dang_nhap": user["username"], "mat_khau": user["password"],
                            "next": "/xu-ly"})
        assert answer.status_code == 303, answer.text
        yield client


def _sign_in(driver, site, who: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(site["base"] + "/dang-nhap")
    driver.find_element(By.ID, "ten_dang_nhap").send_keys(site["users"][who]["username"])
    driver.find_element(By.ID, "mat_khau").send_keys(site["users"][who]["password"])
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))


def _submit(driver, element, keyboard: bool = False) -> None:
    """Click (or press Enter on) a button and wait for the next page to load."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.send_keys(Keys.ENTER) if keyboard else element.click()
    # while the old page goes, chromedriver may answer "node does not belong to the
    # document" instead of "stale": both mean the old page has gone
    WebDriverWait(driver, 120, ignored_exceptions=[WebDriverException]).until(
        expected_conditions.staleness_of(page))
    WebDriverWait(driver, 60, ignored_exceptions=[WebDriverException]).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def _a11y(driver, seen: list) -> None:
    problems = accessibility_problems(driver)
    assert not problems, (driver.current_url, problems)
    seen.append(driver.current_url)


# ----------------------------------------------------------------- fast HTML checks

def test_the_code_page_accepts_any_form_of_the_code_and_shows_no_personal_data(site):
    copy = site["copy"]
    with _client(site) as client:
        typed = copy["code"].lower().replace("-", " ")
        answer = client.get("/verify", params={"ma": typed}, follow_redirects=True)
        assert answer.status_code == 200 and str(answer.url).endswith(f"/verify/{copy['copy_id']}")
        html = answer.text
        assert "Bản sao hợp lệ" in html and 'data-verdict="VALID"' in html
        assert "Số chứng thực" in html and "Chữ ký bao trùm toàn bộ tệp" in html
        for personal in (REQUESTER, CERTIFIER):
            assert personal not in html
        assert client.get("/verify/ZZZZ-ZZZZ-ZZZZ").status_code == 404
        bad = client.get("/verify", params={"ma": "abc"})
        assert bad.status_code == 422 and "12 ký tự" in bad.text
        # the API's answer at the same address, for programs
        assert httpx.get(f"{site['base']}/verify/{copy['copy_id']}").json()["verdict"] == "VALID"


def test_reports_download_as_json_and_pdf_and_lookups_are_audited(site):
    copy = site["copy"]
    with _client(site) as client:
        report = client.get(f"/verify/{copy['copy_id']}/bao-cao.json")
        assert report.status_code == 200 and report.json()["verdict"] == "VALID"
        assert REQUESTER not in report.text
        pdf = client.get(f"/verify/{copy['copy_id']}/bao-cao.pdf")
        assert pdf.content.startswith(b"%PDF-")
        path = site["root"] / "report.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                              text=True).stdout
        assert "BẢN SAO HỢP LỆ" in text and "Chữ ký" in text
    events = httpx.get(f"{site['base']}/api/v1/audit",
                       headers=bearer(site["tokens"]["admin"])).text
    actions = [json.loads(line)["action"] for line in events.splitlines()]
    assert "verification.looked_up" in actions and "verification.report_downloaded" in actions


def test_an_uploaded_files_report_is_kept_for_other_server_processes(site, tmp_path):
    """The report of an uploaded file is in the archive's database, not in the memory of the
    process that checked the file: another `sohoa serve` on the same archive (as after a
    restart, or behind a load balancer) hands it out."""
    pdf = (site["out"] / site["copy"]["file"]).read_bytes()
    with _client(site) as client:
        token = csrf_of(client.get("/verify").text)
        checked = client.post("/verify", data={"csrf": token},
                              files={"tep": ("ban-sao.pdf", pdf, "application/pdf")})
        assert checked.status_code == 200 and 'data-verdict="VALID"' in checked.text
        link = re.search(r'href="(/verify/tep/[^"/]+/bao-cao)\.json"', checked.text)[1]
    with running_server(site["out"], site["env"], tmp_path / "second.log") as other, \
            httpx.Client(base_url=other, timeout=120) as second:
        report = second.get(link + ".json")
        assert report.status_code == 200, report.text
        assert report.json()["verdict"] == "VALID" and report.json()["file_matches_register"]
        assert report.json()["sha256"] == hashlib.sha256(pdf).hexdigest()
        printed = second.get(link + ".pdf")
        assert printed.content.startswith(b"%PDF-")
        path = tmp_path / "report.pdf"
        path.write_bytes(printed.content)
        text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                       text=True, check=True).stdout.split())
        assert "BẢN SAO HỢP LỆ" in text and "trùng với bản sao đã đăng ký" in text
        assert second.get(link.replace("/tep/", "/tep/x") + ".json").status_code == 404


def test_forms_without_the_csrf_value_are_refused(site):
    with _client(site) as client:
        client.get("/dang-nhap")
        forged = client.post("/dang-nhap", data={"ten_dang_nhap": "admin",
                                                 "mat_khau": PASSWORDS["admin"]})
        assert forged.status_code == 403 and "Biểu mẫu" in forged.text
        assert "sohoa_session" not in forged.cookies


def test_staff_pages_need_sign_in_and_the_right_role(site):
    with _client(site) as client:
        assert client.get("/xu-ly").headers["location"].startswith("/dang-nhap")
        wrong = post_form(client, "/dang-nhap", "/dang-nhap",
                          {"ten_dang_nhap": "clerk1", "mat_khau": PASSWORDS["admin"]})
        assert wrong.status_code == 401 and "không đúng" in wrong.text
        assert "sohoa_session" not in wrong.cookies
        # a token is for programs: it does not sign a person in
        token = post_form(client, "/dang-nhap", "/dang-nhap",
                          {"ten_dang_nhap": "clerk1", "mat_khau": site["tokens"]["clerk1"]})
        assert token.status_code == 401
    with _signed_in(site, "clerk1") as clerk:
        assert clerk.get("/quan-tri/ma-truy-cap").status_code == 403
        page = clerk.get("/xu-ly")
        assert page.status_code == 200 and PASSWORDS["clerk1"] not in page.text
        assert CLERK_1 in page.text  # who is signed in
    with _signed_in(site, "reader") as reader:
        assert reader.get("/xu-ly").status_code == 403


def test_the_admin_audit_trail_filters_and_exports(site):
    with _signed_in(site, "admin") as admin:
        page = admin.get("/quan-tri/nhat-ky", params={"hanh_dong": "session.signed_in"})
        assert page.status_code == 200 and "session.signed_in" in page.text
        assert "verification.looked_up" not in page.text
        exported = admin.get("/quan-tri/nhat-ky.csv", params={"hanh_dong": "signed_in"})
        assert exported.headers["content-type"].startswith("text/csv")
        assert "session.signed_in" in exported.text and ADMIN in exported.text
        ndjson = admin.get("/quan-tri/nhat-ky.ndjson", params={"nguoi": ADMIN})
        assert ndjson.text and all(json.loads(line)["agency_code"] == AGENCY
                                   for line in ndjson.text.splitlines())
        users = admin.get("/quan-tri/nguoi-dung").text
        assert CLERK_1 in users and "Cán bộ nhập liệu" in users
        for token in site["tokens"].values():
            assert token not in users and token not in ndjson.text
        for password in PASSWORDS.values():
            assert password not in users and password not in ndjson.text


def _login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return post_form(client, "/dang-nhap", "/dang-nhap",
                     {"ten_dang_nhap": username, "mat_khau": password, "next": "/xu-ly"})


def test_an_admin_manages_the_agency_users_and_every_change_is_audited(site):
    foreign = _user(site["env"], site["out"], "foreign", "clerk", "Người Cơ Quan Khác",
                    agency="H99.00.00.00")
    new_password = "mat-khau-moi-2026"
    with _signed_in(site, "admin") as admin:
        short = post_form(admin, "/quan-tri/nguoi-dung", "/quan-tri/nguoi-dung",
                          {"ho_ten": "Phạm Văn Mới", "ten_dang_nhap": "pham.moi",
                           "vai_tro": "clerk", "mat_khau": "ngắn"})
        assert short.status_code == 422 and "ít nhất" in short.text
        assert 'value="pham.moi"' in short.text  # what was typed stays, but no password
        made = post_form(admin, "/quan-tri/nguoi-dung", "/quan-tri/nguoi-dung",
                         {"ho_ten": "Phạm Văn Mới", "ten_dang_nhap": "pham.moi",
                          "vai_tro": "clerk", "mat_khau": new_password})
        assert made.status_code == 303, made.text
        page = admin.get(made.headers["location"]).text
        assert "Đã tạo người dùng Phạm Văn Mới" in page and CLERK_1 in page
        assert "Người Cơ Quan Khác" not in page and new_password not in page
        user_id = re.search(r'data-user="([0-9a-f]+)">\s*<td>Phạm Văn Mới', page)[1]
        again = post_form(admin, "/quan-tri/nguoi-dung", "/quan-tri/nguoi-dung",
                          {"ho_ten": "Trùng Tên", "ten_dang_nhap": "pham.moi",
                           "vai_tro": "clerk", "mat_khau": new_password})
        assert again.status_code == 422 and "đã có người dùng" in again.text

        with _client(site) as person:
            assert _login(person, "pham.moi", new_password).status_code == 303
            assert person.get("/xu-ly").status_code == 200
            changed = post_form(admin, "/quan-tri/nguoi-dung",
                                f"/quan-tri/nguoi-dung/{user_id}/vai-tro", {"vai_tro": "auditor"})
            assert changed.status_code == 303
            assert person.get("/xu-ly").status_code == 403  # the new role counts at once
            assert person.get("/quan-tri/nhat-ky").status_code == 200
            locked = post_form(admin, "/quan-tri/nguoi-dung",
                               f"/quan-tri/nguoi-dung/{user_id}/khoa", {})
            assert locked.status_code == 303
            assert person.get("/quan-tri/nhat-ky").headers["location"].startswith("/dang-nhap")
            assert _login(person, "pham.moi", new_password).status_code == 401
        row = re.search(rf'<tr data-user="{user_id}">.*?</tr>',
                        admin.get("/quan-tri/nguoi-dung").text, re.S)[0]
        assert "Đã khóa" in row and "Mở lại" in row and 'value="auditor" selected' in row

        # another agency's user is not there for this admin
        for action, data in (("vai-tro", {"vai_tro": "agency_admin"}), ("khoa", {})):
            refused = post_form(admin, "/quan-tri/nguoi-dung",
                                f"/quan-tri/nguoi-dung/{foreign['id']}/{action}", data)
            assert refused.status_code == 404, refused.text
        # nor can the admin lock themself out
        me = site["users"]["admin"]["id"]
        assert post_form(admin, "/quan-tri/nguoi-dung", f"/quan-tri/nguoi-dung/{me}/khoa",
                         {}).status_code == 422
        trail = admin.get("/quan-tri/nhat-ky.ndjson", params={"doi_tuong": user_id}).text
        events = [e for e in map(json.loads, trail.splitlines())
                  if e["action"].startswith("user.")]
        assert "session.signed_in" in trail  # the user's own sign-in is in it too
        assert [e["action"] for e in events] == ["user.created", "user.role_changed",
                                                 "user.deactivated"], events
        assert events[1]["changes"] == {"from": "clerk", "to": "auditor"}
        assert all(e["actor"] == f"user:{me}" for e in events)
        assert new_password not in trail
    with _client(site) as person:  # the foreign user was never touched
        assert _login(person, "foreign", foreign["password"]).status_code == 303


class _Boxes(HTMLParser):
    """The field boxes of a review page: key -> (page image index, style, classes)."""

    def __init__(self):
        super().__init__()
        self.page: int | None = None
        self.boxes: dict[str, tuple[int | None, str, str]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "page" in (a.get("class") or "").split() and "data-page" in a:
            self.page = int(a["data-page"] or 0)
        if tag == "div" and "data-box" in a:
            self.boxes[a["data-box"] or ""] = (self.page, a.get("style") or "", a.get("class") or "")


def _fields_of(site) -> list[dict]:
    url = f"{site['base']}/api/v1/documents/{site['document_id']}/fields"
    return httpx.get(url, headers=bearer(site["tokens"]["admin"]), timeout=120).json()["fields"]


def test_the_review_screen_draws_each_field_box_where_the_api_puts_it(site, needs_review):
    fields = _fields_of(site)
    boxed = [f for f in fields if f["box"] and f["page"]]
    assert boxed and all(f["page"] >= 1 for f in boxed), fields  # pages count from 1
    chosen = next(f for f in boxed if f["key"] == "so") if any(
        f["key"] == "so" for f in boxed) else boxed[0]
    with _signed_in(site, "clerk2") as clerk:
        html = clerk.get(f"/xu-ly/{site['document_id']}", params={"truong": chosen["key"]}).text
    parser = _Boxes()
    parser.feed(html)
    assert 'id="khong-co-vung"' not in html
    for f in boxed:
        page, style, classes = parser.boxes[f["key"]]
        assert page == f["page"] - 1, (f, page)  # the page image counts from 0
        x0, y0, x1, y1 = f["box"]
        drawn = dict(re.findall(r"(left|top|width|height):([0-9.]+)%", style))
        expected = {"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}
        for side, fraction in expected.items():
            assert abs(float(drawn[side]) - 100 * fraction) < 0.01, (f["key"], style, f["box"])
        assert ("on" in classes.split()) == (f["key"] == chosen["key"])
    # the confidence is 0..100 and shown as such
    for shown in re.findall(r"độ tin cậy (\d+) %", html):
        assert 0 <= int(shown) <= 100, shown


# ------------------------------------------------------------------- in the browser

HIGHLIGHT = """
var box = document.querySelector('.box[data-box="' + arguments[0] + '"]');
var page = box.parentElement, image = page.querySelector('img');
var b = box.getBoundingClientRect(), i = image.getBoundingClientRect();
return {on: getComputedStyle(box).display !== 'none' && box.classList.contains('on'),
        page: page.getAttribute('data-page'), shown: page.classList.contains('shown'),
        left: (b.left - i.left) / i.width, top: (b.top - i.top) / i.height,
        right: (b.right - i.left) / i.width, bottom: (b.bottom - i.top) / i.height,
        width: i.width, height: i.height};
"""


def _highlight_is_over(chrome, field: dict, zoom_out: bool = False) -> float:
    """Select `field` in the form; its highlight must be shown over its box of the page
    image (from the element's computed position). Returns the image's width on screen."""
    from selenium.webdriver.common.by import By

    if zoom_out:
        chrome.find_element(By.CSS_SELECTOR, "button[data-zoom='-1']").click()
    chrome.find_element(By.ID, "ly_do").click()  # away, then onto the field
    chrome.find_element(By.ID, f"f_{field['key']}").click()
    got = chrome.execute_script(HIGHLIGHT, field["key"])
    assert got["on"] and got["shown"] and got["page"] == str(field["page"] - 1), got
    x0, y0, x1, y1 = field["box"]
    slack_x, slack_y = 2 / got["width"], 2 / got["height"]  # two pixels
    for side, want, slack in (("left", x0, slack_x), ("top", y0, slack_y),
                              ("right", x1, slack_x), ("bottom", y1, slack_y)):
        assert abs(got[side] - want) <= slack, (side, got, field["box"])
    return got["width"]


def test_browser_the_qr_code_of_a_certified_copy_opens_to_a_green_verdict(site, chrome, tmp_path):
    from selenium.webdriver.common.by import By

    pdf = site["out"] / site["copy"]["file"]
    urls = [u for u in qr_urls(pdf, tmp_path) if "/verify/" in u]
    assert urls == [f"{site['base']}/verify/{site['copy']['copy_id']}"], urls
    chrome.get(urls[0])
    banner = chrome.find_element(By.ID, "ket-luan")
    assert banner.get_attribute("data-verdict") == "VALID" and "ok" in banner.get_attribute("class")
    assert "Bản sao hợp lệ" in banner.text
    register = chrome.find_element(By.ID, "so-chung-thuc").text
    assert "Số chứng thực" in register and REQUESTER not in chrome.page_source
    assert chrome.find_elements(By.CSS_SELECTOR, "article.sig")
    _a11y(chrome, [])
    screenshot(chrome, "verify-result")


def test_browser_a_tampered_copy_uploaded_gets_a_red_verdict(site, chrome, tmp_path):
    from selenium.webdriver.common.by import By

    pdf = (site["out"] / site["copy"]["file"]).read_bytes()
    assert b"/Producer" in pdf
    tampered = tmp_path / "ban-sao-da-sua.pdf"
    tampered.write_bytes(pdf.replace(b"/Producer", b"/Producex", 1))
    chrome.get(site["base"] + "/verify")
    _a11y(chrome, [])
    screenshot(chrome, "verify-form")
    chrome.find_element(By.ID, "tep").send_keys(str(tampered))
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]"))
    banner = chrome.find_element(By.ID, "ket-luan")
    assert banner.get_attribute("data-verdict") == "INVALID", banner.text
    assert "Không hợp lệ" in banner.text and "bad" in banner.get_attribute("class")
    assert "không trùng" in chrome.find_element(By.ID, "doi-chieu").text
    _a11y(chrome, [])
    screenshot(chrome, "verify-tampered")


def test_browser_two_clerks_one_claims_corrects_approves_and_the_new_copy_verifies(
        site, needs_review, chrome, tmp_path):
    from selenium.webdriver.common.by import By

    document_id = site["document_id"]
    _sign_in(chrome, site, "clerk1")
    assert chrome.current_url.endswith("/xu-ly")
    row = chrome.find_element(By.CSS_SELECTOR, f'tr[data-document="{document_id}"]')
    _a11y(chrome, [])
    screenshot(chrome, "review-queue")
    _submit(chrome, row.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert chrome.current_url.endswith(f"/xu-ly/{document_id}")
    opened_with = chrome.find_element(By.ID, "f_so").get_attribute("value")
    assert opened_with and opened_with != needs_review
    # selecting a field highlights its box over the right area of the page image, also
    # when zoomed in
    boxed = next(f for f in _fields_of(site) if f["box"] and f["page"])
    _highlight_is_over(chrome, boxed)
    chrome.find_element(By.CSS_SELECTOR, "button[data-zoom='1']").click()
    wide = _highlight_is_over(chrome, boxed)
    assert wide > 1.5 * _highlight_is_over(chrome, boxed, zoom_out=True)
    _a11y(chrome, [])
    screenshot(chrome, "review-document")

    # a second clerk: refused, and told who holds it
    with _signed_in(site, "clerk2") as other:
        queue = other.get("/xu-ly").text
        assert f"Đang được xử lý bởi {CLERK_1}" in queue
        refused = post_form(other, "/xu-ly", f"/xu-ly/{document_id}/nhan", {})
        assert refused.status_code == 409 and f"đang được xử lý bởi {CLERK_1}" in refused.text
        screen = other.get(f"/xu-ly/{document_id}").text
        assert "Tài liệu đang được xử lý bởi" in screen and "<fieldset disabled" in screen
        stolen = post_form(other, f"/xu-ly/{document_id}", f"/xu-ly/{document_id}",
                           {"hanh_dong": "duyet", "phien_ban": "1", "f_so": "1",
                            "ly_do": "không được phép"})
        assert stolen.status_code == 409

    # someone saves a newer version meanwhile: the clerk's save is refused, naming them
    auth = bearer(site["tokens"]["admin"])
    url = f"{site['base']}/api/v1/documents/{document_id}"
    etag = httpx.get(url, headers=auth).headers["etag"]
    newer = httpx.patch(url + "/fields", headers={**auth, "If-Match": etag}, timeout=120,
                        json={"fields": {"so": "123456"}, "reason": "Sửa song song"})
    assert newer.status_code == 200, newer.text
    field = chrome.find_element(By.ID, "f_so")
    field.clear()
    field.send_keys(needs_review)
    chrome.find_element(By.ID, "ly_do").send_keys("Đối chiếu bản giấy")
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, "button[value=luu-tiep]"))
    error = chrome.find_element(By.ID, "loi").text
    newer_version = newer.json()["version"]
    assert f"{ADMIN} đã sửa" in error and f"phiên bản {newer_version}" in error, error
    assert chrome.find_element(By.ID, "f_so").get_attribute("value") == "123456"

    # correct and approve: validated, signed again, done
    field = chrome.find_element(By.ID, "f_so")
    field.clear()
    field.send_keys(needs_review)
    reason = chrome.find_element(By.ID, "ly_do")
    reason.clear()
    reason.send_keys("Đối chiếu bản giấy: số căn cước đúng")
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, "button[value=duyet]"))
    assert "thong_bao=da-duyet" in chrome.current_url, chrome.page_source[:3000]
    assert "Đã duyệt tài liệu" in chrome.page_source
    document = httpx.get(url, headers=auth).json()
    assert document["status"] == "done" and document["version"] == newer_version + 1
    versions = httpx.get(url + "/versions", headers=auth).json()
    assert versions[-1]["reason"] == "Đối chiếu bản giấy: số căn cước đúng"

    chrome.get(f"{site['base']}/xu-ly/{document_id}?tab=lich-su")
    history = chrome.find_element(By.ID, "lich-su").find_element(By.XPATH, "..").text
    assert CLERK_1 in history and ADMIN in history and "Đối chiếu bản giấy" in history
    _a11y(chrome, [])
    screenshot(chrome, "review-history")

    # the new signed copy verifies
    signed = httpx.get(url + "/files/signed", headers=auth, timeout=120).content
    path = tmp_path / "ban-ky-moi.pdf"
    path.write_bytes(signed)
    chrome.get(site["base"] + "/verify")
    chrome.find_element(By.ID, "tep").send_keys(str(path))
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]"))
    banner = chrome.find_element(By.ID, "ket-luan")
    assert banner.get_attribute("data-verdict") == "VALID", banner.text


def test_browser_selecting_a_field_on_another_page_shows_that_page_with_its_box(site, chrome):
    """A two-page land certificate: a field read on page 2 brings page 2 into view with its
    box highlighted (also zoomed), a field of page 1 brings page 1 back."""
    from selenium.webdriver.common.by import By

    land = render_document("giay_chung_nhan_qsdd", random.Random(5), dpi=200)
    assert len(land.pages) == 2
    buffer = io.BytesIO()
    land.pages[0].save(buffer, "PDF", save_all=True, append_images=land.pages[1:],
                       resolution=200)
    token = site["tokens"]["admin"]
    with httpx.Client(base_url=site["base"], timeout=300) as api:
        sent = api.post("/api/v1/dossiers", headers=bearer(token),
                        files={"files": ("giay-chung-nhan.pdf", buffer.getvalue(),
                                         "application/pdf")})
        assert sent.status_code == 202, sent.text
        job = wait_for_job(api, sent.json()["url"], token)
    document_id = job["documents"][0]["document_id"]
    fields = _fields_of({**site, "document_id": document_id})
    on = {page: next((f for f in fields if f["box"] and f["page"] == page), None)
          for page in (1, 2)}
    assert on[1] and on[2], fields

    _sign_in(chrome, site, "clerk1")
    chrome.get(f"{site['base']}/xu-ly/{document_id}")
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, f'form[action="/xu-ly/{document_id}/nhan"] button'))
    shown = lambda: chrome.find_element(By.CSS_SELECTOR, ".viewer .page.shown").get_attribute("data-page")  # noqa: E731
    assert shown() == "0"
    _highlight_is_over(chrome, on[2])
    assert shown() == "1"
    thumbs = chrome.find_elements(By.CSS_SELECTOR, "[data-goto][aria-current=true]")
    assert [t.get_attribute("data-goto") for t in thumbs] == ["1"]
    chrome.find_element(By.CSS_SELECTOR, "button[data-zoom='1']").click()
    _highlight_is_over(chrome, on[2])
    _highlight_is_over(chrome, on[1])
    assert shown() == "0"
    _a11y(chrome, [])
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, "button[value=tra-lai]"))


def test_browser_the_review_form_works_by_keyboard_alone(site, needs_review, chrome):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _sign_in(chrome, site, "clerk2")
    chrome.get(site["base"] + "/xu-ly")
    active = lambda: chrome.switch_to.active_element  # noqa: E731
    # the first Tab reaches the skip link, which leads to the content
    ActionChains(chrome).send_keys(Keys.TAB).perform()
    assert active().text == "Chuyển tới nội dung chính"
    # a document to work on: put one back in the queue through the API
    document_id = site["document_id"]
    auth = bearer(site["tokens"]["admin"])
    url = f"{site['base']}/api/v1/documents/{document_id}"
    etag = httpx.get(url, headers=auth).headers["etag"]
    assert httpx.patch(url + "/fields", headers={**auth, "If-Match": etag}, timeout=120,
                       json={"fields": {"so": "9"}, "reason": "Thử bàn phím"}).status_code == 200
    chrome.get(site["base"] + "/xu-ly")
    claim = chrome.find_element(By.CSS_SELECTOR, f'tr[data-document="{document_id}"] button')
    _submit(chrome, claim, keyboard=True)  # a button pressed from the keyboard
    assert chrome.current_url.endswith(f"/xu-ly/{document_id}")
    inputs = [e.get_attribute("id") for e in chrome.find_elements(By.CSS_SELECTOR, ".field-input")]
    assert len(inputs) >= 3
    chrome.find_element(By.ID, inputs[0]).click()
    assert active().get_attribute("id") == inputs[0]
    for expected in inputs[1:]:  # Enter moves to the next field
        active().send_keys(Keys.ENTER)
        assert active().get_attribute("id") == expected
    active().send_keys(Keys.SHIFT, Keys.ENTER)  # and Shift+Enter back
    assert active().get_attribute("id") == inputs[-2]
    assert "selected" in chrome.find_element(
        By.CSS_SELECTOR, f'.field[data-field="{inputs[-2][2:]}"]').get_attribute("class")
    chrome.find_element(By.ID, inputs[-1]).click()
    active().send_keys(Keys.ENTER)
    assert active().get_attribute("id") == "ly_do"
    order = []
    for _ in range(4):  # Tab from the reason reaches the actions in order
        active().send_keys(Keys.TAB)
        order.append(active().text)
    assert order == ["Lưu & tiếp", "Duyệt", "Yêu cầu quét lại", "Trả về hàng chờ"], order
    _submit(chrome, active(), keyboard=True)  # hand it back, from the keyboard
    assert "thong_bao=da-tra" in chrome.current_url


def test_browser_an_admin_creates_and_revokes_a_token(site, chrome):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _sign_in(chrome, site, "admin")
    chrome.get(site["base"] + "/quan-tri/ma-truy-cap")
    chrome.find_element(By.ID, "ten").send_keys("Máy quét tầng 2")
    Select(chrome.find_element(By.ID, "vai_tro")).select_by_value("clerk")
    days = chrome.find_element(By.ID, "han_ngay")
    days.clear()
    days.send_keys("30")
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, "form[action='/quan-tri/ma-truy-cap'] button"))
    token = chrome.find_element(By.ID, "ma-bi-mat").text.strip()
    assert token.startswith("sohoa_")
    _a11y(chrome, [])
    api = f"{site['base']}/api/v1/documents"
    assert httpx.get(api, headers=bearer(token)).status_code == 200
    token_id = token.split("_")[1]
    chrome.get(site["base"] + "/quan-tri/ma-truy-cap")
    assert token not in chrome.page_source  # shown once
    row = chrome.find_element(By.CSS_SELECTOR, f'tr[data-token="{token_id}"]')
    assert "Máy quét tầng 2" in row.text and "Cán bộ nhập liệu" in row.text
    assert "Chưa dùng" not in row.text  # it was used just now
    screenshot(chrome, "admin-tokens")
    _submit(chrome, row.find_element(By.CSS_SELECTOR, "button"))
    row = chrome.find_element(By.CSS_SELECTOR, f'tr[data-token="{token_id}"]')
    assert "Đã thu hồi" in row.text
    assert httpx.get(api, headers=bearer(token)).status_code == 401
    chrome.get(site["base"] + "/quan-tri/nhat-ky?hanh_dong=token.")
    trail = chrome.find_element(By.ID, "nhat-ky").text
    assert "token.created" in trail and "token.revoked" in trail and token_id in trail
    assert token not in chrome.page_source
    _a11y(chrome, [])
    screenshot(chrome, "admin-audit")
    chrome.get(site["base"] + "/quan-tri/nguoi-dung")
    assert chrome.find_element(By.CSS_SELECTOR, "#nguoi-dung tbody tr[data-user]")
    _a11y(chrome, [])
    screenshot(chrome, "admin-users")


def test_browser_an_admin_registers_a_webhook_and_reads_its_deliveries(site, chrome):
    from selenium.webdriver.common.by import By

    _sign_in(chrome, site, "admin")
    chrome.get(site["base"] + "/quan-tri/webhook")
    _a11y(chrome, [])
    chrome.find_element(By.ID, "dia_chi").send_keys("https://93.184.215.14/sohoa")
    chrome.find_element(By.ID, "ten").send_keys("Cổng một cửa")
    for box in chrome.find_elements(By.CSS_SELECTOR, "input[name=su_kien]")[2:]:
        box.click()  # copy.issued, copy.revoked
    _submit(chrome, chrome.find_element(By.CSS_SELECTOR, "form[action='/quan-tri/webhook'] button"))
    secret = chrome.find_element(By.ID, "khoa-ky").text.strip()
    assert secret.startswith("whsec_")
    _a11y(chrome, [])
    chrome.get(site["base"] + "/quan-tri/webhook")
    assert secret not in chrome.page_source  # shown once
    row = chrome.find_element(By.CSS_SELECTOR, "#cac-webhook tr[data-webhook]")
    assert "copy.issued, copy.revoked" in row.text and "Đang dùng" in row.text
    screenshot(chrome, "admin-webhooks")
    _submit(chrome, row.find_element(By.LINK_TEXT, "Nhật ký gửi"))
    assert chrome.find_element(By.ID, "lan-gui")
    _a11y(chrome, [])
    screenshot(chrome, "admin-webhook-deliveries")


def test_browser_pages_fit_a_phone(site, chrome):
    """No page scrolls sideways at phone width (the tables scroll inside their box)."""
    chrome.set_window_size(390, 844)
    try:
        for path in ("/verify", f"/verify/{site['copy']['copy_id']}", "/dang-nhap"):
            chrome.get(site["base"] + path)
            time.sleep(0.2)
            wide = chrome.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 1, (path, wide)
            _a11y(chrome, [])
    finally:
        chrome.set_window_size(1280, 900)


# ------------------------------------------------------------------- a rescan

def _card_png(seed: int, dpi: int = 200) -> bytes:
    buffer = io.BytesIO()
    card = render_document("can_cuoc", random.Random(seed), dpi=dpi)
    card.pages[0].save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def test_a_rescan_request_takes_the_document_out_of_the_queue_and_its_new_scan_is_its_next_version(
        site, chrome):
    base, token = site["base"], site["tokens"]["admin"]
    auth = bearer(token)
    first_scan = _card_png(7)
    with httpx.Client(base_url=base, timeout=300) as api:
        sent = api.post("/api/v1/dossiers", headers=auth,
                        files={"files": ("the-can-cuoc.png", first_scan, "image/png")})
        assert sent.status_code == 202, sent.text
        job = wait_for_job(api, sent.json()["url"], token)
        document_id = job["documents"][0]["document_id"]
        url = f"/api/v1/documents/{document_id}"
        etag = api.get(url, headers=auth).headers["etag"]
        broken = api.patch(url + "/fields", headers={**auth, "If-Match": etag},
                           json={"fields": {"so": "12345"}, "reason": "Thử quét lại"})
        assert broken.json()["status"] == "needs_review", broken.text
        before = broken.json()["version"]
        # no request yet: a new scan is refused
        assert_problem(api.post(url + "/rescan", headers=auth,
                                files={"file": ("moi.png", _card_png(8), "image/png")}),
                       409, "no_rescan_requested")

        reason = "Ảnh chụp mờ ở số căn cước, xin quét lại bản giấy"
        with _signed_in(site, "clerk1") as clerk:
            assert f'data-document="{document_id}"' in clerk.get("/xu-ly").text
            assert post_form(clerk, "/xu-ly", f"/xu-ly/{document_id}/nhan",
                             {}).status_code == 303
            page = f"/xu-ly/{document_id}"
            no_reason = post_form(clerk, page, page, {"hanh_dong": "quet-lai",
                                                      "phien_ban": str(before)})
            assert no_reason.status_code == 422 and "lý do" in no_reason.text
            asked = post_form(clerk, page, page, {"hanh_dong": "quet-lai", "ly_do": reason,
                                                  "phien_ban": str(before)})
            assert asked.status_code == 303 and "quet-lai" in asked.headers["location"]
            queue = clerk.get("/xu-ly").text
            assert f'data-document="{document_id}"' not in queue  # out of the review queue
            waiting = re.search(rf'<tr data-rescan="{document_id}">.*?</tr>', queue, re.S)[0]
            assert reason in waiting and CLERK_1 in waiting
            screen = clerk.get(page).text
            assert 'id="cho-quet-lai"' in screen and "Chờ quét lại" in screen
            assert f"/xu-ly/{document_id}/nhan" not in screen
        with _signed_in(site, "clerk2") as other:
            refused = post_form(other, "/xu-ly", f"/xu-ly/{document_id}/nhan", {})
            assert refused.status_code == 409 and "đang chờ quét lại" in refused.text
        _sign_in(chrome, site, "clerk2")  # the list of documents waiting, in the browser
        chrome.get(site["base"] + "/xu-ly")
        assert reason in chrome.find_element("id", "bang-quet-lai").text
        _a11y(chrome, [])
        chrome.get(f"{site['base']}/xu-ly/{document_id}")
        assert chrome.find_element("id", "cho-quet-lai")
        _a11y(chrome, [])
        flagged = api.get(url, headers=auth).json()
        assert flagged["rescan_requested"]["reason"] == reason, flagged
        assert flagged["rescan_requested"]["requested_by"] == f"user:{site['users']['clerk1']['id']}"

        # the same scan again is not a new one
        assert_problem(api.post(url + "/rescan", headers=auth,
                                files={"file": ("lai.png", first_scan, "image/png")}), 422)
        # another agency's document is not there
        other_id = "H99.00.00.00-260101-001.1"
        assert_problem(api.post(f"/api/v1/documents/{other_id}/rescan", headers=auth,
                                files={"file": ("x.png", first_scan, "image/png")}), 404)

        new_scan = _card_png(7, dpi=300)  # the same paper, scanned better
        rescanned = api.post(url + "/rescan", headers=auth,
                             files={"file": ("quet-lai.png", new_scan, "image/png")})
        assert rescanned.status_code == 202, rescanned.text
        job = wait_for_job(api, rescanned.json()["url"], token)
        assert job["documents"][0]["document_id"] == document_id, job
        assert job["documents"][0]["outcome"] in ("done", "needs_review"), job

        document = api.get(url, headers=auth).json()
        assert document["version"] == before + 1 and document["rescan_requested"] is None
        versions = api.get(url + "/versions", headers=auth).json()
        assert [v["version"] for v in versions] == list(range(1, before + 2))
        assert reason in versions[-1]["reason"] and CLERK_1 in versions[-1]["reason"]
        originals = {v["version"]: next(f["sha256"] for f in v["files"] if f["kind"] == "original")
                     for v in versions}
        assert originals[before + 1] == hashlib.sha256(new_scan).hexdigest()
        assert originals[1] == hashlib.sha256(first_scan).hexdigest()  # history kept
        old = api.get(url + "/files/original", params={"version": 1}, headers=auth)
        assert old.status_code == 200 and old.content == first_scan
        fields = api.get(url + "/fields", headers=auth).json()
        assert all(f["source"] == "ocr" for f in fields["fields"])  # read afresh
        events = [json.loads(line)["action"] for line in
                  api.get("/api/v1/audit", headers=auth).text.splitlines()]
        assert "review.rescan_requested" in events and "document.rescan_received" in events
    with _signed_in(site, "clerk2") as other:
        queue = other.get("/xu-ly").text
        assert f'data-rescan="{document_id}"' not in queue
        assert (f'data-document="{document_id}"' in queue) == (document["status"] == "needs_review")
        history = other.get(f"/xu-ly/{document_id}", params={"tab": "lich-su"}).text
        assert "Bản quét lại theo yêu cầu" in history
