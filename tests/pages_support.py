"""For the page tests: a headless Debian chromium driven by selenium (a missing browser
fails the tests: scripts/install.sh installs chromium and chromium-driver), CSRF-aware form
posts with httpx, decoding the QR code of a PDF, and the contrast and label check run in
the browser on every page the tests visit."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import httpx

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PHONE, DESKTOP = (390, 844), (1280, 900)


def browser(width: int = DESKTOP[0], height: int = DESKTOP[1]):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "chromium and chromium-driver are missing: run scripts/install.sh")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--lang=vi-VN", "--no-first-run",
                "--disable-extensions", "--disable-background-networking"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    return driver


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found[1]


def post_form(client: httpx.Client, page: str, url: str, data: dict, **kw) -> httpx.Response:
    """GET `page` (for the CSRF cookie and value), then POST `data` to `url`."""
    token = csrf_of(client.get(page).text)
    return client.post(url, data={"csrf": token, **data}, **kw)


def qr_urls(pdf: Path, tmp: Path) -> list[str]:
    """Every QR code's text on the pages of `pdf` (pdftoppm at 200 dpi, OpenCV)."""
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp / "page")], check=True)
    found = []
    detector = cv2.QRCodeDetector()
    for image in sorted(tmp.glob("page*.png")):
        text, _, _ = detector.detectAndDecode(cv2.imread(str(image)))
        if text:
            found.append(text)
    return found


def screenshot(driver, name: str) -> None:
    """Desktop and phone screenshots of the current page, into SOHOA_SCREENSHOTS (when
    set: docs/pages/ for the README)."""
    folder = os.environ.get("SOHOA_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for label, (w, h) in (("desktop", DESKTOP), ("phone", PHONE)):
        driver.set_window_size(w, h)
        driver.save_screenshot(str(Path(folder) / f"{name}-{label}.png"))
    driver.set_window_size(*DESKTOP)


# Text contrast (WCAG 2.1 AA, 1.4.3) from computed styles: each element holding text, its
# colour against the first opaque background up its ancestors; and every form control
# with a label (1.3.1, 4.1.2). Returns the failures.
A11Y_CHECK = r"""
function rgb(s) { var m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  var p = m[1].split(',').map(Number); return {r:p[0], g:p[1], b:p[2], a:p.length > 3 ? p[3] : 1}; }
function lum(c) { return [c.r, c.g, c.b].map(function (v) { v /= 255;
  return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
  .reduce(function (acc, v, i) { return acc + v * [0.2126, 0.7152, 0.0722][i]; }, 0); }
function background(el) { for (var e = el; e; e = e.parentElement) {
  var c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
  return {r:255, g:255, b:255, a:1}; }
var problems = [];
document.querySelectorAll('body *').forEach(function (el) {
  var own = Array.prototype.some.call(el.childNodes, function (n) {
    return n.nodeType === 3 && n.textContent.trim(); });
  var style = getComputedStyle(el);
  if (!own || style.visibility === 'hidden' || style.display === 'none' || !el.getClientRects().length) return;
  if (el.closest('.skip') || el.closest('[disabled]')) return;
  var fg = rgb(style.color), bg = background(el);
  var l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  var size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
  var need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
  if (ratio < need) problems.push('contrast ' + ratio.toFixed(2) + ' < ' + need + ': ' +
    el.tagName + ' "' + el.textContent.trim().slice(0, 40) + '"');
});
document.querySelectorAll('input, select, textarea').forEach(function (el) {
  if (el.type === 'hidden') return;
  var named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!named) problems.push('no label: ' + el.outerHTML.slice(0, 80));
});
if (!document.documentElement.lang) problems.push('no lang on <html>');
return problems;
"""


def accessibility_problems(driver) -> list[str]:
    return driver.execute_script(A11Y_CHECK)
