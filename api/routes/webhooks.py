"""The agency's webhooks (admin): register (the signing secret is shown once), list,
disable, and each one's delivery log."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from api.auth import Principal, audit, scoped
from api.models import DeliveryOut, WebhookIn, WebhookOut
from api.problems import ApiProblem, not_found
from api.service import Service, service
from api.views import API
from storage.webhooks import Delivery, Webhook
from workers.webhook_targets import TargetRefused, check_registration

router = APIRouter(prefix=API, tags=["webhooks"])


def _out(hook: Webhook, secret: str | None = None) -> WebhookOut:
    return WebhookOut(id=hook.id, url=hook.url, events=list(hook.events), label=hook.label,
                      created_at=hook.created_at, disabled_at=hook.disabled_at,
                      deliveries_url=f"{API}/webhooks/{hook.id}/deliveries", secret=secret)


def _delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(id=d.id, webhook_id=d.webhook_id, event=d.event, event_id=d.event_id,
                       state=d.state, attempts=d.attempts,  # type: ignore[arg-type]
                       next_attempt_at=d.next_attempt_at, last_status=d.last_status,
                       last_error=d.last_error, created_at=d.created_at,
                       delivered_at=d.delivered_at, payload=json.loads(d.payload))


@router.post("/webhooks", status_code=201, summary="Register a webhook (its secret shown once)",
             responses={201: {"model": WebhookOut}})
def create_webhook(body: WebhookIn, request: Request, who: Principal = Depends(scoped("admin")),
                   svc: Service = Depends(service)) -> JSONResponse:
    try:  # http(s) only, never an internal address (workers/webhook_targets.py)
        check_registration(str(body.url), allow_private=svc.settings.webhook_allow_private)
    except TargetRefused as exc:
        raise ApiProblem(422, "webhook_url_refused", exc.message,
                         title="Webhook URL refused") from None
    hook, secret = svc.db.webhooks.create(who.agency_code, str(body.url), list(body.events),
                                          body.label)
    audit(request, who, "webhook.created", "webhook", hook.id,
          {"url": hook.url, "events": list(hook.events)})  # never the secret
    out = _out(hook, secret).model_dump(mode="json")
    return JSONResponse(out, status_code=201, headers={"Location": f"{API}/webhooks/{hook.id}",
                                                       "Cache-Control": "no-store"})


@router.get("/webhooks", summary="This agency's webhooks (never their secrets)")
def list_webhooks(who: Principal = Depends(scoped("admin")),
                  svc: Service = Depends(service)) -> list[WebhookOut]:
    return [_out(h) for h in svc.db.webhooks.list(who.agency_code)]


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Disable a webhook")
def disable_webhook(webhook_id: str, request: Request, who: Principal = Depends(scoped("admin")),
                    svc: Service = Depends(service)) -> Response:
    if not svc.db.webhooks.disable(webhook_id, who.agency_code):
        raise not_found()
    audit(request, who, "webhook.disabled", "webhook", webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", summary="A webhook's delivery log, oldest first")
def list_deliveries(webhook_id: str, after: int = Query(0, ge=0),
                    limit: int = Query(100, ge=1, le=1000),
                    who: Principal = Depends(scoped("admin")),
                    svc: Service = Depends(service)) -> list[DeliveryOut]:
    if svc.db.webhooks.get(webhook_id, who.agency_code) is None:
        raise not_found()
    return [_delivery_out(d) for d in svc.db.webhooks.deliveries(
        who.agency_code, webhook_id=webhook_id, after=after, limit=limit)]
