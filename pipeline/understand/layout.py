"""The page geometry extraction works on: OCR words regrouped into visual lines, in
reading order across all pages of a document, and tolerant label finding on them.

Lines are rebuilt from word boxes rather than taken from Tesseract's line numbers: on a
form, a label and its value (or two columns) can land in different Tesseract blocks while
sitting on the same printed row, and the row is what a reader means.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from statistics import median

from rapidfuzz import fuzz

from pipeline.core.model import PageResult, Word
from pipeline.core.text import fold

COLON = re.compile(r"[:：]\s*$")


@dataclass(frozen=True)
class Token:
    text: str
    key: str  # folded, without "/" (labels print "Số / No." in many ways)
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Line:
    page: int
    tokens: list[Token]
    index: int = 0  # position in reading order over the document
    page_width: float = 1.0
    page_height: float = 1.0

    @property
    def y0(self) -> float:
        return min(t.y0 for t in self.tokens)

    @property
    def y1(self) -> float:
        return max(t.y1 for t in self.tokens)

    @property
    def height(self) -> float:
        return median(t.y1 - t.y0 for t in self.tokens)

    @property
    def x0(self) -> float:
        return self.tokens[0].x0

    @property
    def x1(self) -> float:
        return self.tokens[-1].x1

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    def within(self, x: tuple[float, float]) -> list[Token]:
        """Tokens whose centre lies in the horizontal band x (fractions of page width)."""
        lo, hi = x[0] * self.page_width, x[1] * self.page_width
        return [t for t in self.tokens if lo <= t.cx < hi]


@dataclass
class Layout:
    lines: list[Line]
    text_right: dict[int, float] = field(default_factory=dict)  # right text edge per page

    @classmethod
    def from_pages(cls, pages: list[PageResult]) -> Layout:
        lines: list[Line] = []
        right: dict[int, float] = {}
        for number, page in enumerate(pages):
            words = [part for w in page.words if w.text.strip() for part in _split_at_colons(w)]
            tokens = [Token(w.text, fold(w.text).replace("/", " ").strip(), number, w.left, w.top,
                            w.left + w.width, w.top + w.height, w.conf) for w in words]
            page_lines = _rows(tokens, [w.line for w in words])
            for line in page_lines:
                line.page_width, line.page_height = float(page.width), float(page.height)
                if number == 0:
                    _mend_vv(line)
            if page_lines:
                right[number] = sorted(line.x1 for line in page_lines)[int(0.9 * (len(page_lines) - 1))]
            lines.extend(page_lines)
        for i, line in enumerate(lines):
            line.index = i
        return cls(lines, right)


# "V/v" (về việc) as OCR prints it: VỊ, Vlv, V|v, V/V, V/y, V/ (the slash taken for an I or
# an l, the small v lost); a capital I-like letter: "Vì", "Vị" are words, "VỊ" is not one;
# the slash and v run together into a capital A ("VA", "VẤ" of a blurred photo)
_VV_MISREAD = re.compile(r"V(?:[/|l1!\\ỊÌÍĨỈ][vVyY]?|I[vVyY]|[AÀÁÂẤẦ])")


def _mend_vv(line: Line) -> None:
    """A Công văn's subject line opens with "V/v" under the number; read otherwise, the
    document loses its type evidence and its subject's first word. Mended only where the
    line opens the upper half of page 1 and the subject goes on in small letters."""
    first = line.tokens[0]
    if (len(line.tokens) > 1 and first.text != "V/v" and _VV_MISREAD.fullmatch(first.text)
            and first.y0 < 0.5 * line.page_height and line.tokens[1].text[:1].islower()):
        line.tokens[0] = replace(first, text="V/v", key="v v")


_AFTER_INNER_COLON = re.compile(r"(?<=[^\W\d_]:)(?=\w)")  # after a letter's colon: 20:43 is a time


def _split_at_colons(word: Word) -> list[Word]:
    """"Số:định:danh" is three words, "Số:325" two (Tesseract joins words when dots of a
    leader or a speck sit in the spaces, or a number is written close to its label): split
    after each colon that follows a letter, the box shared out by characters."""
    parts = _AFTER_INNER_COLON.split(word.text)
    if len(parts) == 1:
        return [word]
    out, left, per_char = [], word.left, word.width / len(word.text)
    for part in parts:
        width = max(1, round(per_char * len(part)))
        out.append(replace(word, text=part, left=left, width=width))
        left += width
    return out


def _rows(tokens: list[Token], ocr_lines: list[int]) -> list[Line]:
    """Rows, top to bottom: Tesseract's text lines, merged where they share a printed row
    (a label and its value, two table cells). Starting from Tesseract's lines keeps a word
    whose box sits a little high or low with the words it was read with."""
    if not tokens:
        return []
    height = median(t.y1 - t.y0 for t in tokens)
    groups: dict[int, list[Token]] = {}
    for token, number in zip(tokens, ocr_lines):
        groups.setdefault(number, []).append(token)
    rows: list[list[Token]] = []
    for group in sorted((part for g in groups.values() for part in _split_tall(g, height)), key=_centre):
        if rows and abs(_centre(group) - _centre(rows[-1])) <= 0.45 * height:
            rows[-1].extend(group)
        else:
            rows.append(list(group))
    return [Line(row[0].page, sorted(row, key=lambda t: t.x0)) for row in rows]


def _split_tall(group: list[Token], height: float) -> list[list[Token]]:
    """A Tesseract line that spans two printed rows (it happens under seals) is cut apart."""
    ordered = sorted(group, key=lambda t: (t.y0 + t.y1) / 2)
    parts = [[ordered[0]]]
    for token in ordered[1:]:
        if (token.y0 + token.y1) / 2 - _centre(parts[-1]) > 0.6 * height:
            parts.append([token])
        else:
            parts[-1].append(token)
    return parts


def _centre(row: list[Token]) -> float:
    return median((t.y0 + t.y1) / 2 for t in row)


@dataclass(frozen=True)
class LabelHit:
    """A printed label found on a line: tokens [start, end) of that line."""

    label: str
    line: Line
    start: int
    end: int
    score: float

    @property
    def x0(self) -> float:
        return self.line.tokens[self.start].x0

    @property
    def x1(self) -> float:
        return self.line.tokens[self.end - 1].x1


def find_labels(layout: Layout, labels: list[str], *, free: set[str] = frozenset(),
                min_score: float = 82.0) -> list[LabelHit]:
    """Every non-overlapping occurrence of the labels, the strongest match first.

    A label counts where a form prints one: ending in a colon, starting a row, or after a
    wide gap (leaders erased). Labels in `free` (column headers) need none of that.
    """
    keys = {(" ".join(fold(label).replace("/", " ").split()), label) for label in labels}
    candidates = []
    for key, label in keys:
        size = len(key.split())
        for line in layout.lines:
            for start in range(len(line.tokens)):
                best = _best_window(line, start, key, size)
                if best is None:
                    continue
                end, score = best
                threshold = 100.0 if len(key) <= 3 else min_score
                if score >= threshold and (label in free or _label_like(line, start, end, key)):
                    candidates.append((_strength(score, key), LabelHit(label, line, start, end, score)))
    hits: list[LabelHit] = []
    taken: dict[int, set[int]] = {}
    for _, hit in sorted(candidates, key=lambda c: -c[0]):
        used = taken.setdefault(hit.line.index, set())
        if not used.intersection(range(hit.start, hit.end)):
            hits.append(hit)
            used.update(range(hit.start, hit.end))
    return sorted(hits, key=lambda h: (h.line.index, h.start))


def _strength(score: float, key: str) -> float:
    """Longer labels win when read well, so "…tên người mẹ" beats both the exact "Họ, chữ
    đệm, tên" inside it and "…tên người cha"; but the score weighs steeply, so a long label
    stretched over the value ("Họ, chữ đệm, tên HOÀNG MỸ" ≈ "…tên người mẹ", 83) loses to
    the short label read exactly."""
    return len(key) * (score / 100) ** 6


def _best_window(line: Line, start: int, key: str, size: int):
    first = line.tokens[start].key
    if not first or first[0] != key[0]:  # the window's first letter is the label's (the
        return None  # window from the next word is tried on its own): most starts end here
    best = None
    for width in (size, size + 1, size - 1, size + 2):
        end = start + width
        if width < 1 or end > len(line.tokens):
            continue
        if any(COLON.search(t.text) for t in line.tokens[start:end - 1]):
            continue  # a label never runs over a colon: that is the next label's value
        window = " ".join(t.key for t in line.tokens[start:end] if t.key)
        if not window or window[0] != key[0]:
            continue
        score = fuzz.ratio(key, window)
        if best is None or score > best[1]:
            best = (end, score)
    return best


def _opens_a_row_of_labels(line: Line, end: int) -> bool:
    """Whether the row goes on, after the words up to `end`, with a number and then the
    next label's colon, nothing worded between, or with a number that ends the row: "Số
    184 Quyển số: 02/2018", "Số 477/2021", rows of a form whose first colon a handwritten
    number covered."""
    if end >= len(line.tokens) or not any(c.isdigit() for c in line.tokens[end].text):
        return False
    if end == len(line.tokens) - 1:
        return True
    for i in range(end + 1, len(line.tokens)):
        if sum(c.isalpha() for c in line.tokens[i].text) >= 3:
            return any(COLON.search(t.text) for t in line.tokens[i:i + 2])
    return False


def _label_like(line: Line, start: int, end: int, key: str) -> bool:
    last = line.tokens[end - 1].text
    colon = bool(COLON.search(last)) or (end < len(line.tokens) and line.tokens[end].text.strip() in ":：")
    if len(key) <= 3:  # "Số" without a colon is just a word ("Số 24 đường ..."), unless
        return colon or (start == 0 and _opens_a_row_of_labels(line, end))
    if colon:
        return True
    if start == 0:  # a row starting with the label words: a label if a value follows, or
        # if the row is a whole label of three words or more, its value under it (the 2024
        # card prints "Họ, chữ đệm và tên khai sinh / Full name" with no colon); a row in
        # capitals is a title ("TÌNH TRẠNG HÔN NHÂN" under "GIẤY XÁC NHẬN")
        return end < len(line.tokens) or (len(key.split()) >= 3 and not line.text.isupper())
    gap = line.tokens[start].x0 - line.tokens[start - 1].x1
    return gap > 1.5 * line.height
