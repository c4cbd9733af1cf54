"""Signing staff in and out: the token goes into an HttpOnly, SameSite=Strict cookie and
is never shown again; signing in and out are audit events (without the token)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from api.pages.session import SESSION_COOKIE, current_staff, staff_of
from api.pages.web import csrf_form, render, secure_cookie
from api.service import Service, request_id, service

router = APIRouter(include_in_schema=False)
SESSION_HOURS = 10


def _safe_next(target: str | None) -> str:
    target = target or ""
    return target if target.startswith("/") and not target.startswith("//") else "/xu-ly"


@router.get("/dang-nhap")
def signin_form(request: Request, next: str | None = None,
                _staff=Depends(current_staff)):
    return render(request, "signin.html", {"next": _safe_next(next)})


@router.post("/dang-nhap")
def signin(request: Request, form=Depends(csrf_form), svc: Service = Depends(service)):
    token = str(form.get("ma_truy_cap") or "").strip()
    target = _safe_next(str(form.get("next") or ""))
    record = svc.db.tokens.authenticate(token)
    if record is None:
        return render(request, "signin.html", {"next": target, "error":
                      "Mã truy cập không đúng, đã hết hạn hoặc đã bị thu hồi."}, status=401)
    staff = staff_of(record)
    svc.db.audit.append(actor=staff.actor, action="session.signed_in", object_type="session",
                        object_id=record.id, agency_code=staff.agency_code,
                        request_id=request_id(request))
    if target == "/xu-ly" and not staff.allows("dossiers:write"):
        target = "/quan-tri/ma-truy-cap" if staff.allows("admin") else "/verify"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, httponly=True,
                        samesite="strict", secure=secure_cookie(request), path="/")
    return response


@router.post("/dang-xuat")
def signout(request: Request, _form=Depends(csrf_form), staff=Depends(current_staff),
            svc: Service = Depends(service)):
    if staff is not None:
        svc.db.audit.append(actor=staff.actor, action="session.signed_out",
                            object_type="session", object_id=staff.actor.split(":", 1)[-1],
                            agency_code=staff.agency_code, request_id=request_id(request))
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
