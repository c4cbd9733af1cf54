"""What every page shares: the templates, CSRF protection of forms (a double-submit
cookie: a random value in a SameSite=Strict cookie that each form repeats), security
headers, and Vietnamese dates."""
from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
STATIC_DIR = HERE / "static"
CSRF_COOKIE = "sohoa_csrf"
VIETNAM = timezone(timedelta(hours=7))
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
           "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                      "style-src 'self' 'unsafe-inline'; script-src 'self'; "
                                      "form-action 'self'; frame-ancestors 'none'"}


class PageError(Exception):
    """An error a page shows as a page (api/templates/error.html), in Vietnamese."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def vn_time(value) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time, from a datetime or ISO text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


templates.env.filters["vn_time"] = vn_time


def csrf_value(request: Request) -> str:
    """This browser's CSRF value (made now if it has none; render() sets the cookie)."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = request.state.new_csrf = secrets.token_urlsafe(24)
    return value


def check_csrf(request: Request, form) -> None:
    sent, kept = str(form.get("csrf") or ""), request.cookies.get(CSRF_COOKIE) or ""
    if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
        raise PageError(403, "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này; "
                        "xin tải lại trang rồi thử lại.")


async def csrf_form(request: Request):
    """A dependency: the posted form, once its CSRF value is checked (the handlers that use
    it are plain functions, run in the thread pool: signing and verifying block)."""
    form = await request.form()
    check_csrf(request, form)
    return form


def secure_cookie(request: Request) -> bool:
    return request.url.scheme == "https"


def render(request: Request, template: str, context: dict | None = None,
           status: int = 200, headers: dict | None = None) -> HTMLResponse:
    context = {"request": request, "csrf": csrf_value(request),
               "staff": getattr(request.state, "staff", None), **(context or {})}
    response = templates.TemplateResponse(request, template, context, status_code=status,
                                          headers={**HEADERS, **(headers or {})})
    new = getattr(request.state, "new_csrf", None)
    if new and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict",
                            secure=secure_cookie(request), path="/")
    return response


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def page_error(request: Request, exc: PageError) -> HTMLResponse:
    return render(request, "error.html", {"message": exc.message, "status": exc.status},
                  status=exc.status, headers=exc.headers)
