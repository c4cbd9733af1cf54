"""Stage 3, OCR: Tesseract (pipeline.tools.tesseract: in process, one engine per thread).

Tesseract reads the cleaned copy `pipeline.scan.prepare.prepare` makes. Then (`read`) lines of
ink no confident word covers get a second look: cut out, enlarged when small, and read
again as plain text lines in one more Tesseract call (small print on ID cards, a name under
a seal, a title merged with the line below it). A page that reads badly is read turned
over too (`read_upright`). Every word holding digits is read twice (`recheck_digits`).

Only orientation detection (OSD) still runs the `tesseract` program, on a PGM file, which
costs nothing to encode, unlike PNG.
"""
from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.errors import OcrError
from pipeline.core.model import OcrOptions, Word
from pipeline.core.reading import reading_text
from pipeline.scan import blanks
from pipeline.scan.prepare import LEADER_INK, OcrImage, components, letter_boxes
from pipeline.tools import ppocr, tesseract

log = logging.getLogger(__name__)


@dataclass
class OcrResult:
    words: list[Word]
    text: str
    confidence: float  # mean word confidence, 0-100


# --- Tesseract ---------------------------------------------------------------------------

@contextmanager
def _as_pgm(grey: np.ndarray) -> Iterator[str]:
    """The page as a temporary PGM file: free to encode, unlike pytesseract's PNG."""
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        path = Path(tmp) / "page.pgm"
        cv2.imwrite(str(path), grey)
        yield str(path)


def _tesseract(grey: np.ndarray, dpi: float, options: OcrOptions, psm: int) -> dict:
    return tesseract.image_to_data(grey, options, psm=psm, dpi=dpi)


def read(image: OcrImage, options: OcrOptions) -> OcrResult:
    """Read a prepared page: Tesseract, then a second look at ink lines no confident word
    covers; word boxes in pixels of the corrected page."""
    words = _words(_tesseract(image.grey, image.dpi, options, options.psm))
    for look_again in (second_look, recheck_digits):
        try:
            words = look_again(image, options, words)
        except OcrError as exc:  # a second reading only adds: the page keeps its first one
            if exc.code != "ocr_timeout":
                raise
            log.warning("%s skipped: %s", look_again.__name__, exc.detail)
    words = blanks.read_blanks(image, words)
    words = doubt_numbers_cut_short(words)
    if (image.scale_x, image.scale_y) != (1.0, 1.0):
        sx, sy = image.scale_x, image.scale_y
        words = [replace(w, left=round(w.left / sx), top=round(w.top / sy),
                         width=max(1, round(w.width / sx)), height=max(1, round(w.height / sy)))
                 for w in words]
    return _result(words)


# An upright page reads at 85-95 mean word confidence, even a stained one; upside down, the
# same page reads near 40. Below this, the page is read turned over too.
DOUBTFUL_CONFIDENCE = 65.0


def read_upright(image: OcrImage, options: OcrOptions) -> tuple[OcrResult, bool]:
    """Read the page and, if it reads badly, read it turned over too; keep the better
    reading. Returns (result, turned_over). The text-shape test of orient can be fooled by
    stains and seals; Tesseract's confidence in real words hardly can."""
    first = read(image, options)
    if first.confidence >= DOUBTFUL_CONFIDENCE:
        return first, False
    second = read(image.upside_down(), options)
    return (second, True) if second.confidence > first.confidence + 10 else (first, False)


# --- which way up: OCR's evidence against orient's ---------------------------------------

# Tesseract (page segmentation 3) reads text lines running down the page, as on a page
# turned a quarter clockwise, as surely as level ones: a form turned so read at 94.5 mean
# confidence, upright at 94.5 (turned the other way: 37). Only its word boxes show it: a
# word of 4+ letters read down the page is 1.9-2.8x taller than wide; read level, at most
# about as tall as wide (small print's boxes hold the line's accents and descenders: a
# 12-pt "tiếp" at 97 dpi is 25 × 23 px, so 3-letter words do not tell).
SIDEWAYS_ASPECT = 1.3  # a word this many times taller than wide runs down the page
SIDEWAYS_SHARE = 0.6  # of the sure words of 4+ letters
SIDEWAYS_MIN_WORDS = 3


def runs_down(words: list[Word]) -> bool:
    """Whether Tesseract read the lines running down the page (the page is sideways)."""
    long = [w for w in words if w.conf >= ACCEPT_CONF and sum(c.isalnum() for c in w.text) >= 4]
    tall = sum(w.height > SIDEWAYS_ASPECT * w.width for w in long)
    return tall >= SIDEWAYS_MIN_WORDS and tall >= SIDEWAYS_SHARE * len(long)


def other_turn(read: OcrResult, rotation: int) -> int | None:
    """The turn worth one more reading when OCR contradicts `rotation` (orient's turn, read
    as `read`), or None: OCR confirms it, as on every page read surely and level (no pass is
    added there). A background pattern of lines (guilloche, stripes) can make the ink's
    sharpest direction the pattern's instead of the text's; then either Tesseract reads the
    text running down the page (the page is a quarter turn clockwise further), or the
    turned page reads badly and the page as given is the better bet."""
    if runs_down(read.words):
        return (rotation + 90) % 360
    if rotation in (90, 270) and read.confidence < DOUBTFUL_CONFIDENCE:
        return 0
    return None


def reads_better(new: OcrResult, old: OcrResult) -> bool:
    """Whether `new` (the page read at another turn) is clearly the page's right reading:
    sure, level, about as many words, and more confident unless `old` ran sideways."""
    if new.confidence < DOUBTFUL_CONFIDENCE or runs_down(new.words) \
            or len(new.words) < 0.5 * len(old.words):
        return False
    return runs_down(old.words) or new.confidence > old.confidence + 10


def _words(data: dict) -> list[Word]:
    words: list[Word] = []
    line_keys: dict[tuple[int, int, int], int] = {}
    for i, raw in enumerate(data["text"]):
        text = unicodedata.normalize("NFC", (raw or "").strip())
        conf = float(data["conf"][i])
        if data["level"][i] != 5 or not text or conf < 0:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        line = line_keys.setdefault(key, len(line_keys))
        words.append(Word(text, int(data["left"][i]), int(data["top"][i]),
                          int(data["width"][i]), int(data["height"][i]), conf, line))
    return words


def _result(words: list[Word]) -> OcrResult:
    text = reading_text(words)  # two-column blocks column by column
    confidence = round(sum(w.conf for w in words) / len(words), 1) if words else 0.0
    return OcrResult(words, text, confidence)


# --- second look -----------------------------------------------------------------------

COVER_CONF = 40  # a word read at least this surely covers its ink
ACCEPT_CONF = 50  # a word from the second look must be at least this sure
SURE_CONF = 80  # words this sure show how dark the page's print is
GLYPH_PX = 30  # second-look lines are enlarged until their letters are about this tall
STRIP_MARGIN = 20  # white around each cut-out line in the second-look strip, px


@dataclass
class _Region:
    x0: int
    y0: int
    x1: int
    y1: int
    glyph: int  # median letter height, px
    run_on: tuple[int, int] = (0, 0)  # px added left and right for ink beside its letters


def second_look(image: OcrImage, options: OcrOptions, words: list[Word]) -> list[Word]:
    """Read again, as plain text lines, the lines of letter-sized ink no confident word
    covers; a line read better than before replaces the unsure words it overlaps."""
    grey = image.grey
    letters = image.letters
    if letters is None:
        _, ink = cv2.threshold(grey, LEADER_INK, 255, cv2.THRESH_BINARY_INV)
        letters = letter_boxes(components(ink)[2], image.dpi)
    covering = [w for w in words if _covers(w)]
    regions = inked(grey, unread_lines(letters, covering, grey.shape), words)
    if not regions:
        return words
    regions = _run_on(grey, regions, covering)
    strip, placed = _stack(grey, regions)
    found = _words(_tesseract(strip, 300, options, psm=6))
    by_region: dict[int, list[Word]] = {}
    for word in found:
        if word.conf < ACCEPT_CONF or not any(c.isalnum() for c in word.text):
            continue
        middle = word.top + word.height / 2
        for i, (top, bottom, x0, y0, scale) in enumerate(placed):
            if top <= middle < bottom:
                by_region.setdefault(i, []).append(replace(
                    word, left=x0 + round((word.left - STRIP_MARGIN) / scale),
                    top=y0 + round((word.top - top - STRIP_MARGIN) / scale),
                    width=max(1, round(word.width / scale)), height=max(1, round(word.height / scale))))
                break
    by_region = {i: [w for w in new if not any(_holds(c, w) for c in covering)]  # read already
                 for i, new in by_region.items()}
    every_new = [w for new in by_region.values() for w in new]  # a word's reading may span two lines' cuts
    for i, new in by_region.items():
        if not new:
            continue
        r = regions[i]
        old = [w for w in words if not _covers(w) and _overlaps(w, r)]
        # a number read shorter is left to recheck_digits' other engine, better at numbers:
        # a plain-text reading made "Số⁄185" "185" and "10.1961" "101%"
        shorter = [o for o in old if any(c.isdigit() for c in o.text)
                   and _alnum([n for n in every_new if _beside(n, o)]) < _alnum([o])]
        new = [n for n in new if not any(_beside(n, o) for o in shorter)]
        old = [o for o in old if not any(o is x for x in shorter)]
        if not new:
            continue
        if old and np.mean([w.conf for w in new]) <= np.mean([w.conf for w in old]):
            continue
        # an unsure word the new reading has nothing over stays: "Số" of "Số 185" where
        # only "185" was read again
        replaced = [o for o in old if any(_beside(o, n) for n in new) or not _worded(o)]
        words = [w for w in words if not any(w is o for o in replaced)]
        words = _insert_line(words, new)
    return words


WIDEN_GAP = 1.0  # letter heights of blank paper that end a line's unread ink
WIDEN_MAX = 8  # letter heights a line is run on by, at most, each way
DARK_PRINT = 150  # grey: print, not a painted-out seal's pale remnant
PAPER_GREY = 200  # paler than this is paper in a second-look line


def _run_on(grey: np.ndarray, regions: list[_Region], covering: list[Word]) -> list[_Region]:
    """Each line run on sideways through dark ink no word covers. A first word touched by a
    seal's ring ("Nguyễn" of "Nguyễn Đức Tuấn") joins the ring's remnant into one blob, no
    letter, so the line's letters start after it."""
    free = (grey < DARK_PRINT) & ~_covered(grey.shape, covering)
    widened = []
    for r in regions:
        inked = free[r.y0:r.y1 + 1].any(axis=0)
        gap, most = max(2, round(WIDEN_GAP * r.glyph)), WIDEN_MAX * r.glyph
        x0 = r.x0
        while x0 > max(0, r.x0 - most) and (ink := np.flatnonzero(inked[max(0, x0 - gap):x0])).size:
            x0 = max(0, x0 - gap) + int(ink[0])
        x1 = r.x1
        while x1 < min(len(inked) - 1, r.x1 + most) and (ink := np.flatnonzero(inked[x1 + 1:x1 + 1 + gap])).size:
            x1 = x1 + 1 + int(ink[-1])
        x0, x1 = max(x0, r.x0 - most), min(x1, r.x1 + most)
        widened.append(replace(r, x0=x0, x1=x1, run_on=(r.x0 - x0, x1 - r.x1)))
    return widened


def _covered(shape: tuple[int, ...], words: list[Word]) -> np.ndarray:
    """The page's pixels in (or within 2 px of) the words' boxes."""
    covered = np.zeros(shape[:2], bool)
    for word in words:
        covered[max(0, word.top - 2):word.top + word.height + 2,
                max(0, word.left - 2):word.left + word.width + 2] = True
    return covered


def _beside(a: Word, b: Word) -> bool:
    """Whether two words of one line share any of their width."""
    return a.left < b.left + b.width and b.left < a.left + a.width


def _alnum(words: list[Word]) -> int:
    return sum(c.isalnum() for w in words for c in w.text)


def _worded(word: Word) -> bool:
    return any(c.isalnum() for c in word.text)


def _covers(word: Word) -> bool:
    """Whether a word's reading accounts for its ink: read surely enough, and as a letter
    or digit at least ("+" of a bold "TRƯỜNG" at 46 is a reading of nothing)."""
    return word.conf >= COVER_CONF and _worded(word)


# --- digits read twice --------------------------------------------------------------------

DISAGREED_CONF = 30.0  # a word whose digits two readings disagree on: a person must look


def recheck_digits(image: OcrImage, options: OcrOptions, words: list[Word]) -> list[Word]:
    """Read every word holding digits (numbers, dates, personal IDs) a second time: the sure
    ones cut out and enlarged, all in one strip and one Tesseract call; the unsure ones,
    unsure words of signs where a number should be, and whole dates and personal IDs (one
    wrong digit in them nothing else on the page can catch, and Tesseract read twice makes
    the same slip: "29/12/1972" for 25 at 92, twice) by another engine (pipeline.tools.ppocr).
    Tesseract's confidence says little about a single wrong digit (a 3 read as 8 at 90);
    two readings that disagree do: such a word's confidence drops to DISAGREED_CONF. A
    number written by hand that Tesseract garbled ("/93", "?", "]1lạ") or read short ("32"
    of "325") takes the other engine's clean reading, and a person still checks it."""
    numbers = [w for w in words if _may_hold_number(w)]
    if not numbers:
        return words
    def to_other_engine(w: Word) -> bool:
        return w.conf < OTHER_ENGINE_CONF or _signs_after_label(w) or bool(_WHOLE_DATE_OR_ID.fullmatch(w.text))

    unsure = [w for w in numbers if to_other_engine(w)]
    sure = [w for w in numbers if not to_other_engine(w)]
    again = _read_in_strip(image, options, sure)
    other = dict(zip(map(id, unsure), ppocr.read_words([_cut_out(image.grey, w) for w in unsure])))
    # Only two readings of as many digits that differ count ("80" and "30"). A cut-out read
    # alone loses the line's context, so its letter-like digits (l for 1, O for 0) are taken
    # as digits, and a reading with other digits' count is its own segmentation failing.
    doubtful: set[int] = set()
    agreed: set[int] = set()
    reread: dict[int, tuple[str, str]] = {}
    for w in sure + unsure:
        label, number = _after_label(w.text)
        first = _digits(number)
        if id(w) in other:
            text, score = other[id(w)]
            their_label, second = _after_label(text)
            if _takes_second(number, second, w.conf, score, after_label=bool(label)):
                # "ngàyl?" read "ngay 18": the label ends where the other engine's does
                cut = their_label and not label.endswith(":")
                reread[id(w)] = (label[:len(their_label)] if cut else label, second)
                continue
            if _agree(number, second, w.conf, score):
                agreed.add(id(w))
                continue
        else:
            second = again.get(id(w), "")
            if _MALFORMED_NUMBER.fullmatch(w.text) and second.isdigit() and len(second) >= len(first):
                reread[id(w)] = ("", second)  # the cut-out read alone, all digits, is the better one
                continue
        digits = _digits(second.translate(_DIGIT_LIKE))
        if digits and len(digits) == len(first) and digits != first:
            doubtful.add(id(w))
    out = []
    for w in words:
        if id(w) in reread:
            out.extend(_label_and_number(w, *reread[id(w)]))
        elif id(w) in agreed:
            out.append(replace(w, conf=max(w.conf, AGREED_CONF)))
        else:
            out.append(replace(w, conf=min(w.conf, DISAGREED_CONF)) if id(w) in doubtful else w)
    return out


def _agree(number: str, second: str, conf: float, score: float) -> bool:
    """Whether two engines read one clean number alike, each surely enough to count:
    Tesseract not at a guess, the other engine near certain. Two models that fail in
    different ways rarely fail into the same digits."""
    number = number.rstrip(".,;")
    return (conf >= AGREEING_CONF and score >= CERTAIN_SCORE and second == number
            and bool(_CLEAN_NUMBER.fullmatch(number)) and sum(c.isdigit() for c in number) >= 2)


def _label_and_number(word: Word, label: str, number: str) -> list[Word]:
    """The word re-read as `number`, flagged (a person checks it); a label it was run into
    ("Số:", "ngày") comes apart as a word of its own, the box shared out by characters."""
    if not label:
        return [replace(word, text=number, conf=min(word.conf, DISAGREED_CONF))]
    split = word.left + round(word.width * len(label) / (len(label) + len(number)))
    return [replace(word, text=label, width=max(1, split - word.left)),
            replace(word, text=number, left=split, width=max(1, word.left + word.width - split),
                    conf=min(word.conf, DISAGREED_CONF))]


def _read_in_strip(image: OcrImage, options: OcrOptions, targets: list[Word]) -> dict[int, str]:
    """id(word) -> Tesseract's reading of each word cut out, enlarged, in one strip."""
    if not targets:
        return {}
    regions = [_Region(w.left, w.top, w.left + w.width, w.top + w.height,
                       max(1, round(w.height * RECHECK_GLYPH))) for w in targets]
    strip, placed = _stack(image.grey, regions)
    again: dict[int, str] = {}
    for word in _words(_tesseract(strip, 300, options, psm=6)):
        middle = word.top + word.height / 2
        band = next((i for i, (top, bottom, *_) in enumerate(placed) if top <= middle < bottom),
                    None)
        if band is not None:
            key = id(targets[band])
            again[key] = again.get(key, "") + word.text
    return again


RECHECK_GLYPH = 0.6  # × word height: the glyph size told to _stack, so words are enlarged
OTHER_ENGINE_CONF = 90  # words read less surely than this are read by the other engine too
BROKEN_CONF = 60  # below this a short word of signs, or of digits and signs, is a garbled number
# the second engine's score (0-1) for its reading to replace a garbled one, and one that
# looks right but lacks digits or the slash
GARBLED_SCORE, SURE_SCORE = 0.7, 0.85
CERTAIN_SCORE = 0.97  # where it reads a clean number this surely, Tesseract's unsure one gives way
# A number Tesseract read from AGREEING_CONF up and the other engine read the same, near
# certain, is read surely: its confidence rises to AGREED_CONF (understand's floor).
AGREEING_CONF, AGREED_CONF = 60.0, 90.0
_GARBLE = re.compile(r"[?#%*⁄®©@$&§ˆ\]\[|)!”]")
_CLEAN_NUMBER = re.compile(r"\d+(?:/\d+){0,2}")  # 195, 224/2021, 18/07/2018
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_LETTERS_OF_A_CODE = re.compile(r"[A-Z]{2,4}")  # a land book's "CS", "CH" before its digits


def _may_hold_number(word: Word) -> bool:
    """A word with digits; or, read unsurely, a word of signs, or a label whose number
    written after it was read as signs ("ngàyl?", "Số:ể'", "tháng.") or swallowed into the
    label's box ("Số:" 3 letters' width over "Số: 68")."""
    if any(c.isdigit() for c in word.text):
        return True
    if _signs_after_label(word):
        return True
    if word.conf >= OTHER_ENGINE_CONF:
        return False
    if (word.conf < BROKEN_CONF and _GARBLE.search(word.text)) or _code_in_signs(word.text):
        return True
    label, rest = _after_label(word.text)
    if not label:
        return False
    if not rest:
        return word.width > SWALLOWED_WIDTH * word.height * len(word.text)
    if set(rest) <= set(".,;)"):  # "tháng." ends a sentence too: only when read unsurely
        return word.conf < BROKEN_CONF
    return not _A_WORD.search(rest)  # signs, and at most a letter between them


def _signs_after_label(word: Word) -> bool:
    """A label and a sign no printed word ends in ("tháng?", "ngàyl?"): the number written
    after it, however surely Tesseract read the sign."""
    label, rest = _after_label(word.text)
    return bool(label) and bool(_NO_PRINTED_END.fullmatch(rest))


# A printed word's box is about half its height wide per character ("Số:" 50 x 31 px);
# one that also holds a number written after it, nearer a height ("Số:" 93 x 32 over "538")
SWALLOWED_WIDTH = 0.75
_A_WORD = re.compile(r"[^\W\d_]{2}")
_NO_PRINTED_END = re.compile(r"[^\W\d_]?[?#%*⁄][^\W\d_]?")  # "tháng?", "ngàyl?" after a label


def _after_label(text: str) -> tuple[str, str]:
    """("Số:", "195") of "Số:195", ("ngày", "24") of "ngày24": a number run into the word
    before it (a label, or a date's "ngày", "tháng"); else ("", text)."""
    label, colon, rest = text.rpartition(":")
    if colon and any(c.isalpha() for c in label):  # "S6:195": the other engine's "Số:"
        return label + colon, rest.strip()
    joined = _RUN_IN.fullmatch(text)
    return (joined.group(1), joined.group(2)) if joined else ("", text)


_RUN_IN = re.compile(r"([^\W\d_]{2,})\s*([^\w\s:].*|\d.*)")


def _takes_second(number: str, second: str, conf: float, score: float, *,
                  after_label: bool = False) -> bool:
    """Whether the other engine's reading `second` of a number is the better one: a clean
    number where Tesseract's is garbled (or a code's capitals where it read only signs),
    or is no number though a label says one follows ("ngàyl?", "Số:" over "68"), or lacks
    digits the other saw ("32" of a handwritten "325"), or differs only where Tesseract
    read signs or letters, or a digit where the other saw the slash; or the other engine
    is all but certain ("1521" for Tesseract's unsure "732;")."""
    if _code_in_signs(number):
        return score >= SURE_SCORE and bool(_LETTERS_OF_A_CODE.fullmatch(second))
    if _is_date(second) and not _is_date(number):  # "/9/07/2018", "22/71/2016"
        return score >= SURE_SCORE
    if _is_date(number.rstrip(".,;")) and not _is_date(second):  # nor a date for none
        return False
    garbled = _broken(number, conf) or (
        after_label and not _CLEAN_NUMBER.fullmatch(number.rstrip(".,;")))
    if garbled:
        if score < GARBLED_SCORE:
            return False
        if _CLEAN_NUMBER.fullmatch(second):
            return len(second) >= len(_digits(number))
        return not _digits(number) and bool(_LETTERS_OF_A_CODE.fullmatch(second))  # "©$": CS
    if score < SURE_SCORE or not _CLEAN_NUMBER.fullmatch(second) or second == number.rstrip(".,;"):
        return False  # the other engine leaves out a number's trailing comma ("Làng 11,")
    if score >= CERTAIN_SCORE and len(second) >= len(number.rstrip(".,;")):
        return True
    if len(second) == len(number):  # where they differ, Tesseract read a sign or letter, or
        # the other saw the slash ("379/3" for "37913", "7Z2g8" for "77268")
        return all(a == b or not a.isdigit() or b == "/" for a, b in zip(number, second))
    return len(number) < len(second) and _within(number, second)


def _is_date(text: str) -> bool:
    found = _DATE.fullmatch(text)
    if not found:
        return False
    day, month, year = map(int, found.groups())
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _code_in_signs(text: str) -> bool:
    """A land book's "CH", "CS" read as a capital and signs ("C/", "C$", "©$"); not an
    abbreviation's dot ("KT.")."""
    return len(text) <= 4 and bool(_CODE_SIGNS.search(text)) and any(c.isupper() or c in "©€" for c in text) \
        and not any(c.isdigit() or c.islower() for c in text)


_CODE_SIGNS = re.compile(r"[/$©#%&@§|\\€]")


def _within(short: str, long: str) -> bool:
    """Whether `short` is `long` with some characters left out."""
    rest = iter(long)
    return all(c in rest for c in short)


def _broken(number: str, conf: float) -> bool:
    """A reading of a handwritten number Tesseract garbled: signs among digits where no
    number, date or symbol prints them ("/11", "10?", "1⁄49"), or, read unsurely, a short
    word of signs, or of digits with signs or a stray letter ("?", "]1lạ", "x13")."""
    if _MALFORMED_NUMBER.fullmatch(number):
        return True
    return conf < BROKEN_CONF and 0 < len(number) <= 5 and bool(
        _GARBLE.search(number) or (any(c.isdigit() for c in number) and not number.isdigit()))


def _cut_out(grey: np.ndarray, word: Word) -> np.ndarray:
    pad = max(2, word.height // 4)
    return grey[max(0, word.top - pad):word.top + word.height + pad,
                max(0, word.left - pad):word.left + word.width + pad]


_WHOLE_DATE_OR_ID = re.compile(r"\d{1,2}/\d{1,2}/\d{4}[.,;]?|\d{9,12}[.,;]?")
# digits with signs no number, date or symbol prints where they are: a leading slash, or
# ? # % * ⁄ among the digits
_MALFORMED_NUMBER = re.compile(r"/\d+|\d*[?#%*⁄]\d*[?#%*⁄\d]*|\d+[?#%*⁄]")


_DIGIT_LIKE = str.maketrans("lI|!oOQDSsZzBGg", "111100000552866")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


UNREAD_SHARE = 0.5  # a line gets a second look when at least this share of its blobs is unread


def unread_lines(letters: np.ndarray, covering: list[Word], shape: tuple[int, int]) -> list[_Region]:
    """Text lines (from letter blobs, boxes x0, y0, x1, y1) mostly not held by any
    `covering` word."""
    if len(letters) < 3:
        return []
    letters = _without_dots(letters)
    covered = _covered(shape, covering)
    cx = np.clip((letters[:, 0] + letters[:, 2]) // 2, 0, shape[1] - 1)
    cy = np.clip((letters[:, 1] + letters[:, 3]) // 2, 0, shape[0] - 1)
    free = ~covered[cy, cx]
    if free.sum() < 2:
        return []
    glyph = float(np.median(letters[:, 3] - letters[:, 1]))
    # letters of one line merge when smeared sideways by about a letter's height, lines do
    # not; on a quarter-size canvas
    canvas = np.zeros((shape[0] // 4 + 1, shape[1] // 4 + 1), np.uint8)
    for x0, y0, x1, y1 in letters // 4:
        canvas[y0:y1 + 1, x0:x1 + 1] = 255
    smear = cv2.getStructuringElement(cv2.MORPH_RECT, (max(2, round(glyph * 1.2 / 4)), 1))
    canvas = cv2.dilate(canvas, smear)
    _, labels, _, _ = components(canvas)
    line_of = labels[cy // 4, cx // 4]
    regions = []
    for j in np.unique(line_of[free]):
        in_line = line_of == j
        members, unread = letters[in_line], free[in_line]
        if unread.sum() < UNREAD_SHARE * len(members):  # mostly read: only a missed end
            members = _unread_end(members, unread)
        if len(members) < 2:  # blurred words: a blob each
            continue
        x0, y0 = members[:, :2].min(axis=0)
        x1, y1 = members[:, 2:].max(axis=0)
        glyph_j = int(np.median(members[:, 3] - members[:, 1]))
        few = len(members) < 3 and x1 - x0 < 4 * glyph_j  # two specks, not two blurred words
        if y1 - y0 <= 3.5 * glyph_j and x1 - x0 >= 2 * (y1 - y0) and not few:
            regions.append(_Region(int(x0), int(y0), int(x1), int(y1), glyph_j))
    return regions


PALE_SHARE = 0.5  # of the way from the page's print to white paper: paler is no print
UNKNOWN_INK = 100  # the print's darkness on a page with no sure word to measure it on
MAX_SECOND_LOOK_LINES = 80  # more than a page holds: the rest is pattern, darkest kept


def inked(grey: np.ndarray, regions: list[_Region], words: list[Word]) -> list[_Region]:
    """The unread lines printed in ink. A background pattern (guilloche, a tint's texture)
    leaves letter-sized marks by the hundred, much paler than the page's print: a pink
    birth certificate gave 406 such "lines", a 46,820-px strip Tesseract did not finish
    in 300 s. Darkness is the 5th percentile of the grey, measured on the sure words."""
    def darkness(x0: int, y0: int, x1: int, y1: int) -> float:
        return float(np.percentile(grey[y0:y1 + 1, x0:x1 + 1], 5))

    if not regions:  # most clean pages: the sure words need not be measured
        return regions
    sure = [darkness(w.left, w.top, w.left + w.width - 1, w.top + w.height - 1)
            for w in words if w.conf >= SURE_CONF and w.width > 2 and w.height > 2]
    ink = float(np.median(sure)) if sure else UNKNOWN_INK
    pale = ink + PALE_SHARE * (255 - ink)
    dark = sorted((d, i) for i, r in enumerate(regions)
                  if (d := darkness(r.x0, r.y0, r.x1, r.y1)) < pale)
    return [regions[i] for i in sorted(i for _, i in dark[:MAX_SECOND_LOOK_LINES])]


def _unread_end(members: np.ndarray, unread: np.ndarray) -> np.ndarray:
    """The unread blobs opening or closing a line that is otherwise read: a first word under
    a seal's edge ("Nguyễn" of "Nguyễn Thế Khoa"), a last word under a signature."""
    order = np.argsort(members[:, 0])
    members, unread = members[order], unread[order]
    lead = int(np.argmin(unread)) if not unread.all() else len(unread)
    tail = int(np.argmin(unread[::-1])) if not unread.all() else len(unread)
    if max(lead, tail) < 2:
        return members[:0]
    return members[:lead] if lead >= tail else members[len(members) - tail:]


# Width of a box of printed digits per digit, in box heights: 0.71 median, 0.83 at the 99th
# percentile, 0.92 at most (495 numbers read at 90+ on tuning batches). Wider, the box holds
# more than was read: a handwritten "22" read "2" at 94.
DIGIT_WIDTH = 0.95
CUT_SHORT_CONF = 50.0  # what a number wider than its digits is worth: a person checks it


def doubt_numbers_cut_short(words: list[Word]) -> list[Word]:
    """Numbers whose box is too wide for the digits read lose their confidence: Tesseract is
    sure of the digits it read, not of those it ran together."""
    return [replace(w, conf=min(w.conf, CUT_SHORT_CONF))
            if w.text.isdigit() and w.width > DIGIT_WIDTH * w.height * len(w.text) else w
            for w in words]


DOT_SHARE = 0.45  # a blob this small beside the page's letters (both sides) is a dot


def _without_dots(letters: np.ndarray) -> np.ndarray:
    """Letter-sized blobs less the dots of spaced leaders (". . . ."), which a blurred photo
    swells to letter size: counted in, they made a label's line look a few pixels tall."""
    w, h = letters[:, 2] - letters[:, 0], letters[:, 3] - letters[:, 1]
    glyph = float(np.percentile(h, 75))  # a line of leaders can outnumber its letters
    return letters[(w > DOT_SHARE * glyph) | (h > DOT_SHARE * glyph)]


def _stack(grey: np.ndarray, regions: list[_Region]) -> tuple[np.ndarray, list[tuple]]:
    """The regions cut out (small print enlarged), one under the other on white; and for
    each, (top, bottom) of its band in the strip, the page (x, y) of its cut-out's corner
    and its scale."""
    rows, placed, top = [], [], 0
    cuts = []
    for r in regions:
        pad = max(4, r.glyph // 2)
        x0, y0 = max(0, r.x0 - pad), max(0, r.y0 - pad)
        crop = grey[y0:r.y1 + pad, x0:r.x1 + pad]
        scale = max(1.0, GLYPH_PX / max(1, r.glyph))
        if scale > 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        cuts.append((_paper_beside(crop, r, x0, scale), x0, y0, scale))
    width = max(c.shape[1] for c, *_ in cuts) + 2 * STRIP_MARGIN
    for crop, x0, y0, scale in cuts:
        row = np.full((crop.shape[0] + 2 * STRIP_MARGIN, width), 255, np.uint8)
        row[STRIP_MARGIN:STRIP_MARGIN + crop.shape[0], STRIP_MARGIN:STRIP_MARGIN + crop.shape[1]] = crop
        rows.append(row)
        placed.append((top, top + row.shape[0], x0, y0, scale))
        top += row.shape[0]
    return np.vstack(rows), placed


def _paper_beside(crop: np.ndarray, r: _Region, x0: int, scale: float) -> np.ndarray:
    """The cut-out with pale marks made paper where the line was run on: a seal ring's grey
    remnant across "Nguyễn" hid the word from Tesseract. Not in the line's own letters:
    a photo's blurred grey print would lose its edges."""
    if r.run_on == (0, 0):
        return crop
    crop = crop.copy()  # unenlarged, it is a view of the page
    left, right = round((r.x0 - x0 + r.run_on[0]) * scale), round((r.x1 - r.run_on[1] - x0) * scale)
    for part in (crop[:, :left], crop[:, right:]):
        part[part > PAPER_GREY] = 255
    return crop


def _holds(word: Word, other: Word) -> bool:
    """Whether `other`'s centre lies in `word`'s box."""
    cx, cy = other.left + other.width / 2, other.top + other.height / 2
    return word.left <= cx <= word.left + word.width and word.top <= cy <= word.top + word.height


def _overlaps(word: Word, r: _Region) -> bool:
    return (word.left < r.x1 and word.left + word.width > r.x0
            and word.top < r.y1 and word.top + word.height > r.y0)


def _insert_line(words: list[Word], new: list[Word]) -> list[Word]:
    """Put re-read words into the text line they sit on, or a new line after the line just
    above them; line numbers are then renumbered in that order."""
    top, bottom = min(w.top for w in new), max(w.top + w.height for w in new)
    left, right = min(w.left for w in new), max(w.left + w.width for w in new)
    spans: dict[int, list[int]] = {}  # line -> [top, bottom, left, right]
    for w in words:
        span = spans.setdefault(w.line, [w.top, w.top + w.height, w.left, w.left + w.width])
        span[:] = (min(span[0], w.top), max(span[1], w.top + w.height),
                   min(span[2], w.left), max(span[3], w.left + w.width))
    # the same line: overlapping rows, and near it sideways (not a line of another column)
    same = [line for line, (t, b, l, r) in spans.items()  # noqa: E741 (top, bottom, left, right)
            if min(b, bottom) - max(t, top) >= 0.5 * min(b - t, bottom - top)
            and max(l - right, left - r) <= 2 * (bottom - top)]
    if same:
        return words + [replace(w, line=same[0]) for w in new]
    above = [line for line, (t, b, _, _) in spans.items() if (t + b) / 2 <= top]
    after = max(above, key=lambda line: spans[line][1]) if above else -1
    order = sorted(spans)
    position = order.index(after) + 1 if after in order else 0
    order.insert(position, -2)  # the new line's place
    renumber = {line: i for i, line in enumerate(order)}
    return [replace(w, line=renumber[w.line]) for w in words] + [replace(w, line=renumber[-2]) for w in new]


def osd_rotation(grey: np.ndarray, options: OcrOptions) -> int | None:
    """Tesseract's own orientation guess (0/90/180/270 clockwise), or None if it has none.

    Costs about a second a page, so orient.detect only asks when the text shape is unsure.
    """
    with _as_pgm(grey) as image_path:
        try:
            osd = tesseract.image_to_osd(image_path, options)
        except OcrError:
            return None
    return int(osd.get("rotate", 0)) % 360
