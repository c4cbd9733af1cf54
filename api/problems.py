"""Errors as RFC 9457 problem details (`application/problem+json`): a stable English
`code`, an English `title`, and a Vietnamese `detail` for people. Every error the service
answers goes through here, so a bad request is never a 500."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.core.errors import (
    CertificationError,
    ConfigurationError,
    CorruptObject,
    DocumentError,
    InternalError,
    SohoaError,
    StorageError,
)

log = logging.getLogger("sohoa.api")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://sohoa.invalid/problems/"  # stable identifiers, not (yet) pages


class Problem(BaseModel):
    type: str
    title: str
    status: int
    code: str
    detail: str  # Vietnamese
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict] | None = None


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, detail: str, *, title: str | None = None,
                 headers: dict[str, str] | None = None, errors: list[dict] | None = None):
        super().__init__(f"{status} {code}")
        self.status, self.code, self.detail = status, code, detail
        self.title = title or code.replace("_", " ").capitalize()
        self.headers, self.errors = headers or {}, errors


def not_found(what: str = "Không tìm thấy.") -> ApiProblem:
    """Anything that does not exist, or belongs to another agency: the same answer."""
    return ApiProblem(404, "not_found", what, title="Not found")


_HTTP = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Cần mã truy cập hợp lệ."),
    403: ("forbidden", "Không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ cho địa chỉ này."),
    406: ("not_acceptable", "Không có định dạng trả lời phù hợp."),
    413: ("payload_too_large", "Dữ liệu gửi lên quá lớn."),
    415: ("unsupported_media_type", "Kiểu dữ liệu gửi lên không được hỗ trợ."),
}


def response(request: Request, problem: ApiProblem) -> JSONResponse:
    body = Problem(type=TYPE_BASE + problem.code, title=problem.title, status=problem.status,
                   code=problem.code, detail=problem.detail, instance=request.url.path,
                   request_id=getattr(request.state, "request_id", None),
                   errors=problem.errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=problem.status,
                        headers=problem.headers, media_type=PROBLEM_JSON)


def _status_of(exc: SohoaError) -> int:
    if isinstance(exc, (DocumentError, CertificationError)):
        return 422
    if isinstance(exc, CorruptObject | InternalError):
        return 500
    if isinstance(exc, StorageError | ConfigurationError):
        return 503
    return 500


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""),
             "type": e.get("type", "")} for e in exc.errors()]


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _api(request: Request, exc: ApiProblem):
        return response(request, exc)

    @app.exception_handler(SohoaError)
    async def _sohoa(request: Request, exc: SohoaError):
        status = _status_of(exc)
        log.log(logging.ERROR if status >= 500 else logging.INFO, "%s [%s]: %s",
                request.url.path, exc.code, exc.detail)
        return response(request, ApiProblem(status, exc.code, exc.message))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = _validation_errors(exc)
        where = ", ".join(".".join(e["loc"]) for e in errors[:5])
        return response(request, ApiProblem(
            422, "invalid_request", f"Yêu cầu không hợp lệ ở: {where}.", errors=errors,
            title="Invalid request"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, detail = _HTTP.get(exc.status_code, ("http_error", "Yêu cầu không thực hiện được."))
        return response(request, ApiProblem(exc.status_code, code, detail,
                                            headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return response(request, ApiProblem(500, "internal", InternalError.default_message,
                                            title="Internal error"))
