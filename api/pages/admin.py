"""The agency administrator's pages: tokens for programs (made with a role or scopes and an
expiry, shown once, revoked, last use), the agency's users (made with a role and a first
password, role changed, locked and unlocked; another agency's user is not found), every
change an audit event, and the audit trail filtered by actor, object and action, exported as
NDJSON or CSV."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.pages.session import ROLE_NAMES, SCOPE_NAMES, Staff, actor_names, needs, role_of
from api.pages.web import HEADERS, PageError, csrf_form, render
from api.service import Service, request_id, service
from storage.tokens import ROLES, SCOPES
from storage.users import MIN_PASSWORD, UserError

router = APIRouter(include_in_schema=False)
admin = needs("admin")
auditor = needs("audit:read")
AUDIT_SHOWN = 500


def _audit(request: Request, svc: Service, staff: Staff, action: str, object_type: str,
           object_id: str, changes: dict | None = None) -> None:
    svc.db.audit.append(actor=staff.actor, action=action, object_type=object_type,
                        object_id=object_id, agency_code=staff.agency_code, changes=changes,
                        request_id=request_id(request))


def _tokens_page(request, svc, staff, *, made=None, error=None, status=200, form=None):
    now = datetime.now(UTC)
    tokens = [{"t": t, "role": ROLE_NAMES.get(role_of(t.scopes) or "", "Quyền riêng"),
               "state": "Đã thu hồi" if t.revoked_at else (
                   "Hết hạn" if t.expires_at and t.expires_at <= now else "Đang dùng")}
              for t in svc.db.tokens.list(staff.agency_code)]
    return render(request, "admin_tokens.html", {
        "tokens": tokens, "made": made, "error": error, "roles": ROLE_NAMES,
        "scopes": SCOPE_NAMES, "form": form or {}}, status=status,
        headers={"Cache-Control": "no-store"})


@router.get("/quan-tri/ma-truy-cap")
def tokens_page(request: Request, staff: Staff = Depends(admin), svc: Service = Depends(service)):
    return _tokens_page(request, svc, staff)


@router.post("/quan-tri/ma-truy-cap")
def create_token(request: Request, form=Depends(csrf_form), staff: Staff = Depends(admin),
                 svc: Service = Depends(service)):
    label = " ".join(str(form.get("ten") or "").split())[:200]
    role = str(form.get("vai_tro") or "")
    scopes = list(ROLES[role]) if role in ROLES else [s for s in form.getlist("quyen")
                                                       if s in SCOPES]
    days = str(form.get("han_ngay") or "").strip()
    shown = {"ten": label, "vai_tro": role, "han_ngay": days, "quyen": scopes}
    if len(label) < 2:
        return _tokens_page(request, svc, staff, status=422, form=shown,
                            error="Xin ghi tên người dùng hoặc mục đích của mã (ít nhất 2 ký tự).")
    if not scopes:
        return _tokens_page(request, svc, staff, status=422, form=shown,
                            error="Xin chọn một vai trò hoặc ít nhất một quyền.")
    if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
        return _tokens_page(request, svc, staff, status=422, form=shown,
                            error="Thời hạn là số ngày từ 1 đến 3650 (để trống: không hết hạn).")
    expires = datetime.now(UTC) + timedelta(days=int(days)) if days else None
    made = svc.db.tokens.create(staff.agency_code, scopes, label=label, expires_at=expires)
    _audit(request, svc, staff, "token.created", "token", made.record.id,
           {"label": label, "scopes": sorted(scopes),
            "expires_at": expires.isoformat() if expires else None})
    return _tokens_page(request, svc, staff, made=made, status=201)


@router.post("/quan-tri/ma-truy-cap/{token_id}/thu-hoi")
def revoke_token(token_id: str, request: Request, _form=Depends(csrf_form),
                 staff: Staff = Depends(admin), svc: Service = Depends(service)):
    if not svc.db.tokens.revoke(token_id, staff.agency_code):
        raise PageError(404, "Không có mã truy cập này, hoặc mã đã bị thu hồi.")
    _audit(request, svc, staff, "token.revoked", "token", token_id)
    return RedirectResponse("/quan-tri/ma-truy-cap?da_thu_hoi=" + token_id, status_code=303)


def _users_page(request, svc, staff, *, error=None, notice=None, status=200, form=None):
    users = [{"u": u, "role": ROLE_NAMES.get(u.role, u.role)}
             for u in svc.db.users.list(staff.agency_code)]
    return render(request, "admin_users.html", {
        "users": users, "error": error, "notice": notice, "form": form or {},
        "role_names": ROLE_NAMES, "min_password": MIN_PASSWORD,
        "roles": [(ROLE_NAMES[r], [SCOPE_NAMES[s] for s in ROLES[r]]) for r in ROLES]},
        status=status, headers={"Cache-Control": "no-store"})


USER_NOTICES = {"tao": "Đã tạo người dùng {}.", "vai-tro": "Đã đổi vai trò của {}.",
                "khoa": "Đã khóa tài khoản {}; mọi phiên đăng nhập của người này đã kết thúc.",
                "mo-khoa": "Đã mở lại tài khoản {}."}


@router.get("/quan-tri/nguoi-dung")
def users_page(request: Request, xong: str = "", ten: str = "", staff: Staff = Depends(admin),
               svc: Service = Depends(service)):
    notice = USER_NOTICES[xong].format(ten[:100]) if xong in USER_NOTICES else None
    return _users_page(request, svc, staff, notice=notice)


@router.post("/quan-tri/nguoi-dung")
def create_user(request: Request, form=Depends(csrf_form), staff: Staff = Depends(admin),
                svc: Service = Depends(service)):
    shown = {"ten_dang_nhap": str(form.get("ten_dang_nhap") or "").strip()[:64],
             "ho_ten": " ".join(str(form.get("ho_ten") or "").split())[:200],
             "vai_tro": str(form.get("vai_tro") or "")}
    try:
        made = svc.db.users.create(staff.agency_code, shown["ten_dang_nhap"], shown["ho_ten"],
                                   shown["vai_tro"], password=str(form.get("mat_khau") or ""))
    except UserError as exc:
        return _users_page(request, svc, staff, error=str(exc), status=422, form=shown)
    _audit(request, svc, staff, "user.created", "user", made.id,
           {"username": made.username, "name": made.display_name, "role": made.role})
    return RedirectResponse(f"/quan-tri/nguoi-dung?xong=tao&ten={quote(made.display_name)}",
                            status_code=303)


def _user_of(svc: Service, staff: Staff, user_id: str):
    found = svc.db.users.get(user_id, staff.agency_code)
    if found is None:  # another agency's user is not there at all
        raise PageError(404, "Không có người dùng này trong cơ quan của quý vị.")
    return found


@router.post("/quan-tri/nguoi-dung/{user_id}/vai-tro")
def change_role(user_id: str, request: Request, form=Depends(csrf_form),
                staff: Staff = Depends(admin), svc: Service = Depends(service)):
    user = _user_of(svc, staff, user_id)
    role = str(form.get("vai_tro") or "")
    if role not in ROLES:
        return _users_page(request, svc, staff, status=422, error="Vai trò không hợp lệ.")
    if user.actor == staff.actor and role != "agency_admin":
        return _users_page(request, svc, staff, status=422, error=(
            "Quý vị không thể tự bỏ vai trò quản trị của mình; xin nhờ một quản trị viên khác."))
    if role != user.role:
        svc.db.users.set_role(user.id, staff.agency_code, role)
        _audit(request, svc, staff, "user.role_changed", "user", user.id,
               {"from": user.role, "to": role})
    return RedirectResponse(f"/quan-tri/nguoi-dung?xong=vai-tro&ten={quote(user.display_name)}",
                            status_code=303)


@router.post("/quan-tri/nguoi-dung/{user_id}/{what}")
def lock_user(user_id: str, what: str, request: Request, _form=Depends(csrf_form),
              staff: Staff = Depends(admin), svc: Service = Depends(service)):
    if what not in ("khoa", "mo-khoa"):
        raise PageError(404, "Không có thao tác này.")
    user = _user_of(svc, staff, user_id)
    active = what == "mo-khoa"
    if user.actor == staff.actor and not active:
        return _users_page(request, svc, staff, status=422,
                           error="Quý vị không thể tự khóa tài khoản của mình.")
    if user.active != active:
        svc.db.users.set_active(user.id, staff.agency_code, active)
        _audit(request, svc, staff, "user.reactivated" if active else "user.deactivated",
               "user", user.id, {"username": user.username})
    return RedirectResponse(f"/quan-tri/nguoi-dung?xong={what}&ten={quote(user.display_name)}",
                            status_code=303)


def _events(svc: Service, staff: Staff, actor: str, obj: str, action: str) -> list[dict]:
    names = actor_names(svc, staff.agency_code)
    out = []
    for e in svc.db.audit.events(staff.agency_code):
        who = names.get(e.actor, e.actor)
        if actor and actor.lower() not in f"{e.actor} {who}".lower():
            continue
        if obj and obj.lower() not in f"{e.object_type} {e.object_id}".lower():
            continue
        if action and action.lower() not in e.action.lower():
            continue
        out.append({**e.to_dict(), "who": who})
    return out


@router.get("/quan-tri/nhat-ky")
def audit_page(request: Request, nguoi: str = "", doi_tuong: str = "", hanh_dong: str = "",
               staff: Staff = Depends(auditor), svc: Service = Depends(service)):
    events = _events(svc, staff, nguoi, doi_tuong, hanh_dong)
    _audit(request, svc, staff, "audit.viewed", "audit", staff.agency_code,
           {"actor": nguoi, "object": doi_tuong, "action": hanh_dong, "count": len(events)})
    query = request.url.query
    return render(request, "admin_audit.html", {
        "events": events[::-1][:AUDIT_SHOWN], "total": len(events), "shown": AUDIT_SHOWN,
        "f": {"nguoi": nguoi, "doi_tuong": doi_tuong, "hanh_dong": hanh_dong},
        "query": ("?" + query) if query else ""})


@router.get("/quan-tri/nhat-ky.{fmt}")
def audit_export(fmt: str, request: Request, nguoi: str = "", doi_tuong: str = "",
                 hanh_dong: str = "", staff: Staff = Depends(auditor),
                 svc: Service = Depends(service)):
    if fmt not in ("ndjson", "csv"):
        raise PageError(404, "Không có định dạng này.")
    events = _events(svc, staff, nguoi, doi_tuong, hanh_dong)
    _audit(request, svc, staff, "audit.exported", "audit", staff.agency_code,
           {"actor": nguoi, "object": doi_tuong, "action": hanh_dong, "count": len(events),
            "format": fmt})
    if fmt == "ndjson":
        body = "".join(json.dumps({k: v for k, v in e.items() if k != "who"},
                                  ensure_ascii=False) + "\n" for e in events)
        media = "application/x-ndjson"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["Số", "Thời điểm", "Người thực hiện", "Mã người thực hiện", "Hành động",
                         "Loại đối tượng", "Đối tượng", "Chi tiết", "Mã yêu cầu", "Mã băm"])
        for e in events:
            writer.writerow([e["seq"], e["at"], e["who"], e["actor"], e["action"],
                             e["object_type"], e["object_id"],
                             json.dumps(e["changes"], ensure_ascii=False), e["request_id"] or "",
                             e["hash"]])
        body, media = "\ufeff" + buffer.getvalue(), "text/csv; charset=utf-8"
    return Response(body.encode(), media_type=media, headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="nhat-ky.{fmt}"'})
