"""Public verification pages: `/verify` (type the code, or upload the PDF) and
`/verify/<code>` (where the QR code on a certified copy lands; api/routes/verify.py sends
browsers here and everyone else the JSON). Each lookup is an audit event and counts
against the address's rate limit; the report downloads as JSON or PDF."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.pages.verify_view import by_code, by_file, pdf_lines
from api.pages.web import HEADERS, PageError, csrf_form, render
from api.service import Service, request_id, service
from pipeline.certification.qr import parse_code
from storage.archive import agency_of
from storage.reports import StoredReport

router = APIRouter(include_in_schema=False)


def limited(request: Request, svc: Service = Depends(service)) -> None:
    address = request.client.host if request.client else "unknown"
    wait = svc.verify_limiter.allow(address)
    if wait:
        raise PageError(429, "Quý vị đã tra cứu quá nhiều lần trong ít phút; xin thử lại sau "
                        f"khoảng {int(wait) + 1} giây.", {"Retry-After": str(int(wait) + 1)})


def _audit(request: Request, svc: Service, action: str, object_id: str, agency: str | None,
           changes: dict | None = None) -> None:
    svc.db.audit.append(actor="public", action=action, object_type="copy", object_id=object_id,
                        agency_code=agency, changes={"page": True, **(changes or {})},
                        request_id=request_id(request))


def _copy(svc: Service, code: str):
    try:
        copy_id = parse_code(code)
    except ValueError as exc:
        raise PageError(422, str(exc)) from None
    entry = svc.db.register.find_copy(copy_id)
    if entry is None:
        raise PageError(404, "Không có bản sao chứng thực nào mang mã này. Xin kiểm tra lại "
                        "các ký tự đã nhập.")
    return copy_id, entry


@router.get("/verify")
def verify_form(request: Request, ma: str | None = None, svc: Service = Depends(service)):
    if ma is not None:  # the form, sent without JavaScript: go to the code's page
        try:
            return RedirectResponse(f"/verify/{parse_code(ma)}", status_code=303)
        except ValueError as exc:
            return render(request, "verify_form.html", {"error": str(exc), "typed": ma},
                          status=422)
    return render(request, "verify_form.html")


def verify_code_page(code: str, request: Request, svc: Service):
    """The result page of a code (rate limit already counted by the route)."""
    copy_id, entry = _copy(svc, code)
    if code != copy_id:
        return RedirectResponse(f"/verify/{copy_id}", status_code=303)
    lookup = by_code(svc, copy_id, entry)
    _audit(request, svc, "verification.looked_up", copy_id, agency_of(entry.original_id),
           {"verdict": lookup.verdict})
    return render(request, "verify_result.html", {
        "lookup": lookup, "report_base": f"/verify/{copy_id}/bao-cao"})


@router.post("/verify", dependencies=[Depends(limited)])
def verify_upload(request: Request, form=Depends(csrf_form), svc: Service = Depends(service)):
    upload = form.get("tep")
    data = upload.file.read() if hasattr(upload, "file") else b""
    if not data:
        return render(request, "verify_form.html", {"error": "Xin chọn tệp PDF của bản sao."},
                      status=422)
    if b"%PDF-" not in data[:1024]:
        return render(request, "verify_form.html",
                      {"error": "Tệp đã chọn không phải tệp PDF."}, status=422)
    name = getattr(upload, "filename", None)
    lookup, copy_id = by_file(svc, data, name)
    _audit(request, svc, "verification.file_checked", lookup.sha256 or "",
           agency_of(svc.db.register.find_copy(copy_id).original_id) if copy_id else None,
           {"verdict": lookup.verdict, "matches_register": lookup.file_matches})
    key = svc.db.reports.put(StoredReport(f"kiem-tra-{(lookup.sha256 or 'tep')[:12]}",
                                          lookup.data, pdf_lines(lookup)))
    return render(request, "verify_result.html", {
        "lookup": lookup, "report_base": f"/verify/tep/{key}/bao-cao"})


def _report(report: StoredReport, fmt: str) -> Response:
    if fmt == "json":
        body = json.dumps(report.data, ensure_ascii=False, indent=2).encode()
        media = "application/json"
    elif fmt == "pdf":
        from pipeline.signing.report_pdf import report_pdf

        body = report_pdf("Kết quả kiểm tra bản sao điện tử", report.lines, None)
        media = "application/pdf"
    else:
        raise PageError(404, "Không có định dạng báo cáo này.")
    return Response(body, media_type=media, headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="{report.stem}.{fmt}"'})


@router.get("/verify/tep/{key}/bao-cao.{fmt}")
def file_report(key: str, fmt: str, svc: Service = Depends(service)):
    report = svc.db.reports.get(key)
    if report is None:
        raise PageError(404, "Báo cáo này đã hết hạn; xin tải tệp lên để kiểm tra lại.")
    return _report(report, fmt)


@router.get("/verify/{code}/bao-cao.{fmt}", dependencies=[Depends(limited)])
def code_report(code: str, fmt: str, request: Request, svc: Service = Depends(service)):
    copy_id, entry = _copy(svc, code)
    lookup = by_code(svc, copy_id, entry)
    _audit(request, svc, "verification.report_downloaded", copy_id,
           agency_of(entry.original_id), {"format": fmt})
    return _report(StoredReport(f"kiem-tra-{copy_id}", lookup.data, pdf_lines(lookup)), fmt)
