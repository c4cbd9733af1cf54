"""Idempotency-Key: a retried request gets the first answer, never a second effect."""
from __future__ import annotations

import json

from fastapi.responses import JSONResponse

from api.problems import ApiProblem
from storage.idempotency import IN_PROGRESS


def replay(answer, fingerprint: str) -> JSONResponse:
    if answer.fingerprint != fingerprint:
        raise ApiProblem(422, "idempotency_key_reused", "Idempotency-Key này đã được dùng cho "
                         "một yêu cầu khác; hãy dùng khóa mới.")
    if answer.status == IN_PROGRESS:
        raise ApiProblem(409, "request_in_progress", "Yêu cầu cùng Idempotency-Key đang được "
                         "xử lý; hãy thử lại sau.", headers={"Retry-After": "5"})
    return JSONResponse(json.loads(answer.body), status_code=answer.status,
                        headers={"Idempotent-Replayed": "true"})
