"""A document's page images (the archive JPEGs) and their thumbnails, with ETags."""
from __future__ import annotations

import hashlib

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from api.auth import Principal, audit, scoped
from api.problems import not_found
from api.routes.documents import held_document, matches_etag
from api.service import Service, service
from api.views import API
from storage.versions import Version
from workers.pages import page_jpeg, thumbnail

router = APIRouter(prefix=API, tags=["documents"])


def _page(svc: Service, who: Principal, document_id: str, n: int,
          version: int | None) -> tuple[Version, bytes]:
    _, current = held_document(svc, who, document_id)
    chosen = current if version is None else svc.db.versions.get(document_id, version)
    jpeg = page_jpeg(svc.archive, chosen, n - 1) if chosen is not None else None
    if jpeg is None:
        raise not_found("Tài liệu không có trang này.")
    return chosen, jpeg  # type: ignore[return-value]


def _image(request: Request, data: bytes, if_none_match: str | None) -> Response:
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=0"}
    if matches_etag(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/jpeg", headers=headers)


@router.get("/documents/{document_id}/pages/{n}", summary="A page's archived image (JPEG)",
            response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def page_image(document_id: str, n: int, request: Request,
               version: int | None = Query(None, ge=1), if_none_match: str | None = Header(None),
               who: Principal = Depends(scoped("documents:read")),
               svc: Service = Depends(service)) -> Response:
    if n < 1:
        raise not_found("Tài liệu không có trang này.")
    chosen, jpeg = _page(svc, who, document_id, n, version)
    audit(request, who, "page.viewed", "document", document_id,
          {"page": n, "version": chosen.version})
    return _image(request, jpeg, if_none_match)


@router.get("/documents/{document_id}/pages/{n}/thumbnail", summary="A page's thumbnail (JPEG)",
            response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def page_thumbnail(document_id: str, n: int, request: Request,
                   width: int = Query(256, ge=32, le=1024, description="pixels"),
                   version: int | None = Query(None, ge=1),
                   if_none_match: str | None = Header(None),
                   who: Principal = Depends(scoped("documents:read")),
                   svc: Service = Depends(service)) -> Response:
    if n < 1:
        raise not_found("Tài liệu không có trang này.")
    chosen, jpeg = _page(svc, who, document_id, n, version)
    audit(request, who, "page.viewed", "document", document_id,
          {"page": n, "version": chosen.version, "thumbnail": width})
    return _image(request, thumbnail(svc.archive, jpeg, width), if_none_match)
