"""Understanding a document: classify, extract fields, normalise, validate.

    pages ──► Layout ──► classify ──► extract (labels, columns, positions) ──► validate

The result says what needs a person's look: a weak type, a field read with low OCR
confidence, a label whose value could not be read, or any validation error.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from pipeline.core.model import PageResult
from pipeline.core.text import fold
from pipeline.understand.classify import Classification, classify
from pipeline.understand.doctypes import DocumentType
from pipeline.understand.extract import Extracted, extract
from pipeline.understand.layout import Layout
from pipeline.understand.validate import validate

LOW_TYPE_CONFIDENCE = 0.6
# A page with this many distinct form labels is a form: if no type is found for it, a person
# must say what it is (a silent `null` would hide a document the archive cannot find again).
FORM_LABELS = 3
# Under this score of its best type, a page is confidently none of them.
NONE_OF_THEM = 0.25
# A page read under this mean word confidence may be any type: being none of them is not
# sure. On the tuning batches, pages truly of no type read at 92.6 and up; two Công văn
# photos read at 41 and 51 got no type, one of them `done`.
NONE_NEEDS_READING = 80.0
MIN_FIELDS = 2  # a typed document with fewer fields read was not really read
# Every state document of the seven types carries the national motto (Quốc hiệu, Nghị
# định 30/2020 Phụ lục I): a page that prints it but gets no type is a document we failed
# to recognise, not "none of them".
NATIONAL_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc",
                  "socialist republic of viet nam")
# Tesseract word confidence (0..100) of the weakest word read, under which a person checks
# the value. Calibrated with bench.calibrate on tuning batches only. First (standard seeds 5
# and 11, realistic seed 1001; 474 values): text under 85 wrong 1 time in 5, 2 in 233 from
# 85 up; codes and dates wrong 1 in 12 between 85 and 90, none in 148 from 90 up. Again on
# 2026-12-06 (realistic seeds 1005-1013, standard seed 5 clean and degraded; 2589 values):
# text between 85 and 90 was wrong 5 times in 106 (4.7%), from 90 up 5 in 1082 (0.5%);
# codes from 90 up 1 in 665. So text too must read at 90.
LOW_FIELD_CONFIDENCE = 90.0
LOW_CODE_CONFIDENCE = 90.0
CODE_KINDS = {"personal_id", "digits", "code", "book", "symbol", "date", "year"}


@dataclass
class Understanding:
    document_type: str | None
    type_confidence: float
    fields: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)  # {"field", "message"} in Vietnamese
    owners: list[str] = field(default_factory=list)  # personal IDs the document is about
    archive: dict = field(default_factory=dict)  # document-level archive metadata
    #: key -> {"confidence" (0..100, the weakest word), "page" (1-based), "box" ([x0, y0,
    #: x1, y1] as fractions of that page's width and height)}: where each value was read.
    #: Not part of result.json; the archive service keeps it (workers/graph.py).
    evidence: dict = field(default_factory=dict)


def understand(pages: list[PageResult], types: dict[str, DocumentType]) -> Understanding:
    layout = Layout.from_pages(pages)
    kind = classify(layout, types)
    if kind.document_type is None:
        return Understanding(None, kind.confidence, errors=_untyped(kind, types, layout, pages))
    doc_type = types[kind.document_type]
    found, problems = extract(layout, doc_type)
    fields = {f.key: found[f.key].value for f in doc_type.fields if f.key in found}
    errors = validate(doc_type, fields)
    unread = [key for key in doc_type.schema.get("required", []) if key not in fields]
    for key in unread:  # printed on every variant of the form, yet not read
        if not any(p.field == key for p in problems):
            errors.append({"field": key, "message": f"{doc_type.display_name(key)}: không tìm "
                           "thấy trên giấy tờ (mọi mẫu đều in mục này), cần nhập tay."})
    if len(fields) < MIN_FIELDS:
        errors.append({"field": "fields", "message": f"Chỉ đọc được {len(fields)} mục của "
                       f"“{doc_type.name}”, cần nhập tay các mục còn lại."})
    if kind.confidence < LOW_TYPE_CONFIDENCE:
        errors.insert(0, {"field": "document_type", "message": f"Loại giấy tờ “{doc_type.name}” "
                          f"được nhận ra với độ tin cậy thấp ({kind.confidence:.0%}), cần xác nhận."})
    for key, got in found.items():
        floor = LOW_CODE_CONFIDENCE if doc_type.field(key).kind in CODE_KINDS else LOW_FIELD_CONFIDENCE
        if got.confidence < floor:
            errors.append({"field": key, "message": f"{doc_type.display_name(key)}: đọc được với "
                           f"độ tin cậy thấp (“{got.raw}”), cần đối chiếu bản giấy."})
        if got.doubt:
            errors.append({"field": key, "message": f"{doc_type.display_name(key)}: {got.doubt}"})
    for problem in problems:
        printed = f" (trên giấy in “{problem.raw[:60]}”)" if problem.raw else " bên cạnh nhãn in trên giấy"
        errors.append({"field": problem.field, "message": f"{doc_type.display_name(problem.field)}: không đọc được "
                       f"giá trị{printed}, cần nhập tay."})
    errors += _read_twice(doc_type, found)
    owners = doc_type.owners_of(fields)
    return Understanding(doc_type.key, kind.confidence, fields, errors, owners,
                         doc_type.archive_metadata(fields, len(pages)),
                         {key: _evidence(got, pages) for key, got in found.items()
                          if key in fields})


def _read_twice(doc_type: DocumentType, found: dict) -> list[dict]:
    """Two fields of one label read from the same printed words (the mother's "Năm sinh"
    taken from the father's row when the label that places it was lost): one of them is
    not what its section says, and nothing tells which; both wait for a person. (Fields of
    different labels may share a row: the place and date of a Công văn.)"""
    readers: dict[tuple, list[str]] = {}
    for key, got in found.items():
        labels = tuple(sorted(doc_type.field(key).labels))
        for t in got.tokens if labels else ():  # a finder's field reads whole rows
            readers.setdefault((labels, t.page, t.x0, t.y0), []).append(key)
    shared = {k: keys for k, keys in readers.items() if len(set(keys)) > 1}
    errors = []
    for key in dict.fromkeys(k for keys in shared.values() for k in keys):
        others = {o for keys in shared.values() if key in keys for o in keys} - {key}
        errors.append({"field": key, "message": f"{doc_type.display_name(key)}: đọc từ cùng chỗ "
                       f"với {', '.join(doc_type.display_name(o) for o in sorted(others))}, cần "
                       "đối chiếu bản giấy."})
    return errors


def _evidence(got: Extracted, pages: list[PageResult]) -> dict:
    """How surely and where a value was read: its weakest word's confidence, and the box
    around its words on the page most of them are on."""
    if not got.tokens:
        return {"confidence": round(got.confidence, 2), "page": None, "box": None}
    on = max({t.page for t in got.tokens}, key=[t.page for t in got.tokens].count)
    words = [t for t in got.tokens if t.page == on]
    width, height = float(pages[on].width or 1), float(pages[on].height or 1)
    box = [min(t.x0 for t in words) / width, min(t.y0 for t in words) / height,
           max(t.x1 for t in words) / width, max(t.y1 for t in words) / height]
    return {"confidence": round(got.confidence, 2), "page": on + 1,
            "box": [round(min(max(v, 0.0), 1.0), 4) for v in box]}


def _untyped(kind: Classification, types: dict[str, DocumentType], layout: Layout,
             pages: list[PageResult]) -> list[dict]:
    """Why a page with no type still needs a person, if it does."""
    unsure = [p.index + 1 for p in pages if p.words and p.ocr_confidence < NONE_NEEDS_READING]
    if unsure:
        return [{"field": "document_type", "message": f"Trang {', '.join(map(str, unsure))} đọc "
                 "được quá kém để chắc đây không phải giấy tờ nào đã biết, cần phân loại bằng tay."}]
    text = " ".join(fold(line.text) for line in layout.lines)
    if any(fuzz.partial_ratio(motto, text) >= 85 for motto in NATIONAL_MOTTO):
        return [{"field": "document_type", "message": "Trang có Quốc hiệu (giấy tờ của cơ quan "
                 "nhà nước) nhưng không nhận ra loại giấy tờ, cần phân loại bằng tay."}]
    if kind.labels_printed >= FORM_LABELS:
        return [{"field": "document_type", "message": "Trang có dạng biểu mẫu (tìm thấy "
                 f"{kind.labels_printed} mục in sẵn) nhưng không nhận ra loại giấy tờ, cần "
                 "phân loại bằng tay."}]
    best = max(kind.scores, key=kind.scores.__getitem__, default=None)
    if best is not None and kind.scores[best] >= NONE_OF_THEM:
        return [{"field": "document_type", "message": "Không chắc trang này không phải "
                 f"“{types[best].name}”, cần xác nhận loại giấy tờ."}]
    return []
