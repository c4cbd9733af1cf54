"""Staff sign in to the pages as users of their agency (storage.users: a name and a
password; Argon2id) and get a session whose random id sits in an HttpOnly,
SameSite=Strict cookie (only its hash is stored; never shown in a page or a log). What a
page sees is a `Staff`: agency, actor, display name, role and scopes, read afresh on every
request (a deactivated user or a changed role counts at once); signing in some other way
later (OIDC) only has to find the same user row by its issuer and subject (roles are
named sets of scopes, storage.tokens.ROLES). Service tokens stay for programs (the API)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, Request

from api.pages.web import PageError
from api.service import Service, service
from storage.tokens import ROLES
from storage.users import User

SESSION_COOKIE = "sohoa_session"
ROLE_NAMES = {"clerk": "Cán bộ nhập liệu", "reviewer": "Cán bộ kiểm tra",
              "certifier": "Người ký chứng thực", "auditor": "Kiểm toán viên",
              "agency_admin": "Quản trị cơ quan"}
SCOPE_NAMES = {"dossiers:write": "gửi hồ sơ, sửa trường", "documents:read": "xem tài liệu",
               "persons:read": "tra cứu theo người", "copies:issue": "cấp bản sao",
               "audit:read": "xem nhật ký", "admin": "quản trị (mọi quyền)"}


def role_of(scopes) -> str | None:
    """The role whose scopes these are exactly (clerk before reviewer: the same set)."""
    return next((role for role, granted in ROLES.items() if set(granted) == set(scopes)), None)


@dataclass(frozen=True)
class Staff:
    agency_code: str
    actor: str  # as the audit trail and versions name it
    name: str
    role: str | None
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role or "", "Quyền riêng: " + ", ".join(sorted(self.scopes)))


def staff_of(user: User) -> Staff:
    return Staff(user.agency_code, user.actor, user.display_name, user.role, user.scopes)


def current_staff(request: Request, svc: Service = Depends(service)) -> Staff | None:
    user = svc.db.users.session_user(request.cookies.get(SESSION_COOKIE, ""))
    staff = staff_of(user) if user else None
    request.state.staff = staff
    return staff


def needs(*scopes: str):
    """A dependency: the signed-in staff member holding every scope; else the sign-in page
    (not signed in) or a refusal (signed in without the right)."""

    def check(request: Request, staff: Staff | None = Depends(current_staff)) -> Staff:
        if staff is None:
            raise PageError(303, "Xin đăng nhập.", {
                "Location": "/dang-nhap?next=" + quote(request.url.path, safe="/")})
        missing = [s for s in scopes if not staff.allows(s)]
        if missing:
            raise PageError(403, "Tài khoản của quý vị không có quyền dùng trang này ("
                            + ", ".join(SCOPE_NAMES.get(s, s) for s in missing) + ").")
        return staff

    return check


def actor_names(svc: Service, agency_code: str) -> dict[str, str]:
    """actor → display name, for this agency's users and tokens (history and audit pages)."""
    names = {f"token:{t.id}": t.label or f"Mã {t.id}" for t in svc.db.tokens.list(agency_code)}
    names.update({u.actor: u.display_name for u in svc.db.users.list(agency_code)})
    return names
