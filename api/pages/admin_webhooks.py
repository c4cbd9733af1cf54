"""The agency administrator's webhooks page: the agency's registrations (address, events,
state, made), a new one registered (the same address check as the REST route,
workers/webhook_targets.py; its signing secret shown once, never again), one disabled, and
each one's delivery log. Every change is an audit event (never with the secret); another
agency's webhook is not found."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from api.pages.admin import _audit, admin
from api.pages.session import Staff
from api.pages.web import PageError, csrf_form, render
from api.service import Service, service
from storage.webhooks import DELIVERED, EVENTS, FAILED
from workers.webhook_targets import TargetRefused, check_registration

router = APIRouter(include_in_schema=False)
PAGE = "/quan-tri/webhook"
DELIVERIES_SHOWN = 500
EVENT_NAMES = {"job.finished": "Một lô xử lý xong",
               "document.needs_review": "Tài liệu cần cán bộ kiểm tra",
               "copy.issued": "Đã cấp bản sao chứng thực",
               "copy.revoked": "Đã thu hồi bản sao chứng thực"}
STATES = {"pending": "Đang chờ gửi", DELIVERED: "Đã gửi", FAILED: "Gửi thất bại"}


def _hooks_page(request, svc, staff, *, made=None, secret=None, error=None, status=200,
                form=None):
    hooks = svc.db.webhooks.list(staff.agency_code)
    return render(request, "admin_webhooks.html", {
        "hooks": hooks, "made": made, "secret": secret, "error": error,
        "events": EVENT_NAMES, "form": form or {}}, status=status,
        headers={"Cache-Control": "no-store"})


@router.get(PAGE)
def webhooks_page(request: Request, staff: Staff = Depends(admin),
                  svc: Service = Depends(service)):
    return _hooks_page(request, svc, staff)


@router.post(PAGE)
def create_webhook(request: Request, form=Depends(csrf_form), staff: Staff = Depends(admin),
                   svc: Service = Depends(service)):
    url = str(form.get("dia_chi") or "").strip()[:2000]
    label = " ".join(str(form.get("ten") or "").split())[:200]
    events = [e for e in EVENTS if e in form.getlist("su_kien")]
    shown = {"dia_chi": url, "ten": label, "su_kien": events}
    if not url:
        return _hooks_page(request, svc, staff, status=422, form=shown,
                           error="Xin ghi địa chỉ (URL) nhận webhook.")
    if not events:
        return _hooks_page(request, svc, staff, status=422, form=shown,
                           error="Xin chọn ít nhất một sự kiện.")
    try:  # http(s) only, never an internal address: the REST route's check
        check_registration(url, allow_private=svc.settings.webhook_allow_private)
    except TargetRefused as exc:
        return _hooks_page(request, svc, staff, status=422, form=shown, error=exc.message)
    hook, secret = svc.db.webhooks.create(staff.agency_code, url, events, label)
    _audit(request, svc, staff, "webhook.created", "webhook", hook.id,
           {"url": hook.url, "events": list(hook.events)})  # never the secret
    return _hooks_page(request, svc, staff, made=hook, secret=secret, status=201)


def _hook_of(svc: Service, staff: Staff, hook_id: str):
    found = svc.db.webhooks.get(hook_id, staff.agency_code)
    if found is None:  # another agency's webhook is not there at all
        raise PageError(404, "Không có webhook này trong cơ quan của quý vị.")
    return found


@router.post(PAGE + "/{hook_id}/tat")
def disable_webhook(hook_id: str, request: Request, _form=Depends(csrf_form),
                    staff: Staff = Depends(admin), svc: Service = Depends(service)):
    _hook_of(svc, staff, hook_id)
    if svc.db.webhooks.disable(hook_id, staff.agency_code):
        _audit(request, svc, staff, "webhook.disabled", "webhook", hook_id)
    return RedirectResponse(f"{PAGE}?da_tat={hook_id}", status_code=303)


@router.get(PAGE + "/{hook_id}")
def deliveries_page(hook_id: str, request: Request, staff: Staff = Depends(admin),
                    svc: Service = Depends(service)):
    hook = _hook_of(svc, staff, hook_id)
    rows = svc.db.webhooks.deliveries(staff.agency_code, webhook_id=hook.id,
                                      limit=DELIVERIES_SHOWN)
    return render(request, "admin_webhook_deliveries.html", {
        "hook": hook, "deliveries": rows[::-1], "states": STATES, "events": EVENT_NAMES,
        "shown": DELIVERIES_SHOWN}, headers={"Cache-Control": "no-store"})
