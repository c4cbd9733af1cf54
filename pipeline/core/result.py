"""The `result.json` contract of ../shared/spec/documents.md, built in one place."""
from __future__ import annotations

from pipeline.core.model import PageResult

LOW_CONFIDENCE = 50.0  # mean word confidence under which a person should look at the page


def page_warnings(pages: list[PageResult]) -> list[dict]:
    """Per-page problems a clerk should check (Vietnamese, shown in the report)."""
    warnings = []
    for page in pages:
        where = f"pages[{page.index}]"
        if not page.words:
            warnings.append({"field": where, "message": f"Trang {page.index + 1}: không đọc được "
                             "chữ nào (trang trắng hoặc ảnh quá mờ), cần kiểm tra bằng mắt."})
        elif page.ocr_confidence < LOW_CONFIDENCE:
            warnings.append({"field": where, "message": f"Trang {page.index + 1}: chất lượng nhận "
                             f"dạng thấp (độ tin cậy {page.ocr_confidence:.0f}%), cần kiểm tra lại."})
    return warnings


def document_result(*, dossier_id: str, document_id: str, source: str, pages: list[PageResult],
                    sha256: dict, artifacts: dict, document_type: str | None = None,
                    fields: dict | None = None, errors: list[dict] | None = None) -> dict:
    errors = list(errors or []) + page_warnings(pages)
    return {
        "dossier_id": dossier_id,
        "document_id": document_id,
        "source": source,
        "status": "needs_review" if errors else "done",
        "document_type": document_type,
        "fields": fields or {},
        "validation": {"valid": not errors, "errors": errors},
        "pages": [{"index": p.index, "rotation": p.rotation, "skew_deg": round(p.skew_deg, 2),
                   "ocr_confidence": p.ocr_confidence} for p in pages],
        "text": "\f".join(p.text for p in pages),
        "sha256": sha256,
        "artifacts": artifacts,
    }


def failed_result(*, dossier_id: str, document_id: str, source: str, error: str,
                  sha256: dict | None = None) -> dict:
    return {
        "dossier_id": dossier_id,
        "document_id": document_id,
        "source": source,
        "status": "failed",
        "error": error,
        "document_type": None,
        "fields": {},
        "validation": {"valid": False, "errors": []},
        "pages": [],
        "text": "",
        "sha256": sha256 or {},
        "artifacts": {},
    }
