"""Certified copies (the rules of `sohoa certify`): request one (Idempotency-Key
required: a certification takes a permanent register number), fetch it, revoke it; the
agency's register of a year as CSV or PDF/A."""
from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from api.auth import Principal, audit, scoped
from api.idempotency import replay
from api.models import CertificationOut, CopyDetailOut, CopyRequestIn, IssuedCopyOut, RevokeIn
from api.problems import ApiProblem, not_found
from api.routes.documents import held_document
from api.service import Service, service
from api.verification import full_entry
from api.views import API
from pipeline.certification.issue import CertifyRequest
from pipeline.certification.qr import parse_code, verification_code
from storage.archive import owned_by
from storage.revocations import AlreadyRevoked
from workers import copies as use_case

router = APIRouter(prefix=API, tags=["certified copies"])
_KEY_SCOPE = "copies:"  # idempotency keys of this route, apart from the dossiers'


def _certification_out(summary: dict, document_id: str) -> CertificationOut:
    return CertificationOut(
        number=summary["number"], year=summary["year"], book=summary["book"],
        book_label=summary["book_label"], date=summary["date"], document_id=document_id,
        document_name=summary["original"]["name"], requester=summary["requester"],
        certifier=summary["certifier"], fee=summary["fee"],
        test_signatures=summary["test_signatures"],
        copies=[IssuedCopyOut(copy_id=c["copy_id"], code=c["code"], verify_url=c["verify_url"],
                              sha256=c["sha256"], pades_level=c["pades_level"],
                              pades_fallback=c["pades_fallback"],
                              url=f"{API}/copies/{c['copy_id']}",
                              file_url=f"{API}/copies/{c['copy_id']}/file")
                for c in summary["copies"]])


@router.post("/copies", status_code=201, summary="Certify copies of a document",
             responses={201: {"model": CertificationOut}})
def request_copies(
    body: CopyRequestIn, request: Request,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", min_length=1,
                                         max_length=190),
    who: Principal = Depends(scoped("copies:issue")), svc: Service = Depends(service),
) -> JSONResponse:
    if not idempotency_key:
        raise ApiProblem(428, "idempotency_key_required", "Cần gửi Idempotency-Key: mỗi yêu cầu "
                         "chứng thực lấy một số chứng thực vĩnh viễn, gửi lại không được lấy "
                         "số thứ hai.", title="Precondition required")
    hit, version = held_document(svc, who, body.document_id)
    db, key = svc.db, _KEY_SCOPE + idempotency_key
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    answer = db.idempotency.reserve(who.agency_code, key, fingerprint)
    if answer is not None:
        return replay(answer, fingerprint)
    wanted = CertifyRequest(source=hit.document_id, requester=body.requester,
                            certifier_name=body.certifier_name,
                            certifier_title=body.certifier_title, copies=body.copies,
                            book=body.book, document_name=body.document_name, notes=body.notes)
    try:
        summary = use_case.issue(svc.archive, hit, version, wanted,
                                 f"api:{who.agency_code}:{idempotency_key}", who.actor)
    except BaseException:
        db.idempotency.release(who.agency_code, key)
        raise
    out = _certification_out(summary, hit.document_id).model_dump(mode="json")
    db.idempotency.complete(who.agency_code, key, 201, json.dumps(out))
    audit(request, who, "copy.issued", "document", hit.document_id, {
        "number": out["number"], "year": out["year"], "version": version.version,
        "copies": [c["copy_id"] for c in out["copies"]]})
    return JSONResponse(out, status_code=201, headers={"Location": out["copies"][0]["url"]})


def _entry(svc: Service, who: Principal, copy_id: str):
    try:
        copy_id = parse_code(copy_id)
    except ValueError:
        raise not_found("Không có bản sao chứng thực nào mang mã này.") from None
    entry = svc.db.register.find_copy(copy_id)
    if entry is None or not owned_by(who.agency_code, entry.original_id):
        raise not_found("Không có bản sao chứng thực nào mang mã này.")
    return copy_id, entry


def _detail(svc: Service, copy_id: str, entry) -> CopyDetailOut:
    summary = use_case.summary_of(svc.archive, entry) or {}
    held = next((c for c in summary.get("copies", []) if c.get("copy_id") == copy_id), None)
    revoked = svc.db.revocations.get(copy_id)
    return CopyDetailOut(copy_id=copy_id, code=verification_code(copy_id),
                         entry=full_entry(entry), sha256=held["sha256"] if held else None,
                         file_url=f"{API}/copies/{copy_id}/file" if held else None,
                         revoked=revoked is not None,
                         revoked_at=revoked.revoked_at if revoked else None,
                         revocation_reason=revoked.reason if revoked else None)


@router.get("/copies/{copy_id}", summary="A certified copy: its register entry, revoked or not")
def get_copy(copy_id: str, request: Request, who: Principal = Depends(scoped("copies:issue")),
             svc: Service = Depends(service)) -> CopyDetailOut:
    copy_id, entry = _entry(svc, who, copy_id)
    audit(request, who, "copy.viewed", "copy", copy_id)
    return _detail(svc, copy_id, entry)


@router.get("/copies/{copy_id}/file", summary="The certified copy's signed PDF",
            response_class=FileResponse, responses={200: {"content": {"application/pdf": {}}}})
def copy_pdf(copy_id: str, request: Request, who: Principal = Depends(scoped("copies:issue")),
             svc: Service = Depends(service)) -> Response:
    copy_id, entry = _entry(svc, who, copy_id)
    path = use_case.copy_file(svc.archive, entry, copy_id)
    if path is None:
        raise not_found("Không còn tệp của bản sao này trong kho.")
    audit(request, who, "copy.downloaded", "copy", copy_id)
    return FileResponse(path, media_type="application/pdf", filename=path.name,
                        headers={"Cache-Control": "private, max-age=0"})


@router.post("/copies/{copy_id}/revoke", summary="Revoke a certified copy (with a reason)")
def revoke_copy(copy_id: str, body: RevokeIn, request: Request,
                who: Principal = Depends(scoped("copies:issue")),
                svc: Service = Depends(service)) -> CopyDetailOut:
    copy_id, entry = _entry(svc, who, copy_id)
    try:
        use_case.revoke(svc.archive, entry, copy_id, body.reason, who.actor)
    except AlreadyRevoked:
        raise ApiProblem(409, "already_revoked", "Bản sao này đã bị thu hồi trước đó.",
                         title="Conflict") from None
    audit(request, who, "copy.revoked", "copy", copy_id,
          {"reason": body.reason, "number": entry.number, "year": entry.year})
    return _detail(svc, copy_id, svc.db.register.find_copy(copy_id))


@router.get("/register", summary="The agency's certification register of a year (CSV or PDF/A)",
            responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}})
def export_register(request: Request, year: int = Query(..., ge=2000, le=9999),
                    format: str = Query("csv", pattern="^(csv|pdf)$"),
                    month: int | None = Query(None, ge=1, le=12),
                    who: Principal = Depends(scoped("copies:issue")),
                    svc: Service = Depends(service)) -> Response:
    audit(request, who, "register.exported", "register", str(year),
          {"format": format, "month": month})
    stem = f"so-chung-thuc-{year}" + (f"-{month:02d}" if month else "")
    if format == "pdf":
        data = use_case.register_pdf(svc.archive, year, month, who.agency_code)
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'})
    text = svc.db.register.export_csv(year, month, within=who.agency_code)
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",  # Excel reads UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
