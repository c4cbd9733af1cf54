"""Documents: metadata, fields, files and versions; correcting fields (If-Match)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import FileResponse

from api.auth import Principal, audit, scoped
from api.models import CorrectionIn, DocumentOut, FieldsOut, VersionOut
from api.problems import ApiProblem, not_found
from api.service import Service, service
from api.uploads import media_type
from api.views import API, FILE_KINDS, document_out, fields_out, version_out
from storage.archive import owned_by
from storage.claims import ClaimStore
from storage.index import Hit
from storage.versions import Version, VersionConflict
from workers.archive_record import current_version
from workers.corrections import correct

router = APIRouter(prefix=API, tags=["documents"])
DOWNLOAD_SUFFIX = {"original": ".original", "pdfa": ".unsigned", "signed": ""}  # as published
MEDIA_SUFFIX = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
                "image/tiff": ".tif"}


def held_document(svc: Service, who: Principal, document_id: str) -> tuple[Hit, Version]:
    """The document and its current version, if it is this agency's; else 404."""
    hit = svc.db.index.get(document_id)
    if hit is None or not owned_by(who.agency_code, hit.dossier_id):
        raise not_found("Không tìm thấy tài liệu.")
    return hit, current_version(svc.archive, hit)


def matches_etag(header: str | None, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in (header or "").split(",")]
    return "*" in tags or etag in tags


@router.get("/documents/{document_id}", summary="A document: status, type, files")
def get_document(document_id: str, request: Request, response: Response,
                 if_none_match: str | None = Header(None),
                 who: Principal = Depends(scoped("documents:read")),
                 svc: Service = Depends(service)) -> DocumentOut:
    hit, version = held_document(svc, who, document_id)
    audit(request, who, "document.viewed", "document", document_id, {"version": version.version})
    if matches_etag(if_none_match, version.etag):
        return Response(status_code=304, headers={"ETag": version.etag})  # type: ignore[return-value]
    response.headers["ETag"] = version.etag
    return document_out(hit, version, ClaimStore(svc.db.engine).get(document_id))


@router.get("/documents/{document_id}/fields", summary="Its fields: value, source, messages")
def get_fields(document_id: str, request: Request, response: Response,
               who: Principal = Depends(scoped("documents:read")),
               svc: Service = Depends(service)) -> FieldsOut:
    hit, version = held_document(svc, who, document_id)
    audit(request, who, "document.fields_viewed", "document", document_id,
          {"version": version.version})
    response.headers["ETag"] = version.etag
    return fields_out(version, svc.archive.types.get(version.document_type or ""))


@router.patch("/documents/{document_id}/fields",
              summary="Correct fields: a new version, validated and signed again")
def correct_fields(document_id: str, correction: CorrectionIn, request: Request,
                   response: Response,
                   if_match: str | None = Header(None, description="the document's ETag"),
                   who: Principal = Depends(scoped("dossiers:write")),
                   svc: Service = Depends(service)) -> FieldsOut:
    hit, version = held_document(svc, who, document_id)
    if not if_match:
        raise ApiProblem(428, "precondition_required", "Cần gửi If-Match với ETag hiện tại của "
                         "tài liệu để tránh ghi đè sửa đổi của người khác.")
    if not matches_etag(if_match, version.etag):
        raise _stale(version)
    try:
        new = correct(svc.archive, hit, version, correction.fields, correction.reason, who.actor)
    except VersionConflict:
        raise _stale(version) from None
    audit(request, who, "document.corrected", "document", document_id, {
        "version": new.version, "reason": correction.reason,
        "fields": {k: {"from": version.fields.get(k), "to": new.fields.get(k)}
                   for k in correction.fields}})
    response.headers["ETag"] = new.etag
    return fields_out(new, svc.archive.types.get(new.document_type or ""))


def _stale(version: Version) -> ApiProblem:
    return ApiProblem(412, "stale_version", "Tài liệu đã được sửa bởi người khác (phiên bản "
                      f"hiện tại là {version.version}); hãy tải lại rồi sửa tiếp.",
                      headers={"ETag": version.etag}, title="Precondition failed")


@router.get("/documents/{document_id}/versions", summary="Its versions, oldest first")
def list_versions(document_id: str, request: Request,
                  who: Principal = Depends(scoped("documents:read")),
                  svc: Service = Depends(service)) -> list[VersionOut]:
    held_document(svc, who, document_id)
    history = svc.db.versions.history(document_id)
    audit(request, who, "document.history_viewed", "document", document_id)
    return [version_out(v, history[i - 1] if i else None) for i, v in enumerate(history)]


@router.get("/documents/{document_id}/files/{kind}", summary="Download a file of a version",
            response_class=FileResponse,
            responses={200: {"content": {"application/pdf": {}, "image/*": {}}}})
def download(document_id: str, kind: str, request: Request,
             version: int | None = Query(None, ge=1),
             if_none_match: str | None = Header(None),
             who: Principal = Depends(scoped("documents:read")),
             svc: Service = Depends(service)) -> Response:
    _, current = held_document(svc, who, document_id)
    chosen = current if version is None else svc.db.versions.get(document_id, version)
    if kind not in FILE_KINDS or chosen is None:
        raise not_found()
    key = {"original": chosen.sha256_original, "pdfa": chosen.sha256_pdfa,
           "signed": chosen.sha256_signed}[kind]
    if not key:
        raise not_found()
    etag = f'"{key}"'
    audit(request, who, "file.downloaded", "document", document_id,
          {"kind": kind, "version": chosen.version, "sha256": key})
    if matches_etag(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    path = svc.archive.store.local_path(key)  # S3: a verified copy in the local cache
    with path.open("rb") as fh:
        kind_type = media_type(fh.read(8))
    name = f"{document_id}{DOWNLOAD_SUFFIX[kind]}{MEDIA_SUFFIX.get(kind_type, '')}"
    return FileResponse(path, media_type=kind_type, filename=name,
                        headers={"ETag": etag, "Cache-Control": "private, max-age=0"})

