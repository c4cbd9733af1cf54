"""Field extraction: labels found on the page, values read beside or under them.

For every field of a type: its labels' occurrences in reading order (filtered by the
rule's `after`/`before`/`region`), the value to the right of the label up to the next
label or a column gap, else on the line below; wrapped values continue while the previous
row ran to the text's right edge. Columns (the marriage certificate) split each row at the
gutters between column headers. Fields without labels (Nghị định 30 layout) use position
finders (pipeline.understand.finders). Each value is normalised; an unreadable value is left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pipeline.core.text import fold
from pipeline.understand.doctypes import DocumentType, FieldRule
from pipeline.understand.finders import FINDERS, Found
from pipeline.understand.layout import LabelHit, Layout, Line, Token, find_labels
from pipeline.understand.normalize import mended_first_digit, normalise

LEADER = re.compile(r"(\.{5,}|…{2,})")
COLUMNS_UNPLACED = ("tiêu đề các cột (bên này, bên kia) không đọc được hết nên không chắc giá "
                    "trị thuộc đúng cột, cần đối chiếu bản giấy.")
WIDE_GAP = 3.0  # × line height: a gap this wide between two words ends a value


@dataclass
class Extracted:
    value: object
    raw: str
    confidence: float  # lowest OCR confidence of the words read
    tokens: list[Token] = field(default_factory=list, repr=False)  # the words read, where they are
    doubt: str | None = None  # why a person must look, whatever the OCR's confidence (Vietnamese)


@dataclass
class Problem:
    field: str
    raw: str  # what was printed where the field is, but could not be read as a value


def extract(layout: Layout, doc_type: DocumentType) -> tuple[dict[str, Extracted], list[Problem]]:
    labels = [label for f in doc_type.fields for label in f.labels] + list(doc_type.stops)
    headers = [h for hs in doc_type.columns.values() for h in hs]
    hits = find_labels(layout, labels + headers, free=set(headers))
    by_label: dict[str, list[LabelHit]] = {}
    for hit in hits:
        by_label.setdefault(hit.label, []).append(hit)
    starts = {(h.line.index, h.start) for h in hits if h.label not in headers}
    # column headers head the columns: a "Vợ" under the signatures is no header
    rows = [h.line.index for f in doc_type.fields if f.column for label in f.labels
            for h in by_label.get(label, [])]
    columns = _columns(by_label, doc_type.columns, before=max(rows, default=len(layout.lines)))
    # Without every column's header the gutters are guesses: a row's one value may be
    # either side's (the husband's birth date read as the wife's when her column was lost)
    unplaced = COLUMNS_UNPLACED if set(columns) != set(doc_type.columns) else None
    anchors = _anchors(doc_type, by_label)
    found: dict[str, Extracted] = {}
    problems: list[Problem] = []
    for rule in doc_type.fields:
        candidates = _allowed(_candidates(rule, by_label), rule, anchors)
        raw_seen = None
        for hit in candidates:
            raw, tokens = _value(layout, hit, rule, starts, columns)
            if not tokens:
                continue
            if _echoes_a_label(raw, rule):  # the label was read, its value was not
                raw_seen = raw_seen or raw
                continue
            raw = _without_label_tail(raw)
            value = normalise(rule.kind, raw, rule.options)
            if value is not None and (rule.pattern is None or re.fullmatch(rule.pattern, str(value))):
                doubt = (unplaced if rule.column else None) or _mended(rule, value, raw)
                found[rule.key] = Extracted(value, raw, min(t.conf for t in tokens), tokens, doubt)
                break
            raw_seen = raw_seen or raw
        if rule.key not in found and rule.finders:
            got = _by_finders(layout, rule)
            if got:
                found[rule.key] = got
        if rule.key not in found and (raw_seen or candidates):
            # its label is printed, so is its value: unread ("Số: ?" past a wide gap), not absent
            problems.append(Problem(rule.key, raw_seen or ""))
    return found, problems


LABEL_TAIL = re.compile(r"^\s*([^\W\d][^:\d]{0,24}):\s*(?=\S)")


def _without_label_tail(raw: str) -> str:
    """A label that wraps leaves its tail before the value ("Nơi đăng ký" matched, "khai
    sinh: Ủy ban..." left): a value never opens with a few words and a colon."""
    tail = LABEL_TAIL.match(raw)
    return raw[tail.end():] if tail and len(tail.group(1).split()) <= 3 else raw


def _echoes_a_label(raw: str, rule: FieldRule) -> bool:
    """A "value" that is the rest of a bilingual label ("Quê quán" matched, "/ Place of
    origin" left over), or a piece of its English half ("name:" of "Full name", "P," of
    "Place of residence": the rest lost to OCR), is no value: the field's value is elsewhere."""
    read = fold(raw).strip(" /:")
    if not read:
        return False
    for label in rule.labels:
        if " / " not in label:
            continue
        english = fold(label.split(" / ", 1)[1]).strip(" /:")
        if read.startswith(english) or english.startswith(read) \
                or english.split()[-len(read.split()):] == read.split():
            return True
    return False


def _candidates(rule: FieldRule, by_label: dict[str, list[LabelHit]]) -> list[LabelHit]:
    hits = [h for label in rule.labels for h in by_label.get(label, [])]
    return sorted(hits, key=lambda h: (h.line.index, h.start))


def _anchors(doc_type: DocumentType, by_label: dict) -> dict[str, LabelHit]:
    """Where each field's label first sits (honouring `after`), so `before`/`after` can
    tell the mother's "Năm sinh" from the father's."""
    anchors: dict[str, LabelHit] = {}
    for rule in doc_type.fields:
        allowed = _allowed(_candidates(rule, by_label), rule, anchors, use_before=False)
        if allowed:
            anchors[rule.key] = allowed[0]
    return anchors


def _allowed(candidates: list[LabelHit], rule: FieldRule, anchors: dict[str, LabelHit],
             use_before: bool = True) -> list[LabelHit]:
    def position(h: LabelHit) -> tuple[int, int]:
        return (h.line.index, h.start)

    after = anchors.get(rule.after) if rule.after else None
    before = anchors.get(rule.before) if rule.before and use_before else None
    if after and before and position(before) <= position(after):
        before = None  # the sections come the other way round (a form that prints the
        # father before the mother): the next section is not above this one's end
    out = []
    for hit in candidates:
        if after and position(hit) <= position(after):
            continue
        if before and position(hit) >= position(before):
            continue
        if rule.region and not _in_region(hit.line.tokens[hit.start], hit.line, rule.region):
            continue
        out.append(hit)
    return out


def _in_region(token: Token, line: Line, region: dict) -> bool:
    x, y = region.get("x", (0, 1)), region.get("y", (0, 1))
    fx, fy = token.cx / line.page_width, token.y0 / line.page_height
    return x[0] <= fx <= x[1] and y[0] <= fy <= y[1] and region.get("page", line.page) == line.page


def _mended(rule: FieldRule, value: object, raw: str) -> str | None:
    """Why a person must check a value the normaliser had to mend beyond reading it."""
    read = mended_first_digit(raw, str(value)) if rule.kind == "personal_id" else None
    if read is None:
        return None
    return (f"chữ số đầu đọc được là “{read}”, nhưng mọi số định danh bắt đầu bằng 0; đã sửa "
            "thành 0, cần đối chiếu bản giấy.")


def _columns(by_label: dict[str, list[LabelHit]], spec: dict, before: int
             ) -> dict[str, tuple[float, float]]:
    """Column name -> x band, from the centres of the headers found on rows before row
    `before` (gutters half-way between)."""
    centres = []
    for name, headers in spec.items():
        hits = [h for label in headers for h in by_label.get(label, []) if h.line.index < before]
        if hits:
            centres.append(((hits[0].x0 + hits[0].x1) / 2, name))
    centres.sort()
    bands = {}
    for i, (centre, name) in enumerate(centres):
        lo = (centres[i - 1][0] + centre) / 2 if i else float("-inf")
        hi = (centre + centres[i + 1][0]) / 2 if i + 1 < len(centres) else float("inf")
        bands[name] = (lo, hi)
    return bands


def _value(layout: Layout, hit: LabelHit, rule: FieldRule, starts: set, columns: dict
           ) -> tuple[str, list[Token]]:
    band = columns.get(rule.column) if rule.column else None
    tokens = _rest_of_row(hit.line, hit.end, starts, band)
    if tokens and rule.next_line and _echoes_a_label(" ".join(t.text for t in tokens), rule):
        tokens = []  # the label's English half ("/ Full name"): the value is under it
        # (without next_line the echo is returned, and extract() reports it as unread)
    line = hit.line
    if not tokens and rule.next_line:
        below = _next_line(layout, line)
        left = band[0] if band else hit.line.x0 - line.height
        first = next((i for i, t in enumerate(below.tokens) if t.x0 >= left), None) if below else None
        if first is not None and (below.index, first) not in starts:  # not another label
            line, tokens = below, _rest_of_row(below, first, starts, band)
    if tokens and rule.multiline:
        left = band[0] if band else hit.line.x0 - line.height  # wrapped rows hang from the row start
        while (below := _next_line(layout, line)) is not None:
            first = next((i for i, t in enumerate(below.tokens) if t.x0 >= left), None)
            if first is None or not (
                    _wrapped(layout, line, tokens) and not _new_item(below, first, starts)
                    if band is None else _unlabelled(below, starts)):
                break
            more = _rest_of_row(below, first, starts, band)
            if not more:
                break
            tokens, line = tokens + more, below
    return " ".join(t.text for t in tokens), tokens


def _wrapped(layout: Layout, line: Line, tokens: list[Token]) -> bool:
    """Did the value run on to the next row? Only if this row reached the right edge."""
    return tokens[-1].x1 >= layout.text_right.get(line.page, line.x1) - 4 * line.height


def _new_item(line: Line, first: int, starts: set) -> bool:
    """Does the row open another labelled item under the value, perhaps after its
    enumerator ("c) Diện tích:", "2. Nhà ở:")? Then it does not continue the value above.
    Only from token `first`, the first under the value: a label further left belongs to
    another column (an ID card's "Có giá trị đến" under the photo, beside the address's
    second line)."""
    for i, token in enumerate(line.tokens[first:first + 3], first):
        if (line.index, i) in starts:
            return True
        if len(token.text) > 3:
            return False
    return False


def _unlabelled(line: Line, starts: set) -> bool:
    """In a table, a row with no label at all continues the cells above it."""
    return not any((line.index, i) in starts for i in range(len(line.tokens)))


def _rest_of_row(line: Line, start: int, starts: set, band) -> list[Token]:
    """Words after `start` up to the next label, a wide gap, or outside the column band."""
    out: list[Token] = []
    band = _snap_to_gutters(line, band) if band else None
    for i in range(start, len(line.tokens)):
        token = line.tokens[i]
        if band and not band[0] <= token.cx < band[1]:
            if out:
                break
            continue  # another column's label or value
        if (line.index, i) in starts:
            break
        if not out and not _wordlike(token):
            continue  # a doubled colon or a speck before the value
        if out and token.x0 - out[-1].x1 > WIDE_GAP * line.height:
            break
        leader = LEADER.search(token.text)
        if leader:  # dotted leaders OCR'd as text: the value ends where they start
            if leader.start() > 0:
                out.append(replace(token, text=token.text[:leader.start()]))
            if out:
                break
            continue
        out.append(token)
    return out


def _snap_to_gutters(line: Line, band: tuple[float, float]) -> tuple[float, float]:
    """Move the band's edges into this row's nearest wide gap: a long value may run past
    the half-way line between two column headers, but never across the gutter."""
    gaps = [((a.x1 + b.x0) / 2, b.x0 - a.x1) for a, b in zip(line.tokens, line.tokens[1:])
            if b.x0 - a.x1 >= 0.8 * line.height]

    def snap(edge: float) -> float:
        # the widest gap near the edge: a gutter is wider than the space OCR sometimes
        # leaves inside a value ("Việt  Nam")
        near = [(width, -abs(x - edge), x) for x, width in gaps
                if abs(x - edge) <= 8 * line.height]
        return max(near)[2] if near and edge not in (float("inf"), float("-inf")) else edge

    return snap(band[0]), snap(band[1])


def _next_line(layout: Layout, line: Line) -> Line | None:
    i = line.index + 1
    while i < len(layout.lines):
        below = layout.lines[i]
        if below.page != line.page or below.y0 - line.y1 > 2.0 * line.height:
            return None
        if any(_wordlike(t) for t in below.tokens):
            return below
        i += 1  # a row of stray marks (a lone colon, specks) between a label and its value
    return None


def _wordlike(token: Token) -> bool:
    return any(c.isalnum() for c in token.text)


def _by_finders(layout: Layout, rule: FieldRule) -> Extracted | None:
    for finder in rule.finders:
        got = FINDERS[finder["kind"]](layout, finder)
        if got is None:
            continue
        raw, tokens, doubt = Found(*got)
        value = normalise(rule.kind, raw, {**rule.options, **finder.get("options", {})})
        if value is not None and (rule.pattern is None or re.fullmatch(rule.pattern, str(value))):
            conf = min((t.conf for t in tokens), default=0.0)
            return Extracted(value, raw, conf, list(tokens), doubt)
    return None
