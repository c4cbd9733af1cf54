"""Reading order of a page's words: rows from top to bottom, except that a run of rows cut
by one common gutter (the marriage certificate's husband and wife columns, the
administrative header's agency and national motto) is read column by column, the way a
person reads it, instead of line by line across both columns.

Rows are rebuilt from the word boxes (two OCR lines side by side at the same height are one
row), so the order does not depend on how the OCR engine happened to cut its blocks.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from pipeline.core.model import Word

GUTTER = 2.0  # × median word height: a gap at least this wide may separate two columns
MIN_SPLIT_ROWS = 2  # rows with words on both sides of a gutter that make it a column break


@dataclass
class _Row:
    words: list[Word]

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def middle(self) -> float:
        return median(w.top + w.height / 2 for w in self.words)


def reading_lines(words: Sequence[Word]) -> list[list[Word]]:
    """The page's words as lines of text in reading order (each line left to right)."""
    if not words:
        return []
    height = median(w.height for w in words)
    rows = _rows(words, height)
    lines: list[list[Word]] = []
    i = 0
    while i < len(rows):
        end, gutter = _column_run(rows, i, GUTTER * height)
        if gutter is None:
            lines.append(rows[i].words)
            i += 1
            continue
        run = rows[i:end]
        lines += [left for row in run if (left := [w for w in row.words if _right(w) <= gutter])]
        lines += [right for row in run if (right := [w for w in row.words if w.left >= gutter])]
        i = end
    return lines


def reading_text(words: Sequence[Word]) -> str:
    return "\n".join(" ".join(w.text for w in line) for line in reading_lines(words))


def _rows(words: Sequence[Word], height: float) -> list[_Row]:
    """Words grouped into rows by their OCR line, lines at the same height merged."""
    by_line: dict[int, list[Word]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    lines = sorted((_Row(ws) for ws in by_line.values()), key=lambda r: r.middle)
    rows: list[_Row] = []
    for line in lines:
        if rows and abs(line.middle - rows[-1].middle) < height / 2:
            rows[-1].words += line.words
        else:
            rows.append(line)
    for row in rows:
        row.words.sort(key=lambda w: w.left)
    return rows


def _right(word: Word) -> int:
    return word.left + word.width


def _gaps(row: _Row, min_gap: float) -> list[tuple[int, int]]:
    return [(_right(a), b.left) for a, b in zip(row.words, row.words[1:])
            if b.left - _right(a) >= min_gap]


def _column_run(rows: list[_Row], start: int, min_gap: float) -> tuple[int, float | None]:
    """(end of the longest run of rows from `start` that one gutter cuts, the gutter's x),
    or (start, None) when no gutter cuts at least MIN_SPLIT_ROWS rows with words on both
    sides. Among equally long runs, the rightmost gutter (label | husband | wife: the
    husband's column keeps its labels)."""
    best: tuple[int, float, float] | None = None  # (end, x0, gutter)
    for x0, x1 in _gaps(rows[start], min_gap):
        lo, hi, split, end = x0, x1, 0, start
        for at, row in enumerate(rows[start:], start):
            if any(w.left < hi and _right(w) > lo for w in row.words):
                break  # a word runs across the gutter: the columns end here
            left = [w for w in row.words if _right(w) <= lo]
            right = [w for w in row.words if w.left >= hi]
            if left and right and left[-1].text.endswith(":"):
                break  # "label:   value" across a tab stop is one line, not two columns
            if left and right:
                split += 1
                lo, hi = max(lo, max(map(_right, left))), min(hi, min(w.left for w in right))
                end = at + 1  # one-sided rows after the last split row are not the columns'

        if split >= MIN_SPLIT_ROWS and (best is None or (end, x0) > best[:2]):
            best = (end, x0, (lo + hi) / 2)
    return (best[0], best[2]) if best else (start, None)
