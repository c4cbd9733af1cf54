"""The agency administrator's pages: tokens (made with a role or scopes and an expiry,
shown once, revoked, last use), users and their roles (staff are the labelled tokens: a
name, a role), and the audit trail filtered by actor, object and action, exported as
NDJSON or CSV."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.pages.session import ROLE_NAMES, SCOPE_NAMES, Staff, actor_names, needs, role_of
from api.pages.web import HEADERS, PageError, csrf_form, render
from api.service import Service, request_id, service
from storage.tokens import ROLES, SCOPES

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


@router.get("/quan-tri/nguoi-dung")
def users_page(request: Request, staff: Staff = Depends(admin), svc: Service = Depends(service)):
    now = datetime.now(UTC)
    users: dict[str, dict] = {}
    for t in svc.db.tokens.list(staff.agency_code):
        name = t.label or f"Mã {t.id}"
        user = users.setdefault(name, {"name": name, "roles": set(), "tokens": 0,
                                       "active": 0, "last_used": None})
        user["roles"].add(ROLE_NAMES.get(role_of(t.scopes) or "", "Quyền riêng"))
        user["tokens"] += 1
        user["active"] += int(t.usable(now))
        if t.last_used_at and (user["last_used"] is None or t.last_used_at > user["last_used"]):
            user["last_used"] = t.last_used_at
    return render(request, "admin_users.html", {
        "users": sorted(users.values(), key=lambda u: u["name"].lower()),
        "roles": [(ROLE_NAMES[r], [SCOPE_NAMES[s] for s in ROLES[r]]) for r in ROLES]})


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
