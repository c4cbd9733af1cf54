"""Dossiers: sent as files (multipart) or as references to objects already in the
archive's object store (JSON) → 202 and a job; fetched with their documents."""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import uuid
from pathlib import Path

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from api.auth import Principal, audit, scoped
from api.idempotency import replay
from api.models import ObjectsIn
from api.problems import ApiProblem, not_found
from api.service import Service, service
from api.uploads import spooled
from api.views import API, hit_summary, job_out
from storage.archive import owned_by
from workers.intake import StoredRef, Upload, admit_dossier, stored_uploads

router = APIRouter(prefix=API, tags=["dossiers"])
MAX_FILES = 1000
_BODIES = {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": "the dossier's documents: PNG, JPEG, TIFF, PDF"}}}},
    "application/json": {"schema": {"$ref": "#/components/schemas/ObjectsIn"}}}}


def _fingerprint(uploads: list[Upload]) -> str:
    """What makes a retry the same request: the files' names and contents, in order."""
    return hashlib.sha256(json.dumps([[u.name, u.sha256] for u in uploads]).encode()).hexdigest()


def _admit(request: Request, who: Principal, svc: Service, uploads: list[Upload],
           idempotency_key: str | None, via: str) -> JSONResponse:
    db = svc.db
    fingerprint = _fingerprint(uploads)
    if idempotency_key:
        answer = db.idempotency.reserve(who.agency_code, idempotency_key, fingerprint)
        if answer is not None:
            return replay(answer, fingerprint)
    try:
        job = admit_dossier(svc.archive, who.agency_code, uploads, str(uuid.uuid4()))
    except BaseException:
        if idempotency_key:
            db.idempotency.release(who.agency_code, idempotency_key)
        raise
    body = job_out(job).model_dump(mode="json")
    if idempotency_key:
        db.idempotency.complete(who.agency_code, idempotency_key, 202, json.dumps(body))
    audit(request, who, "dossier.created", "dossier", job.dossier_id, {
        "job": job.id, "via": via, "files": [
            {"name": d.name, "sha256": d.sha256, "outcome": d.outcome} for d in job.documents]})
    svc.runner.submit(job.id)
    return JSONResponse(body, status_code=202, headers={"Location": body["url"]})


def _from_files(request, who, svc, files: list[UploadFile], key) -> JSONResponse:
    with spooled(files, svc.archive.root) as uploads:  # type: ignore[arg-type]
        return _admit(request, who, svc, uploads, key, "upload")


def _from_objects(request, who, svc, body: ObjectsIn, key) -> JSONResponse:
    refs = [StoredRef(o.sha256, o.object, o.name) for o in body.objects]
    folder = Path(tempfile.mkdtemp(prefix="objects-", dir=svc.archive.root / ".sohoa"))
    try:
        return _admit(request, who, svc, stored_uploads(svc.archive, refs, folder), key,
                      "object_store")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/dossiers", status_code=202, openapi_extra={"requestBody": _BODIES},
             summary="Send a dossier to digitize: its files, or objects of the object store",
             responses={202: {"description": "the job"}})
async def create_dossier(
    request: Request,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", min_length=1,
                                         max_length=200),
    who: Principal = Depends(scoped("dossiers:write")),
    svc: Service = Depends(service),
) -> JSONResponse:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        try:
            form = await request.form(max_files=MAX_FILES)
        except MultiPartException as exc:
            raise ApiProblem(400, "bad_request", "Dữ liệu multipart không hợp lệ.") from exc
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise ApiProblem(422, "invalid_request", "Cần ít nhất một tệp trong trường “files”.",
                             title="Invalid request")
        try:
            return await run_in_threadpool(_from_files, request, who, svc, files, idempotency_key)
        finally:
            await form.close()
    if kind == "application/json":
        try:
            body = ObjectsIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
        return await run_in_threadpool(_from_objects, request, who, svc, body, idempotency_key)
    raise ApiProblem(415, "unsupported_media_type", "Cần gửi tệp dạng multipart/form-data, hoặc "
                     "JSON {\"objects\": [...]} nêu các đối tượng trong kho lưu trữ.",
                     title="Unsupported media type")


@router.get("/dossiers/{dossier_id}", summary="A dossier and its documents")
def get_dossier(dossier_id: str, request: Request,
                who: Principal = Depends(scoped("documents:read")),
                svc: Service = Depends(service)) -> dict:
    if not owned_by(who.agency_code, dossier_id):
        raise not_found()
    hits = svc.db.index.dossier_documents(dossier_id)
    if not hits:
        raise not_found()
    audit(request, who, "dossier.viewed", "dossier", dossier_id)
    return {"id": dossier_id, "metadata": svc.db.index.dossier_metadata(dossier_id),
            "documents": [hit_summary(h) for h in hits]}
