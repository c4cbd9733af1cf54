"""A new scan of a document a clerk asked to have scanned again: POST
/api/v1/documents/{id}/rescan with the file (multipart, field `file`) → 202 and the job
that digitizes it as the document's next version (workers/rescan.py)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from api.auth import Principal, audit, scoped
from api.problems import ApiProblem
from api.routes.documents import held_document
from api.service import Service, service
from api.uploads import spooled
from api.views import API, job_out
from storage.claims import ClaimStore
from workers.rescan import admit_rescan

router = APIRouter(prefix=API, tags=["documents"])
_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the new scan: PNG, JPEG, TIFF, PDF"}}}}}}


def _asked(svc: Service, who: Principal, document_id: str) -> None:
    """404 for another agency's document (before anything about the request), 409 without
    a rescan request."""
    held_document(svc, who, document_id)
    asked = ClaimStore(svc.db.engine).get(document_id)
    if asked is None or asked.state != "rescan":
        raise ApiProblem(409, "no_rescan_requested", "Tài liệu này không có yêu cầu quét lại; "
                         "bản quét mới chỉ được nhận khi cán bộ kiểm tra đã yêu cầu.",
                         title="No rescan requested")


def _admit(request: Request, who: Principal, svc: Service, document_id: str,
           upload: UploadFile) -> JSONResponse:
    _asked(svc, who, document_id)
    hit, version = held_document(svc, who, document_id)
    with spooled([upload], svc.archive.root) as uploads:
        job = admit_rescan(svc.archive, who.agency_code, version, uploads[0],
                           str(uuid.uuid4()))
    body = job_out(job).model_dump(mode="json")
    audit(request, who, "document.rescan_received", "document", document_id, {
        "job": job.id, "sha256": job.documents[0].sha256, "replaces_version": version.version})
    svc.runner.submit(job.id)
    return JSONResponse(body, status_code=202, headers={"Location": body["url"]})


@router.post("/documents/{document_id}/rescan", status_code=202,
             openapi_extra={"requestBody": _BODY},
             summary="Send the new scan a reviewer asked for: digitized as the next version",
             responses={202: {"description": "the job"}})
async def rescan(document_id: str, request: Request,
                 who: Principal = Depends(scoped("dossiers:write")),
                 svc: Service = Depends(service)) -> JSONResponse:
    await run_in_threadpool(_asked, svc, who, document_id)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise ApiProblem(415, "unsupported_media_type", "Cần gửi tệp dạng multipart/form-data "
                         "trong trường “file”.", title="Unsupported media type")
    try:
        form = await request.form(max_files=1)
    except MultiPartException as exc:
        raise ApiProblem(400, "bad_request", "Dữ liệu multipart không hợp lệ.") from exc
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiProblem(422, "invalid_request", "Cần một tệp trong trường “file”.",
                             title="Invalid request")
        return await run_in_threadpool(_admit, request, who, svc, document_id, upload)
    finally:
        await form.close()
