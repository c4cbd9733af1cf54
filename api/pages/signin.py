"""Signing staff in and out with their user name and password: a new session's id goes
into an HttpOnly, SameSite=Strict cookie; signing in (and a refused attempt) and out are
audit events (never with the password or the session id). Failed attempts are counted
per address in the archive's database (storage.ratelimits), so every server process of
the archive refuses an address that has failed too often in the last minute."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from api.pages.session import SESSION_COOKIE, current_staff, staff_of
from api.pages.web import PageError, csrf_form, render, secure_cookie
from api.service import Service, request_id, service

router = APIRouter(include_in_schema=False)
SESSION_HOURS = 10
FAILURES_PER_MINUTE = 10


def _refuse_if_blocked(address: str, svc: Service) -> None:
    wait = svc.db.ratelimits.waiting(f"signin:{address}", FAILURES_PER_MINUTE)
    if wait > 0:
        raise PageError(429, "Đã có quá nhiều lần đăng nhập sai từ máy này; xin thử lại sau "
                        f"khoảng {int(wait) + 1} giây.", {"Retry-After": str(int(wait) + 1)})


def _failed(address: str, svc: Service) -> None:
    svc.db.ratelimits.take(f"signin:{address}", FAILURES_PER_MINUTE)


def _safe_next(target: str | None) -> str:
    target = target or ""
    return target if target.startswith("/") and not target.startswith("//") else "/xu-ly"


@router.get("/dang-nhap")
def signin_form(request: Request, next: str | None = None,
                _staff=Depends(current_staff)):
    return render(request, "signin.html", {"next": _safe_next(next)})


@router.post("/dang-nhap")
def signin(request: Request, form=Depends(csrf_form), svc: Service = Depends(service)):
    address = request.client.host if request.client else "unknown"
    _refuse_if_blocked(address, svc)
    username = str(form.get("ten_dang_nhap") or "").strip().lower()[:64]
    password = str(form.get("mat_khau") or "")
    target = _safe_next(str(form.get("next") or ""))
    user = svc.db.users.check_password(username, password) if username and password else None
    if user is None:
        _failed(address, svc)
        svc.db.audit.append(actor="public", action="session.sign_in_refused",
                            object_type="user", object_id=username or "-",
                            request_id=request_id(request))
        return render(request, "signin.html", {"next": target, "username": username, "error":
                      "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."},
                      status=401)
    staff = staff_of(user)
    session = svc.db.users.start_session(user, SESSION_HOURS)
    svc.db.audit.append(actor=staff.actor, action="session.signed_in", object_type="user",
                        object_id=user.id, agency_code=staff.agency_code,
                        request_id=request_id(request))
    if target == "/xu-ly" and not staff.allows("dossiers:write"):
        target = "/quan-tri/ma-truy-cap" if staff.allows("admin") else "/verify"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_HOURS * 3600, httponly=True,
                        samesite="strict", secure=secure_cookie(request), path="/")
    return response


@router.post("/dang-xuat")
def signout(request: Request, _form=Depends(csrf_form), staff=Depends(current_staff),
            svc: Service = Depends(service)):
    if staff is not None:
        svc.db.users.end_session(request.cookies.get(SESSION_COOKIE, ""))
        svc.db.audit.append(actor=staff.actor, action="session.signed_out",
                            object_type="user", object_id=staff.actor.split(":", 1)[-1],
                            agency_code=staff.agency_code, request_id=request_id(request))
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
