"""Which of the known document types a page set is, from its OCR text, with a confidence.

Each type's rules give printed titles and keywords. The title is looked for in the top part
of the first page, over one to three consecutive rows (titles wrap: "GIẤY CHỨNG NHẬN" /
"QUYỀN SỬ DỤNG ĐẤT"), compared without accents or case so damaged titles still count;
keywords are looked for anywhere. A weak best score, or a near tie, is reported as such.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.core.text import fold
from pipeline.understand.doctypes import DocumentType
from pipeline.understand.layout import Layout

TITLE_WEIGHT = 0.6
MIN_SCORE = 0.5  # below this the document is none of the known types
TITLE_AREA = 0.45  # titles sit in the top part of the first page


@dataclass(frozen=True)
class Classification:
    document_type: str | None
    confidence: float  # 0..1
    scores: dict[str, float]


def classify(layout: Layout, types: dict[str, DocumentType]) -> Classification:
    rows = [fold(line.text) for line in layout.lines
            if line.page == 0 and line.y0 <= TITLE_AREA * line.page_height]
    windows = [" ".join(rows[i:i + n]) for n in (1, 2, 3) for i in range(len(rows) - n + 1)]
    text = " ".join(fold(line.text, keep_punct=True) for line in layout.lines)
    scores = {key: _score(t, windows, text) for key, t in types.items()}
    if not scores:
        return Classification(None, 0.0, {})
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score < MIN_SCORE:
        return Classification(None, round(1 - score, 3), scores)
    # Confidence: how good the best match is, discounted when another type is close.
    confidence = min(1.0, score) * min(1.0, 0.5 + (score - runner_up) * 2)
    return Classification(best, round(confidence, 3), scores)


def _score(doc_type: DocumentType, windows: list[str], text: str) -> float:
    title = max((fuzz.ratio(fold(t), w) for t in doc_type.titles for w in windows), default=0.0) / 100
    title = title if title >= 0.75 else 0.0  # a loose resemblance is no title
    if any(re.search(marker, text) for marker in doc_type.markers):
        title = max(title, 0.9)  # e.g. a Nghị định 30 number "252/UBND-TH" on a công văn
    keywords = [fold(k) for k in doc_type.keywords]
    found = sum(fuzz.partial_ratio(k, text) >= 85 for k in keywords)
    share = found / len(keywords) if keywords else 0.0
    return round(TITLE_WEIGHT * title + (1 - TITLE_WEIGHT) * share, 3)
