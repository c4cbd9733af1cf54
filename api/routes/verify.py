"""Public verification, rate-limited per client address: a certified copy's code (as in
its QR code, SOHOA_PUBLIC_BASE_URL/verify/<copy id>), or a signed PDF uploaded."""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile

from api.models import VerificationOut
from api.pages.verify import verify_code_page
from api.pages.web import PageError, wants_html
from api.problems import ApiProblem, not_found
from api.service import Service, service
from api.verification import (
    copy_out,
    full_entry,
    issued_copies,
    signatures_out,
    verdict,
    verify_bytes,
)
from api.views import API
from pipeline.certification.qr import parse_code
from pipeline.certification.register_entry import vn_date
from storage.archive import agency_of
from workers.copies import agency_name, revoked_on

router = APIRouter(tags=["verification"])


def rate_limited(request: Request, svc: Service = Depends(service)) -> None:
    address = request.client.host if request.client else "unknown"
    wait = svc.verify_limiter.allow(address)
    if wait and wants_html(request):
        raise PageError(429, "Quý vị đã tra cứu quá nhiều lần trong ít phút; xin thử lại sau "
                        f"khoảng {int(wait) + 1} giây.", {"Retry-After": str(int(wait) + 1)})
    if wait:
        raise ApiProblem(429, "rate_limited", "Quá nhiều lượt tra cứu; xin thử lại sau ít phút.",
                         headers={"Retry-After": str(int(wait) + 1)}, title="Too many requests")


def _by_code(code: str, request: Request, svc: Service) -> VerificationOut:
    try:
        copy_id = parse_code(code)
    except ValueError as exc:
        raise ApiProblem(422, "bad_code", str(exc)) from None
    entry = svc.db.register.find_copy(copy_id)
    if entry is None:
        raise not_found("Không có bản sao chứng thực nào mang mã này.")
    audit_public(request, svc, "verification.looked_up", copy_id, agency_of(entry.original_id))
    held = issued_copies(svc.archive.root).get(copy_id)
    answer = VerificationOut(verdict="INDETERMINATE", copy=copy_out(
        entry, copy_id, agency_name(svc.archive, entry.agency_code)))
    path = svc.archive.root / held["file"] if held else None
    if path is not None and path.is_file():  # the copy as issued: is it still sound?
        report = verify_bytes(path.read_bytes(), svc.settings)
        answer.verdict = verdict(report)  # type: ignore[assignment]
        answer.sha256 = report.sha256
    return _revocation(svc, answer, copy_id)


def _revocation(svc: Service, answer: VerificationOut, copy_id: str) -> VerificationOut:
    """A revoked copy is INVALID whatever its signatures say: the agency withdrew it."""
    record = svc.db.revocations.get(copy_id)
    if record is not None and answer.copy_ is not None:
        day = revoked_on(record)
        answer.copy_.revoked, answer.copy_.revoked_on = True, day.isoformat() if day else None
        answer.verdict = "INVALID"
        answer.problems = [*answer.problems, f"Bản sao đã bị cơ quan cấp thu hồi ngày "
                           f"{vn_date(day) if day else ''}."]
    return answer


def audit_public(request: Request, svc: Service, action: str, object_id: str,
                 agency_code: str | None) -> None:
    svc.db.audit.append(actor="public", action=action, object_type="copy", object_id=object_id,
                        agency_code=agency_code,
                        request_id=getattr(request.state, "request_id", None))


@router.get(f"{API}/verify/{{code}}", dependencies=[Depends(rate_limited)],
            response_model_by_alias=True, summary="Verify a certified copy by its code")
def verify_code(code: str, request: Request, svc: Service = Depends(service)) -> VerificationOut:
    return _by_code(code, request, svc)


@router.get("/verify/{code}", dependencies=[Depends(rate_limited)],
            response_model_by_alias=True,
            summary="The QR code's address: the verification page for browsers, else JSON")
def verify_qr(code: str, request: Request, svc: Service = Depends(service)) -> VerificationOut:
    if wants_html(request):
        return verify_code_page(code, request, svc)  # type: ignore[return-value]
    return _by_code(code, request, svc)


@router.post(f"{API}/verify", dependencies=[Depends(rate_limited)],
             response_model_by_alias=True, summary="Verify a signed PDF")
def verify_file(request: Request, file: UploadFile = File(..., description="a signed PDF"),
                svc: Service = Depends(service)) -> VerificationOut:
    data = file.file.read()
    if b"%PDF-" not in data[:1024]:
        raise ApiProblem(422, "not_pdf", "Tệp gửi lên không phải tệp PDF.")
    report = verify_bytes(data, svc.settings, name=file.filename)
    answer = VerificationOut(verdict=verdict(report), sha256=report.sha256,  # type: ignore[arg-type]
                             signatures=signatures_out(report), pdfa=report.pdfa.__dict__,
                             problems=report.problems)
    match = next(((cid, c) for cid, c in issued_copies(svc.archive.root).items()
                  if c["sha256"] == report.sha256), None)
    if match is not None:
        entry = svc.db.register.find_copy(match[0])
        if entry is not None:
            answer.copy_ = copy_out(entry, match[0],
                                    agency_name(svc.archive, entry.agency_code))
            answer.register_entry = full_entry(entry)
            answer.file_matches_register = True
            _revocation(svc, answer, match[0])
    audit_public(request, svc, "verification.file_checked", report.sha256,
                 agency_of(answer.register_entry["original_id"]) if answer.register_entry else None)
    return answer
