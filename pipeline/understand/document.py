"""Understanding a document: classify, extract fields, normalise, validate.

    pages ──► Layout ──► classify ──► extract (labels, columns, positions) ──► validate

The result says what needs a person's look: a weak type, a field read with low OCR
confidence, a label whose value could not be read, or any validation error.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core.model import PageResult
from pipeline.understand.classify import classify
from pipeline.understand.doctypes import DocumentType
from pipeline.understand.extract import extract
from pipeline.understand.layout import Layout
from pipeline.understand.validate import validate

LOW_TYPE_CONFIDENCE = 0.6
# Tesseract word confidence (0..100) of the weakest word read, under which a person checks
# the value: digits and codes read cleanly score high, so a dip there means a doubtful digit.
LOW_FIELD_CONFIDENCE = 40.0
LOW_CODE_CONFIDENCE = 80.0
CODE_KINDS = {"personal_id", "digits", "code", "book", "symbol", "date", "year"}


@dataclass
class Understanding:
    document_type: str | None
    type_confidence: float
    fields: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)  # {"field", "message"} in Vietnamese
    owners: list[str] = field(default_factory=list)  # personal IDs the document is about
    archive: dict = field(default_factory=dict)  # document-level archive metadata


def understand(pages: list[PageResult], types: dict[str, DocumentType]) -> Understanding:
    layout = Layout.from_pages(pages)
    kind = classify(layout, types)
    if kind.document_type is None:
        return Understanding(None, kind.confidence)
    doc_type = types[kind.document_type]
    found, problems = extract(layout, doc_type)
    fields = {f.key: found[f.key].value for f in doc_type.fields if f.key in found}
    errors = validate(doc_type, fields)
    if kind.confidence < LOW_TYPE_CONFIDENCE:
        errors.insert(0, {"field": "document_type", "message": f"Loại giấy tờ “{doc_type.name}” "
                          f"được nhận ra với độ tin cậy thấp ({kind.confidence:.0%}), cần xác nhận."})
    for key, got in found.items():
        floor = LOW_CODE_CONFIDENCE if doc_type.field(key).kind in CODE_KINDS else LOW_FIELD_CONFIDENCE
        if got.confidence < floor:
            errors.append({"field": key, "message": f"{doc_type.display_name(key)}: đọc được với "
                           f"độ tin cậy thấp (“{got.raw}”), cần đối chiếu bản giấy."})
    for problem in problems:
        errors.append({"field": problem.field, "message": f"{doc_type.display_name(problem.field)}: không đọc được "
                       f"giá trị (trên giấy in “{problem.raw[:60]}”), cần nhập tay."})
    owners = [fields[k] for k in doc_type.owners if fields.get(k)]
    return Understanding(doc_type.key, kind.confidence, fields, errors, owners,
                         doc_type.archive_metadata(fields, len(pages)))

