"""Dossiers: sent as files (multipart) → 202 and a job; fetched with their documents."""
from __future__ import annotations

import hashlib
import json
import uuid

from fastapi import APIRouter, Depends, File, Header, Request, UploadFile
from fastapi.responses import JSONResponse

from api.auth import Principal, audit, scoped
from api.idempotency import replay as _replay
from api.problems import not_found
from api.service import Service, service
from api.uploads import spooled
from api.views import API, hit_summary, job_out
from storage.archive import owned_by
from workers.intake import Upload, admit_dossier

router = APIRouter(prefix=API, tags=["dossiers"])


def _fingerprint(uploads: list[Upload]) -> str:
    """What makes a retry the same request: the files' names and contents, in order."""
    return hashlib.sha256(json.dumps([[u.name, u.sha256] for u in uploads]).encode()).hexdigest()


@router.post("/dossiers", status_code=202, summary="Send a dossier (its files) to digitize")
def create_dossier(
    request: Request,
    files: list[UploadFile] = File(..., description="the dossier's documents: PNG, JPEG, TIFF, PDF"),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", min_length=1,
                                         max_length=200),
    who: Principal = Depends(scoped("dossiers:write")),
    svc: Service = Depends(service),
) -> JSONResponse:
    db = svc.db
    with spooled(files, svc.archive.root) as uploads:
        fingerprint = _fingerprint(uploads)
        if idempotency_key:
            answer = db.idempotency.reserve(who.agency_code, idempotency_key, fingerprint)
            if answer is not None:
                return _replay(answer, fingerprint)
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
        "job": job.id, "files": [{"name": d.name, "sha256": d.sha256, "outcome": d.outcome}
                                 for d in job.documents]})
    svc.runner.submit(job.id)
    return JSONResponse(body, status_code=202, headers={"Location": body["url"]})


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
