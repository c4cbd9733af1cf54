"""Numbers written by hand into a form's blanks that Tesseract left out altogether.

A clerk's ballpoint "34" after "Số:", or a day after "ngày", is often no word at all to
Tesseract: the row reads "Số: Quyển số: 01/2021". `recheck_digits` (pipeline.scan.ocr) can
mend only words Tesseract gave. Here the ink itself is looked for in the blank after each
word (the gap before the next word of its row) and read by the other engine
(pipeline.tools.ppocr). Only a clean number read surely is kept, and flagged for a person:
a blank is where a form's number goes, but a signature's or a stain's strokes can sit
there too.
"""
from __future__ import annotations

import re

import cv2
import numpy as np

from pipeline.core.model import Word
from pipeline.scan.prepare import OcrImage, components
from pipeline.tools import ppocr

BLANK_WORDS = 6  # × the word's height: how far after a word its blank is looked in
MIN_BLANK = 0.8  # × height: closer words leave no blank between them
WRITTEN_INK = 200  # grey level: darker is ink (print, and a pale ballpoint's stroke)
# a written digit's height, × the printed word's (a clerk writes larger than the print)
MIN_DIGIT, MAX_DIGIT = 0.55, 2.5
MAX_BLANKS = 12  # read per page at most, the first in reading order: a page holds few
READ_SCORE = 0.75  # the other engine's score (0-1) for its reading to be kept
WRITTEN_CONF = 30.0  # a number only the second engine read: a person checks it
_NUMBER = re.compile(r"\d+(?:/\d+)?")


def read_blanks(image: OcrImage, words: list[Word]) -> list[Word]:
    """`words` and a word for each number written, unread, in the blank after a word."""
    grey = image.grey
    covered = np.zeros(grey.shape, bool)
    for w in words:
        covered[max(0, w.top - 1):w.top + w.height + 1, max(0, w.left - 1):w.left + w.width + 1] = True
    blanks = []
    for word, right in _blanks(words, grey.shape[1]):
        box = _written_ink(grey, covered, word, right)
        if box is not None:
            blanks.append((word, box))
        if len(blanks) == MAX_BLANKS:
            break
    if not blanks:
        return words
    readings = ppocr.read_words([_cut(grey, box) for _, box in blanks])
    found = [Word(text, x0, y0, x1 - x0, y1 - y0, WRITTEN_CONF, word.line)
             for (word, (x0, y0, x1, y1)), (text, score) in zip(blanks, readings)
             if score >= READ_SCORE and _NUMBER.fullmatch(text)]
    return words + found


def _blanks(words: list[Word], page_width: int) -> list[tuple[Word, int]]:
    """(word, right edge of the blank after it) for each word of letters followed by a
    blank: the next word of its OCR line is far, or there is none."""
    by_line: dict[int, list[Word]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w)
    out = []
    for line in sorted(by_line.values(), key=lambda ws: min(w.top for w in ws)):
        line.sort(key=lambda w: w.left)
        for w, after in zip(line, line[1:] + [None]):
            if sum(c.isalpha() for c in w.text) < 2:
                continue
            end = w.left + w.width
            right = min(end + BLANK_WORDS * w.height, page_width if after is None else after.left)
            if right - end >= MIN_BLANK * w.height:
                out.append((w, right))
    return out


def _written_ink(grey: np.ndarray, covered: np.ndarray, word: Word,
                 right: int) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of digit-sized ink no word covers in the blank after
    `word`, or None."""
    h = word.height
    x0, x1 = word.left + word.width + 1, right
    y0, y1 = max(0, word.top - h // 2), min(grey.shape[0], word.top + h + h // 3)
    ink = (grey[y0:y1, x0:x1] < WRITTEN_INK) & ~covered[y0:y1, x0:x1]
    if ink.sum() < h:  # not a stroke's worth
        return None
    # a pale ballpoint's digit falls apart into specks at any one grey level: joined up
    reach = max(3, h // 4)
    joined = cv2.dilate(ink.view(np.uint8) * 255, np.ones((reach, reach), np.uint8))
    _, _, stats, _ = components(joined)
    tall = [s for s in stats[1:] if MIN_DIGIT * h <= s[cv2.CC_STAT_HEIGHT] - reach + 1 <= MAX_DIGIT * h]
    if not tall:
        return None
    return (x0 + int(min(s[0] for s in tall)), y0 + int(min(s[1] for s in tall)),
            x0 + int(max(s[0] + s[2] for s in tall)), y0 + int(max(s[1] + s[3] for s in tall)))


def _cut(grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    pad = max(3, (y1 - y0) // 4)
    return grey[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
