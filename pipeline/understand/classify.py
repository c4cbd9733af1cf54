"""Which of the known document types a page set is, from its OCR text, with a confidence.

Two kinds of evidence, so that a page whose title was not read (a red title on guilloche,
an inner page that has none) is still recognised:

- the title and keywords: each type's rules give printed titles and keywords. The title is
  looked for in the top part of the first page, over one to three consecutive rows (titles
  wrap: "GIẤY CHỨNG NHẬN" / "QUYỀN SỬ DỤNG ĐẤT"), compared without accents or case so
  damaged titles still count; keywords are looked for anywhere;
- the printed field labels: which of a type's fields have a label on the page, each field
  weighted by how few types print it ("Nguyên nhân chết" says more than "Họ và tên").

A weak best score, or a near tie, is reported as such.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.core.text import fold
from pipeline.understand.doctypes import DocumentType
from pipeline.understand.layout import Layout, find_labels

TITLE_WEIGHT = 0.6
MIN_SCORE = 0.5  # below this the document is none of the known types
TITLE_AREA = 0.45  # titles sit in the top part of the first page
# Labels alone, with no title: a type is as sure as the weighted share of its fields whose
# labels are on the page, scaled so that about 60% of a form's distinctive labels (page II
# of a land certificate: parcel, map sheet, area, use, term, origin) pass MIN_SCORE.
LABELS_ALONE = 0.85
# Labels weighing this much together (a label only one type prints weighs 1), less those of
# other types, are as sure as all of a type's labels: five of page II's eight land labels
# read through a blurred photo's noise pass MIN_SCORE, three do not.
DISTINCT_LABELS = 6.0
MIN_LABELLED_FIELDS = 3  # a type with fewer labelled fields (Nghị định 30) has no label evidence


@dataclass(frozen=True)
class Classification:
    document_type: str | None
    confidence: float  # 0..1
    scores: dict[str, float]
    labels_printed: int = 0  # distinct form labels of any known type found on the page


def classify(layout: Layout, types: dict[str, DocumentType]) -> Classification:
    rows = [fold(line.text) for line in layout.lines
            if line.page == 0 and line.y0 <= TITLE_AREA * line.page_height]
    windows = [" ".join(rows[i:i + n]) for n in (1, 2, 3) for i in range(len(rows) - n + 1)]
    text = " ".join(fold(line.text, keep_punct=True) for line in layout.lines)
    evidence, labels_printed = label_evidence(layout, types)
    scores = {key: max(_score(t, windows, text), round(LABELS_ALONE * evidence.get(key, 0.0), 3))
              for key, t in types.items()}
    if not scores:
        return Classification(None, 0.0, {}, labels_printed)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score < MIN_SCORE:
        return Classification(None, round(1 - score, 3), scores, labels_printed)
    # Confidence: how good the best match is, discounted when another type is close.
    confidence = min(1.0, score) * min(1.0, 0.5 + (score - runner_up) * 2)
    return Classification(best, round(confidence, 3), scores, labels_printed)


def _score(doc_type: DocumentType, windows: list[str], text: str) -> float:
    title = max((fuzz.ratio(fold(t), w) for t in doc_type.titles for w in windows), default=0.0) / 100
    title = title if title >= 0.75 else 0.0  # a loose resemblance is no title
    if any(re.search(marker, text) for marker in doc_type.markers):
        title = max(title, 0.9)  # e.g. a Nghị định 30 number "252/UBND-TH" on a công văn
    keywords = [fold(k) for k in doc_type.keywords]
    found = sum(fuzz.partial_ratio(k, text) >= 85 for k in keywords)
    share = found / len(keywords) if keywords else 0.0
    return round(TITLE_WEIGHT * title + (1 - TITLE_WEIGHT) * share, 3)


def label_evidence(layout: Layout, types: dict[str, DocumentType]) -> tuple[dict[str, float], int]:
    """Per type, how well the printed labels fit it (0..1): the weight of its fields whose
    label is on the page, over the weight of all its fields plus that of labels printed for
    fields it does not have (a birth certificate's "mother" labels speak against a marriage
    certificate, whose labels it otherwise all prints); or, if more, that weight less the
    foreign one, over DISTINCT_LABELS. A field printed by k types weighs 1/k.
    Also: how many distinct field labels were found at all."""
    fields = _labelled_fields(types)
    weights = {labels: weight for f in fields.values() for labels, weight in f}
    hits = find_labels(layout, sorted({label for labels in weights for label in labels}))
    seen = {h.label for h in hits}
    printed = {labels for labels in weights if labels & seen}
    shares = {}
    for key, type_fields in fields.items():
        own = {labels for labels, _ in type_fields}
        own_labels = frozenset().union(*own)
        total = sum(weight for _, weight in type_fields)
        found = sum(weights[labels] for labels in printed & own)
        # another type's field speaks against this one only by a label this one does not
        # print: "Ngày, tháng, năm sinh" is the card's own label, whoever else prints it
        foreign = sum(weights[labels] for labels in printed - own if not labels & seen <= own_labels)
        # a page of a many-field form (page II of a land certificate) prints only part of
        # it: enough labels only that type prints say so on their own
        shares[key] = max(found / (total + foreign), min(1.0, (found - foreign) / DISTINCT_LABELS)) \
            if total else 0.0
    return shares, len(printed)


def _labelled_fields(types: dict[str, DocumentType]) -> dict[str, list[tuple[frozenset[str], float]]]:
    """Per type (with enough labelled fields): each field's labels and its weight."""
    # Fields printing the same labels (the marriage certificate's two columns) count once.
    per_type = {key: list(dict.fromkeys(frozenset(f.labels) for f in t.fields if f.labels))
                for key, t in types.items()}
    per_type = {k: v for k, v in per_type.items() if len(v) >= MIN_LABELLED_FIELDS}
    folded = {labels: frozenset(fold(label) for label in labels)
              for v in per_type.values() for labels in v}
    every = [folded[labels] for v in per_type.values() for labels in v]

    def weight(labels: frozenset[str]) -> float:
        return 1.0 / max(1, sum(1 for other in every if other & folded[labels]))

    return {key: [(labels, weight(labels)) for labels in v] for key, v in per_type.items()}
