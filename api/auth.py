"""Bearer tokens (storage.tokens) and scopes. Every route but public verification needs a
token; what a token reaches is its agency's, and anything else answers 404 as if it did
not exist (routes check ownership with storage.archive.owned_by)."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiProblem
from api.service import Service, request_id, service

_bearer = HTTPBearer(auto_error=False, description="sohoa_<id>_<secret> (sohoa token create)")


@dataclass(frozen=True)
class Principal:
    agency_code: str
    token_id: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}"


def _unauthorized() -> ApiProblem:
    return ApiProblem(401, "unauthorized", "Cần mã truy cập hợp lệ (còn hạn, chưa bị thu hồi).",
                      title="Unauthorized", headers={"WWW-Authenticate": "Bearer"})


def principal(request: Request,
              credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
              svc: Service = Depends(service)) -> Principal:
    if credentials is None:
        raise _unauthorized()
    record = svc.db.tokens.authenticate(credentials.credentials)
    if record is None:
        raise _unauthorized()
    request.state.principal = record.id
    return Principal(record.agency_code, record.id, record.scopes)


def scoped(scope: str):
    """A dependency: the caller's principal, if its token holds `scope` (or admin)."""

    def check(who: Principal = Depends(principal)) -> Principal:
        if scope not in who.scopes and "admin" not in who.scopes:
            raise ApiProblem(403, "insufficient_scope", f"Mã truy cập không có quyền “{scope}”.",
                             title="Insufficient scope")
        return who

    check.__name__ = f"scope_{scope.replace(':', '_')}"
    return check


def audit(request: Request, who: Principal | None, action: str, object_type: str,
          object_id: str, changes: dict | None = None) -> None:
    """One event in the audit trail, for this request."""
    svc: Service = request.app.state.service
    svc.db.audit.append(actor=who.actor if who else "public", action=action,
                        object_type=object_type, object_id=object_id,
                        agency_code=who.agency_code if who else None, changes=changes,
                        request_id=request_id(request))
