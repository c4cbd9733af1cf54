"""The `result.json` contract of ../shared/spec/documents.md as typed records, built in one
place and checked against schemas/result.schema.json every time one is written."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from pipeline.core.errors import InternalError
from pipeline.core.model import PageResult

Status = Literal["done", "needs_review", "failed"]
LOW_CONFIDENCE = 50.0  # mean word confidence under which a person should look at the page
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "result.schema.json"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldProblem(_Record):
    """Why a person must look: `field` is a field key or `pages[i]`; the message is
    Vietnamese."""

    field: str
    message: str


class Validation(_Record):
    valid: bool
    errors: list[FieldProblem]


class PageSummary(_Record):
    index: int
    rotation: Literal[0, 90, 180, 270]
    skew_deg: float
    ocr_confidence: float


class DocumentResult(_Record):
    """One document's result.json. Field order is the file's key order."""

    dossier_id: str
    document_id: str
    source: str
    status: Status
    error: str | None = None  # only when failed
    document_type: str | None
    fields: dict[str, Any]
    validation: Validation
    pages: list[PageSummary]
    text: str
    sha256: dict[str, str]
    artifacts: dict[str, str]

    def to_json_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if data["error"] is None:
            del data["error"]
        return data

    def to_json(self) -> str:
        """The file's text, checked against the contract's JSON Schema."""
        data = self.to_json_dict()
        check_against_schema(data)
        return json.dumps(data, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> DocumentResult:
        return cls.model_validate_json(text)

    @property
    def review_messages(self) -> list[str]:
        return [e.message for e in self.validation.errors]


def check_against_schema(data: dict[str, Any]) -> None:
    """A result that breaks the contract is a bug: refuse to write it."""
    problems = sorted(_validator().iter_errors(data), key=lambda e: list(e.path))
    if problems:
        first = problems[0]
        where = "/".join(map(str, first.path)) or "(root)"
        raise InternalError(detail=f"result.json breaks its schema at {where}: {first.message}")


@cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def page_warnings(pages: list[PageResult]) -> list[FieldProblem]:
    """Per-page problems a clerk should check (Vietnamese, shown in the report)."""
    warnings = []
    for page in pages:
        where = f"pages[{page.index}]"
        if not page.words:
            warnings.append(FieldProblem(field=where, message=(
                f"Trang {page.index + 1}: không đọc được chữ nào (trang trắng hoặc ảnh quá "
                "mờ), cần kiểm tra bằng mắt.")))
        elif page.ocr_confidence < LOW_CONFIDENCE:
            warnings.append(FieldProblem(field=where, message=(
                f"Trang {page.index + 1}: chất lượng nhận dạng thấp (độ tin cậy "
                f"{page.ocr_confidence:.0f}%), cần kiểm tra lại.")))
    return warnings


def document_result(*, dossier_id: str, document_id: str, source: str,
                    pages: list[PageResult], sha256: dict[str, str],
                    artifacts: dict[str, str], document_type: str | None = None,
                    fields: dict[str, Any] | None = None,
                    errors: list[dict[str, str]] | None = None) -> DocumentResult:
    problems = [FieldProblem(**e) for e in errors or []] + page_warnings(pages)
    return DocumentResult(
        dossier_id=dossier_id, document_id=document_id, source=source,
        status="needs_review" if problems else "done",
        document_type=document_type, fields=fields or {},
        validation=Validation(valid=not problems, errors=problems),
        pages=[PageSummary(index=p.index, rotation=p.rotation,  # type: ignore[arg-type]
                           skew_deg=round(p.skew_deg, 2), ocr_confidence=p.ocr_confidence)
               for p in pages],
        text="\f".join(p.text for p in pages),
        sha256=sha256, artifacts=artifacts,
    )


def failed_result(*, dossier_id: str, document_id: str, source: str, error: str,
                  sha256: dict[str, str] | None = None) -> DocumentResult:
    return DocumentResult(
        dossier_id=dossier_id, document_id=document_id, source=source, status="failed",
        error=error, document_type=None, fields={},
        validation=Validation(valid=False, errors=[]), pages=[], text="",
        sha256=sha256 or {}, artifacts={},
    )


class DocumentSummary(_Record):
    """What the batch client needs of a finished document: the progress bar, the report,
    the index."""

    source: str
    document_id: str
    status: Status
    error: str | None = None
    pages: int
    review: list[str]
    result_path: str | None = None  # relative to the output folder
    skipped: bool = False  # finished by an earlier run

    @classmethod
    def of(cls, result: DocumentResult, **extra: Any) -> DocumentSummary:
        return cls(source=result.source, document_id=result.document_id,
                   status=result.status, error=result.error, pages=len(result.pages),
                   review=result.review_messages, **extra)


class PageOutcome(_Record):
    """A page step's answer (a Celery message, so plain JSON): the stored page record's
    name, or the Vietnamese reason the page failed."""

    ok: bool
    name: str | None = None
    error: str | None = None
    code: str | None = None
