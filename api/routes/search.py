"""Search (owner, type, status, field values, full text; paged) and persons: everything
this agency holds about one personal ID."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from api.auth import Principal, audit, scoped
from api.models import SearchPage
from api.problems import ApiProblem, not_found
from api.service import Service, service
from api.views import API, hit_summary

router = APIRouter(prefix=API, tags=["search"])


def _fields(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key.strip():
            raise ApiProblem(422, "invalid_request", f"Điều kiện “{pair}” cần dạng trường:giá_trị.")
        out[key.strip()] = value
    return out


def _link(request: Request, page: int, pages: int) -> str | None:
    if page < 1 or page > pages:
        return None
    return str(request.url.include_query_params(page=page))


@router.get("/documents", summary="Search documents (paged)")
def search(request: Request,
           q: str | None = Query(None, max_length=500, description="full text, accents and case ignored"),
           owner: str | None = Query(None, max_length=32, description="owner's personal ID"),
           type: str | None = Query(None, max_length=64),
           status: str | None = Query(None, pattern="^(done|needs_review)$"),
           field: list[str] = Query([], description="key:value, compared without accents or case"),
           page: int = Query(1, ge=1), per_page: int = Query(20, ge=1, le=200),
           who: Principal = Depends(scoped("documents:read")),
           svc: Service = Depends(service)) -> SearchPage:
    options = dict(document_type=type, fields=_fields(field), owner=owner, page=page,
                   per_page=per_page, within=who.agency_code, status=status)
    index = svc.db.index
    found = index.search(q, **options) if q and q.strip() else index.find_fields(**options)
    audit(request, who, "documents.searched", "search", "documents",
          {"q": q, "owner": owner, "type": type, "status": status, "fields": field,
           "page": page, "count": found.total})
    return SearchPage(count=found.total, next=_link(request, page + 1, found.pages),
                      previous=_link(request, page - 1, found.pages),
                      results=[hit_summary(h) for h in found.items])


@router.get("/persons/{personal_id}/documents",
            summary="Everything this agency may reuse about a person")
def person_documents(personal_id: str, request: Request,
                     who: Principal = Depends(scoped("persons:read")),
                     svc: Service = Depends(service)) -> dict:
    hits = svc.db.index.find_owner(personal_id, within=who.agency_code)
    audit(request, who, "person.looked_up", "person", personal_id, {"count": len(hits)})
    if not hits:  # nothing of this agency's: the same answer whoever else holds something
        raise not_found("Cơ quan không lưu giữ tài liệu nào về người này.")
    return {"personal_id": personal_id, "count": len(hits),
            "results": [{**hit_summary(h), "reuse": h.reuse_record()} for h in hits]}
