"""Position finders for fields printed without a label (the Nghị định 30/2020 layout:
agency top left, number under it, place and date top right, type line centred, subject
under it, signer bottom right). Each finder returns (raw text, tokens) or None; regions
are fractions of the page, so the rules hold at any resolution.

Rules name finders in `<type>.rules.json` ("find": [{"kind": "regex", ...}, ...]).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import NamedTuple

from rapidfuzz import fuzz

from pipeline.core.text import fold, is_syllable
from pipeline.understand.layout import Layout, Line, Token


class Found(NamedTuple):
    text: str
    tokens: list[Token]
    doubt: str | None = None  # why a person must look, whatever the OCR's confidence


def _band(line: Line, region: dict) -> list[Token]:
    y = region.get("y", (0, 1))
    if not y[0] <= line.y0 / line.page_height <= y[1] or region.get("page", line.page) != line.page:
        return []
    return line.within(region.get("x", (0, 1)))


def _rows(layout: Layout, region: dict) -> list[tuple[Line, list[Token]]]:
    return [(line, tokens) for line in layout.lines if (tokens := _band(line, region))]


def _text(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens)


COLUMN_GAP = 1.5  # × row height: a gap this wide between two words parts two columns


def regex(layout: Layout, spec: dict) -> Found | None:
    """The first row in the region whose text (or folded text) matches; group `value`.
    With `by_column`, each column of a row is matched apart, so `^` anchors at a column's
    start ("Hà Giang, ngày..." after a handwritten number in the column on its left)."""
    pattern = re.compile(spec["regex"], re.IGNORECASE)
    rows = _rows(layout, spec.get("region", {}))
    if spec.get("by_column"):
        rows = [(line, part) for line, tokens in rows for part in _columns_of(line, tokens)]
    for _, tokens in rows:
        text = _text(tokens)
        match = pattern.search(fold(text, keep_punct=True) if spec.get("folded") else text)
        if match:
            if spec.get("folded"):  # map the folded match back onto the printed words
                return _slice_folded(tokens, match.start("value"), match.end("value")), tokens
            return match.group("value"), tokens
    return None


def _columns_of(line: Line, tokens: list[Token]) -> list[list[Token]]:
    parts = [[tokens[0]]]
    for before, token in zip(tokens, tokens[1:]):
        if token.x0 - before.x1 > COLUMN_GAP * line.height:
            parts.append([])
        parts[-1].append(token)
    return parts


def _whole_column(line: Line, tokens: list[Token]) -> list[Token]:
    """`tokens` and the words that follow them in their column: a region's edge cuts the
    column it names at a fixed fraction of the page, a printed line ends where it ends
    ("PHÒNG VĂN HÓA VÀ THÔNG TIN" past 45% of a narrow photo's width)."""
    end = line.tokens.index(tokens[-1])
    for token in line.tokens[end + 1:]:
        if token.x0 - tokens[-1].x1 > COLUMN_GAP * line.height:
            break
        tokens = [*tokens, token]
    return tokens


def _slice_folded(tokens: list[Token], start: int, end: int) -> str:
    out, pos = [], 0
    for token in tokens:
        width = len(fold(token.text, keep_punct=True))
        if pos + width > start and pos < end:
            out.append(token.text)
        pos += width + 1
    return " ".join(out)


# A document symbol ("TB-SGDĐT", "/BC-UBND"): the number's row, whatever OCR made of "Số:"
# (Nghị định 30 writes symbols in unaccented capitals and Đ, joined by hyphens)
SYMBOL = re.compile(r"[A-ZĐ]{2,}-[A-ZĐ]{2,}")


def block(layout: Layout, spec: dict) -> Found | None:
    """Consecutive capitalised rows from the top of the region (or under the row matching
    `after`) until a row matching `until`; with `drop_parent`, a first row is the parent agency unless it matches `keep_first`."""
    rows = []
    until = re.compile(spec["until"], re.IGNORECASE)
    candidates = _rows(layout, spec.get("region", {}))
    if "after" in spec:  # start under the first row matching `after`
        after = re.compile(spec["after"], re.IGNORECASE)
        begin = next((i for i, (_, t) in enumerate(candidates) if after.search(fold(_text(t)))), None)
        candidates = candidates[begin + 1:] if begin is not None else []
    for line, tokens in candidates:
        tokens = _whole_column(line, tokens)
        text = _text(tokens)
        if until.search(fold(text, keep_punct=True)) or any(SYMBOL.search(t.text) for t in tokens):
            break
        if _upper_share(text) >= 0.8:
            rows.append(tokens)
        elif rows:
            break
    if not rows:
        return None
    if spec.get("drop_parent") and len(rows) > 1 and not re.search(
            spec.get("keep_first", "$^"), fold(_text(rows[0]), keep_punct=True)):
        rows = rows[1:]
    tokens = [t for row in rows for t in row]
    return _text(tokens), tokens


def vocabulary(layout: Layout, spec: dict) -> Found | None:
    """The first row in the region that is one of the choices (fuzzy, accents ignored)."""
    hit = _vocabulary_row(layout, spec)
    if hit:
        line, tokens, choice = hit
        return choice, tokens
    default = spec.get("default")
    if default:  # e.g. "V/v" under the number: a Công văn, as sure as that line was read
        for line in layout.lines:
            if re.search(default["if"], fold(line.text, keep_punct=True)):
                return default["value"], line.tokens[:2]
    return None


def _vocabulary_row(layout: Layout, spec: dict):
    """The first capitalised row that is one of the choices; the closest choice wins."""
    choices = {fold(c): c for c in spec["choices"]}
    for line, tokens in _rows(layout, spec.get("region", {})):
        if _upper_share(_text(tokens)) < 0.8:
            continue
        text = fold(_text(tokens))
        score, key = max((fuzz.ratio(key, text), key) for key in choices)
        if score >= spec.get("score", 85):
            return line, tokens, choices[key]
    return None


def after_row(layout: Layout, spec: dict) -> Found | None:
    """The rows right under the anchor row (found like `vocabulary` or `regex`), until a
    gap, a capitalised row or a row matching `until`."""
    anchor = spec["anchor"]
    if anchor["kind"] == "vocabulary":
        hit = _vocabulary_row(layout, anchor)
        start = hit[0] if hit else None
    else:
        pattern = re.compile(anchor["regex"], re.IGNORECASE)
        start = next((line for line, tokens in _rows(layout, anchor.get("region", {}))
                      if pattern.search(fold(_text(tokens), keep_punct=True))), None)
    if start is None:
        return None
    until = re.compile(spec.get("until", "$^"), re.IGNORECASE)
    tokens: list[Token] = []
    previous = start
    x = spec.get("x", (0, 1))
    for line in layout.lines[start.index + 1:start.index + 1 + spec.get("max_rows", 4)]:
        row = line.within(x)
        if not row or line.page != start.page or line.y0 - previous.y1 > 1.2 * previous.height:
            break
        text = _text(row)
        if until.search(fold(text, keep_punct=True)) or (tokens and _upper_share(text) >= 0.8):
            break
        if spec.get("centred") and (
                abs((row[0].x0 + row[-1].x1) / 2 - (start.x0 + start.x1) / 2) > 0.05 * line.page_width
                or row[-1].x1 - row[0].x0 > 0.68 * line.page_width):
            break  # a subject is centred under its type line and narrower than the body
        tokens += row
        previous = line
    return (_text(tokens), tokens) if tokens else None


def signer(layout: Layout, spec: dict) -> Found | None:
    """The signature block: title rows in capitals, then (below the signature) the name."""
    region = spec.get("region", {})
    start = re.compile(spec.get("start", "$^"), re.IGNORECASE)
    rows = _rows(layout, region)
    begin = next((i for i, (line, tokens) in enumerate(rows)
                  if start.search(fold(line.text, keep_punct=True))), None)
    rows = rows[begin:] if begin is not None else rows
    groups: list[list[list[Token]]] = []  # runs of capitalised rows; the signer's is the last
    run: list[list[Token]] = []
    cut_short: set[int] = set()  # id() of the first kept word of rows that lost words before it
    for _, tokens in rows:
        first = next((t.text for t in tokens if any(c.isalpha() for c in t.text)), "")
        authority = bool(AUTHORITY.fullmatch(first))
        printed = [replace(t, text=_SPECKS.sub("", t.text)) for t in tokens]
        tokens = [t for t in printed if _title_word(t.text)]  # not the signature's scrawl
        if tokens and any(c.isalpha() for t in printed[:printed.index(tokens[0])] for c in t.text):
            cut_short.add(id(tokens[0]))
        if _upper_share(_text(tokens)) >= 0.8 and len(_text(tokens)) > 2:
            run.append([] if authority else tokens)  # "KT. CHỦ TỊCH" is not the signer's
        elif run:
            groups.append(run)
            run = []
    if run:
        groups.append(run)
    # The signer's own title is the line directly above the signature, under the authority
    # lines (TM. ỦY BAN NHÂN DÂN, KT. CHỦ TỊCH), which OCR may read without their "KT."
    # (spec documents.md: "PHÓ CHỦ TỊCH").
    # A lone capitalised word below it ("LUN", "CƯỜNG") is the seal's or the signature's
    # strokes read as letters: every title is two words or more (GIÁM ĐỐC, CHỦ TỊCH).
    blocks = [[row for row in group if len(row) >= 2] for group in groups]
    block = next((b for b in reversed(blocks) if b), [])
    titles = block[-1] if block else []
    if spec["part"] == "title":
        # A word before the title that is no title word ("KƑ;" of "KT. GIÁM ĐỐC", the row
        # being the authority's, not the signer's) may be what tells whose title it is.
        doubt = TITLE_CUT_SHORT if titles and id(titles[0]) in cut_short else None
        return Found(_text(titles), titles, doubt) if titles else None
    names = [tokens for _, tokens in rows if _looks_like_name(_text(tokens))]
    return Found(_text(names[-1]), names[-1]) if names else None


TITLE_CUT_SHORT = ("trước chức vụ có chữ không đọc được (có thể là “KT.”, “PHÓ”), cần đối "
                   "chiếu bản giấy.")
ABBREVIATION = re.compile(r"[A-ZĐ]{1,4}\.")  # KT., TM., TL., TUQ., Q.
# specks read at a word's edges ("'PHÓ", "_PHÓ"); a title word's dot ("KT.") stays
_SPECKS = re.compile(r"^[^\w.]+|[^\w.]+$|^_+|_+$")
# signing for someone else (Nghị định 30); OCR reads the dot as a comma too
AUTHORITY = re.compile(r"(TM|KT|TL|TUQ)[.,]")


def _title_word(word: str) -> bool:
    return bool(ABBREVIATION.fullmatch(word)) or (len(word) >= 2 and is_syllable(word))


def _upper_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 6 and all(w[0].isupper() and w[1:].islower() for w in words if w[0].isalpha()) \
        and all(w[0].isalpha() for w in words)


FINDERS = {"regex": regex, "block": block, "vocabulary": vocabulary, "after_row": after_row,
           "signer": signer}
