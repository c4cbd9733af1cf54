"""The agency's own tokens (admin) and audit trail (audit:read, as NDJSON)."""
from __future__ import annotations

import json
import os

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.auth import Principal, audit, scoped
from api.models import TokenOut
from api.problems import not_found
from api.service import Service, service
from api.views import API

router = APIRouter(prefix=API, tags=["administration"])


@router.get("/tokens", summary="This agency's tokens (never their secrets)")
def list_tokens(who: Principal = Depends(scoped("admin")),
                svc: Service = Depends(service)) -> list[TokenOut]:
    return [TokenOut(id=t.id, label=t.label, scopes=sorted(t.scopes), created_at=t.created_at,
                     expires_at=t.expires_at, revoked_at=t.revoked_at,
                     last_used_at=t.last_used_at) for t in svc.db.tokens.list(who.agency_code)]


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
def revoke_token(token_id: str, request: Request, who: Principal = Depends(scoped("admin")),
                 svc: Service = Depends(service)) -> Response:
    if not svc.db.tokens.revoke(token_id, who.agency_code):
        raise not_found()
    audit(request, who, "token.revoked", "token", token_id)
    return Response(status_code=204)


@router.get("/audit", summary="This agency's audit events (NDJSON)",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}}})
def export_audit(request: Request, after: int = Query(0, ge=0),
                 limit: int = Query(1000, ge=1, le=100_000),
                 who: Principal = Depends(scoped("audit:read")),
                 svc: Service = Depends(service)) -> StreamingResponse:
    events = svc.db.audit.events(who.agency_code, after=after, limit=limit)
    audit(request, who, "audit.exported", "audit", who.agency_code,
          {"after": after, "count": len(events)})
    lines = (json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in events)
    return StreamingResponse(lines, media_type="application/x-ndjson")


@router.get("/health", tags=["meta"], summary="Is the service up")
def health() -> dict:
    return {"status": "ok", "process": os.getpid()}  # which of `serve --workers N` answered
