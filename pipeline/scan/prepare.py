"""The copy of a page that Tesseract reads (stage 3's first half); the archived image stays
the scan itself. Each change from the scan is there because Tesseract reads the scan worse:

- coloured seals, signatures and emblems are painted as paper: a red seal stamped over the
  signer's name makes Tesseract take the whole signer block for a picture and drop it;
- the page is deskewed and its background (paper colour, stains) flattened;
- dotted leaders (`.........` after form labels) are erased: Tesseract reads them as junk;
- large print is read smaller (letters ~24 px tall): as accurate, and Tesseract's time
  grows with the pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.scan import orient

# Pages are worked on in parallel already; OpenCV's own threads would only compete.
cv2.setNumThreads(1)

MM_PER_IN = 25.4

@dataclass
class OcrImage:
    """The grey copy Tesseract reads, and how it maps to the corrected page."""

    grey: np.ndarray
    dpi: float  # its resolution
    scale_x: float = 1.0  # its pixels per pixel of the corrected page
    scale_y: float = 1.0
    letters: np.ndarray | None = None  # boxes (x0, y0, x1, y1) of letter-sized ink blobs in it

    def upside_down(self) -> OcrImage:
        """The same copy turned 180° (a half turn commutes with the deskew about the centre,
        so this is what `prepare` would make of the page turned over)."""
        h, w = self.grey.shape[:2]
        letters = None if self.letters is None else \
            np.stack([w - self.letters[:, 2], h - self.letters[:, 3],
                      w - self.letters[:, 0], h - self.letters[:, 1]], axis=1).astype(np.int32)
        return OcrImage(cv2.rotate(self.grey, cv2.ROTATE_180), self.dpi, self.scale_x, self.scale_y, letters)


def prepare(page: np.ndarray, skew_deg: float, dpi: float, enlarge: bool = False) -> OcrImage:
    """The copy Tesseract reads, from the upright (quarter-turned) page in colour or grey:
    coloured marks painted out, deskewed by `skew_deg`, flattened, leaders erased, large
    print made smaller and, with `enlarge` (a photo's page), small print larger. A caller
    done with the colour page can pass `ocr_grey(page)` instead, and free the colour page
    first."""
    grey = ocr_grey(page, dpi)
    flat = flatten(orient.apply(grey, 0, skew_deg))
    del grey
    # leaders are found on level lines: after the deskew
    _, ink = cv2.threshold(flat, LEADER_INK, 255, cv2.THRESH_BINARY_INV)
    _, labels, stats, centres = components(ink)
    flat, leaders = _erase_leaders(flat, dpi, labels, stats, centres)
    del labels
    stats[leaders, 3] = 0  # erased: no letters
    flat, rules = _erase_rules(flat, dpi, stats)
    stats[rules, 3] = 0
    letters = letter_boxes(stats, dpi)
    scale = reading_scale(letters, dpi, enlarge)
    if scale == 1.0:
        return OcrImage(flat, dpi, letters=letters)
    small = cv2.resize(flat, None, fx=scale, fy=scale, interpolation=READING_INTERPOLATION)
    if scale > 1.0:  # enlarged print is soft; its edges sharpened back (unsharp mask)
        blur = cv2.GaussianBlur(small, (0, 0), SHARPEN_SIGMA * scale)
        small = cv2.addWeighted(small, 1 + SHARPEN_AMOUNT, blur, -SHARPEN_AMOUNT, 0)
    sx, sy = small.shape[1] / flat.shape[1], small.shape[0] / flat.shape[0]
    letters = np.round(letters * np.array([sx, sy, sx, sy])).astype(np.int32)
    return OcrImage(small, dpi * sx, sx, sy, letters)


def ocr_grey(page: np.ndarray, dpi: float) -> np.ndarray:
    """The page in grey, with seals, signatures and emblems in coloured ink painted out."""
    if page.ndim == 2:
        return page
    return paint_out_colour_marks(page, orient.to_grey(page), dpi)


READING_GLYPH_PX = 24  # letters this tall read as well as larger ones, and cost less
LARGE_GLYPH_PX = 30  # pages whose letters are taller than this are read smaller
MIN_READING_DPI = 200
# A photo's letters smaller than SMALL_GLYPH_PX are read enlarged to it, then sharpened.
# Measured on synthetic phone photos of a 12-pt page (tests/test_photo.py's, seeds 1-6),
# mean CER: at 82-97 dpi (1200×900 frames) 18.8% -> 11.0% (to 24 px: 11.7%; enlarged but
# not sharpened: 18.2%); at 109-129 dpi (1600×1200) 1.6% -> 1.2%.
SMALL_GLYPH_PX = 20
SHARPEN_AMOUNT = 0.6
SHARPEN_SIGMA = 0.8  # times the enlargement, px
MAX_ENLARGE = 3.0  # a 70-dpi page read as a 210-dpi one; Tesseract's time grows with the pixels
READING_INTERPOLATION = cv2.INTER_CUBIC  # as good as INTER_AREA here, half its cost


def letter_boxes(stats: np.ndarray, dpi: float) -> np.ndarray:
    """Boxes (x0, y0, x1, y1) of the ink blobs shaped like letters, or like a few letters
    run together (small print does, at the pale LEADER_INK threshold): 0.75-6 mm tall."""
    x, y, w, h = (stats[1:, i] for i in range(4))
    px_per_mm = dpi / MM_PER_IN
    letter = (h >= 0.75 * px_per_mm) & (h <= 6 * px_per_mm) & (w <= 8 * h) & (4 * w >= h)
    return np.stack([x, y, x + w, y + h], axis=1)[letter].astype(np.int32)


def reading_scale(letters: np.ndarray, dpi: float, enlarge: bool = False) -> float:
    """How much smaller the page may be read: Tesseract's time grows with the pixels, its
    accuracy does not once letters are ~24 px tall (measured on 300-dpi forms: ~12% less
    CPU, same CER). Small print (ID cards) is never shrunk. With `enlarge`, small print
    is read larger (SMALL_GLYPH_PX)."""
    heights = letters[:, 3] - letters[:, 1]
    heights = heights[heights >= dpi / MM_PER_IN]  # not commas and dots
    if len(heights) < 50:
        return 1.0
    glyph = float(np.median(heights))
    if enlarge and glyph < SMALL_GLYPH_PX:
        return min(MAX_ENLARGE, SMALL_GLYPH_PX / glyph)
    if glyph <= LARGE_GLYPH_PX:
        return 1.0
    scale = max(READING_GLYPH_PX / glyph, MIN_READING_DPI / dpi)
    return scale if scale < 0.9 else 1.0


def components(mask: np.ndarray):
    """8-connected blobs with their stats; BBDT labels a page ~2.7x faster than OpenCV's
    default algorithm (measured on 300-dpi pages), with the same blobs. Labels are 16-bit
    (half the memory of a 300-dpi page's 35 MB) unless a page has more than 65535 blobs,
    which OpenCV reports instead of wrapping round."""
    try:
        return cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_16U, cv2.CCL_BBDT)
    except cv2.error:
        return cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)


def flatten(grey: np.ndarray) -> np.ndarray:
    """Divide by the paper: a max filter (on a quarter-size copy) wipes out the thin dark
    strokes and leaves paper colour and stains, which the division then cancels."""
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = max(7, (min(small.shape) // 40) | 1)
    background = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, background, scale=255)


# --- coloured marks -------------------------------------------------------------------

COLOUR_INK = 40  # chroma against the paper; stamp and ballpoint ink >= 60, black print < 20
FAINT_INK = 20  # ... and the thin, blurred strokes of coloured ink in a photo
MARK_MM = 12.0  # a coloured mark this long is a seal, signature or emblem, never one letter
MARK_FILL = 0.35  # ... if drawn with thin strokes; merged letters of a coloured title fill more
STAMP_MAX_MM = 70.0  # larger marks are frames and borders: only their own strokes go


def paint_out_colour_marks(rgb: np.ndarray, grey: np.ndarray, dpi: float) -> np.ndarray:
    """Paint seals, signatures and emblems (large marks in coloured ink) as paper on the
    grey copy, with all coloured ink inside them (a seal's ring text). Black print under
    them stays: only coloured pixels go. Coloured text elsewhere (a red title) stays: its
    letters are small and solid. A coloured frame or border loses its lines only, so
    coloured print inside it stays."""
    marks, labels = colour_marks(rgb, dpi)
    if not marks:
        return grey
    out = grey.copy()
    height, width = grey.shape
    pad = max(2, round(dpi / 50))
    for label, (x0, y0, x1, y1), whole in marks:
        x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)
        chroma, brightest = _chroma_against_paper(rgb[y0:y1, x0:x1])
        ink = (chroma > COLOUR_INK).view(np.uint8)
        if not whole:  # the frame's own strokes, from the half-size labels
            own = (labels[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2] == label).view(np.uint8)
            own = cv2.resize(own, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
            ink &= cv2.dilate(own, np.ones((5, 5), np.uint8))
        # the anti-aliased rim of a stroke is paler; take it too, or its ghost reads as letters
        ink = cv2.dilate(ink, np.ones((3, 3), np.uint8)).view(bool) & (chroma > COLOUR_INK // 3)
        # black print under the ink is dark in every channel, coloured ink is bright in
        # its own: a blurred photo mixes the two at a name under a seal, which must stay
        ink &= brightest >= PRINT_UNDER_INK
        region = out[y0:y1, x0:x1]
        region[ink] = int(np.percentile(region, 90))
    return out


def colour_marks(rgb: np.ndarray, dpi: float) -> tuple[list[tuple[int, tuple, bool]], np.ndarray]:
    """Large coloured marks found on a half-size copy: (label, full-size box (x0, y0, x1,
    y1), stamp-sized) each, and the half-size label image."""
    small = cv2.resize(rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    chroma = _flat_chroma(small)
    mask = (chroma > FAINT_INK).view(np.uint8)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))  # rejoin thin strokes broken by halving
    _, labels, stats, _ = components(mask)
    # only blobs holding surely coloured ink: the faint parts join them up (a seal's thin
    # ring, blurred in a photo, breaks into arcs too short to be a mark)
    sure = np.bincount(labels[chroma > COLOUR_INK].ravel(), minlength=len(stats)) > 0
    x, y, w, h, area = (stats[:, i] for i in range(5))
    px_per_mm = dpi / MM_PER_IN * 0.5
    fill = area / np.maximum(1, w * h)
    long = MARK_MM * px_per_mm
    mark = (np.maximum(w, h) >= long) & ((fill < MARK_FILL) | (np.minimum(w, h) >= long))
    mark &= sure
    mark[0] = False
    stamp = np.maximum(w, h) <= STAMP_MAX_MM * px_per_mm
    boxes = 2 * np.stack([x, y, x + w, y + h], axis=1)
    return [(int(i), tuple(int(v) for v in boxes[i]), bool(stamp[i])) for i in np.flatnonzero(mark)], labels


def _flat_chroma(rgb: np.ndarray) -> np.ndarray:
    """max - min of the channels after dividing each by its own paper (so tinted paper and
    stains are not colour)."""
    # The paper is the median colour around each point (ink covers far less than half of
    # any window). A per-channel maximum would not do: on blue paper a red seal is
    # brighter than the paper in red, and the "paper" would turn pink under it.
    small = cv2.resize(rgb, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    k = max(5, (min(small.shape[:2]) // 12) | 1)
    paper = cv2.medianBlur(small, k)
    paper = cv2.resize(paper, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    r, g, b = cv2.split(cv2.divide(rgb, paper, scale=255))
    return cv2.subtract(cv2.max(cv2.max(r, g), b), cv2.min(cv2.min(r, g), b))


PRINT_UNDER_INK = 128  # of 255 against the paper: a pixel darker in every channel is print


def _chroma_against_paper(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chroma of each pixel against the paper seen around the crop's edge (a solid emblem
    fills its own box, so the paper cannot come from inside), and its brightest channel
    against the paper's."""
    edge = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]]).astype(np.float32)
    lum = edge.sum(axis=1)
    paper = np.median(edge[lum >= np.median(lum)], axis=0)
    r, g, b = cv2.split(cv2.blur(crop, (3, 3)))
    # each channel divided by the paper's (saturating at white), in 8 bits
    r, g, b = (cv2.convertScaleAbs(c, alpha=255.0 / max(1.0, float(p))) for c, p in zip((r, g, b), paper))
    brightest = cv2.max(cv2.max(r, g), b)
    return cv2.subtract(brightest, cv2.min(cv2.min(r, g), b)), brightest


# --- dotted leaders --------------------------------------------------------------------

DOT_OF_LETTER = 0.25
# a blurred photo's dot spreads a pixel past that (a 4-px dot at 107 dpi is 5 px wide)
DOT_RIM = 1
LEADER_INK = 225  # on the flattened page (paper ~255): faint grey leader dots count too
LEADER_MIN_DOTS = 4


def _erase_leaders(flat: np.ndarray, dpi: float, labels: np.ndarray, stats: np.ndarray,
                   centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page without its leaders, and the erased blobs' labels. Leaders are rows of
    evenly spaced dots of one size on one baseline. Tiny blobs (from the LEADER_INK blobs'
    `stats`) are smeared sideways so that a leader's dots merge into one run; a run is a
    leader when its dots pass that test, which diacritics and i-dots in a line of text do
    not."""
    # a printed dot, with its anti-aliased rim, is < 0.9 mm in 12-pt print, and a quarter
    # of the tall letters' height in any print (a 16-pt form's dots are ~1 mm)
    dot = max(3, round(dpi / 30), round(DOT_OF_LETTER * _tall_letter_px(stats, dpi))) + DOT_RIM
    noise = max(2, round((dpi / 150) ** 2))  # smaller than a dot: scanner noise
    erased = _leader_dots(flat.shape, dpi, stats, centres, dot, noise)
    boxes = stats[erased]
    if _patterned(flat):
        # A guilloche's pale lines join the dots into larger blobs at LEADER_INK; the
        # print alone, at a darker threshold, has its dots apart again.
        _, dark = cv2.threshold(flat, PATTERN_INK, 255, cv2.THRESH_BINARY_INV)
        _, _, dark_stats, dark_centres = components(dark)
        dots = _leader_dots(flat.shape, dpi, dark_stats, dark_centres, dot, noise)
        dots = dots[_in_pattern(labels, stats, dark_stats[dots], dot)]
        boxes = np.concatenate([boxes, dark_stats[dots]])
    if not len(boxes):
        return flat, erased
    boxes = boxes.copy()
    boxes[:, :2] -= 1  # and the pale rim around each dot
    boxes[:, 2:4] += 2
    out = flat.copy()
    rows, cols = _box_pixels(boxes)
    inside = (rows >= 0) & (cols >= 0) & (rows < flat.shape[0]) & (cols < flat.shape[1])
    out[rows[inside], cols[inside]] = 255
    return out, erased


PATTERN_INK = 160  # darker than any guilloche or tint pattern, paler than print
PATTERN_SHARE = 2.0  # pale ink over dark ink on a page with a background pattern (~1.2 plain)


def _patterned(flat: np.ndarray) -> bool:
    """A page printed over a background pattern: much more pale ink than dark."""
    counts = np.bincount(flat[::4, ::4].ravel(), minlength=256).cumsum()
    return bool(counts[LEADER_INK - 1] > PATTERN_SHARE * max(1, counts[PATTERN_INK - 1]))


PATTERN_FILL = 0.2  # a pattern's lines, joined into one blob, fill little of its box


def _in_pattern(labels: np.ndarray, stats: np.ndarray, dots: np.ndarray, dot: int) -> np.ndarray:
    """Which of the dark threshold's `dots` (their stats) lie in a pale blob that is dots
    (no taller than one) or pattern lines (far larger than a dot, and sparse), not print:
    a blurred photo leaves grey around dark cores in compact blobs, letters or words,
    whose cores look like evenly spaced dots at the darker threshold."""
    if not len(dots):
        return np.zeros(0, bool)
    blob = labels[dots[:, 1] + dots[:, 3] // 2, dots[:, 0] + dots[:, 2] // 2]
    w, h, area = stats[blob, 2], stats[blob, 3], stats[blob, 4]
    lines = (np.maximum(w, h) > 4 * dot) & (area < PATTERN_FILL * w * h)
    # dots, or dots run together: no taller than the dot and its pale rim
    return (blob > 0) & (lines | (h <= dots[:, 3] + 3))


def _leader_dots(shape: tuple[int, ...], dpi: float, stats: np.ndarray, centres: np.ndarray,
                 dot: int, speck: int) -> np.ndarray:
    """Labels of the blobs of `speck` to `dot` pixels that are leader dots."""
    none = np.zeros(0, int)
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    tiny = np.flatnonzero((w <= dot) & (h <= dot) & (area >= speck)) + 1
    if len(tiny) < LEADER_MIN_DOTS:
        return none
    # the dots' centres on a quarter-size canvas: plenty to group them, 16x fewer pixels
    cx, cy = centres[tiny, 0], centres[tiny, 1]
    qx, qy = (cx // 4).astype(int), (cy // 4).astype(int)
    dots = np.zeros((shape[0] // 4 + 1, shape[1] // 4 + 1), np.uint8)
    dots[qy, qx] = 255
    gap = max(2, round(dpi * 4.2 / MM_PER_IN / 4))  # leader dots sit up to ~4 mm apart
    smear = cv2.dilate(dots, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    _, runs, run_stats, _ = components(smear)
    long_run = 4 * run_stats[:, cv2.CC_STAT_WIDTH] >= dpi / 5
    long_run[0] = False
    run_of = runs[qy, qx]
    candidates = np.flatnonzero(long_run[run_of])
    if not len(candidates):
        return none
    # Grainy paper's specks can join a run to the rows above and below: each run is looked
    # at row by row, in bands two dots high, twice (the second half a band lower, so that
    # one of the two holds a whole row of dots)
    sizes = stats[tiny, 2], stats[tiny, 3], stats[tiny, 4]
    band = 2 * dot
    leaders: set[int] = set()
    for shift in (0, dot):
        row = (cy[candidates] + shift).astype(int) // band
        key = run_of[candidates].astype(np.int64) * (shape[0] // band + 2) + row
        order = np.lexsort((cx[candidates], key))
        groups = np.split(candidates[order], np.flatnonzero(np.diff(key[order])) + 1)
        leaders.update(i for group in groups for i in _even_dots(group, cx, cy, *sizes))
    return tiny[np.array(sorted(leaders), int)] if leaders else none


RULE_MIN_MM = 10.0  # a thin stroke this long is a rule or leader, never a letter or a dash
# of the page's tall print (the upper quartile of letter heights: leader bits and dots are
# blobs too): a run of small letters is taller; a Vietnamese word rarely lacks a mark
RULE_MAX_HEIGHT = 0.45


def _erase_rules(flat: np.ndarray, dpi: float, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page without its thin horizontal rules, and their labels: the blanks' underlines,
    and leaders whose dots a blurred photo ran together into one stroke. Tesseract reads
    either as a row of slashes and digits ("////0000/0/J"). A rule touching a letter is one
    blob with it, too tall to count: the letter stays."""
    px_per_mm = dpi / MM_PER_IN
    x, y, w, h = (stats[1:, i] for i in range(4))
    thin = max(3.0, RULE_MAX_HEIGHT * _tall_letter_px(stats, dpi))
    rule = np.flatnonzero((h <= thin) & (w >= RULE_MIN_MM * px_per_mm) & (w >= 8 * h)) + 1
    if not len(rule):
        return flat, np.zeros(0, int)
    out = flat.copy()
    for i in rule:
        x0, y0, w0, h0 = (int(v) for v in stats[i, :4])
        out[max(0, y0 - 1):y0 + h0 + 1, x0:x0 + w0] = 255  # and its pale rim
    return out, rule


def _tall_letter_px(stats: np.ndarray, dpi: float) -> float:
    """The height of the page's tall print: the upper quartile of its letter-shaped blobs
    (leader dots, commas and diacritics are blobs too, and small); 0 on a page with few."""
    letters = letter_boxes(stats, dpi)
    if len(letters) < 20:
        return 0.0
    return float(np.percentile(letters[:, 3] - letters[:, 1], 75))


# A printed dot fills its box (0.73-0.84 measured, round and solid); small letters in
# small print, as tiny as dots on a card, have holes and strokes (~0.57)
DOT_FILL = 0.65


def _even_dots(group: np.ndarray, cx, cy, w, h, area) -> list[int]:
    """The members of a smeared run that are evenly spaced solid dots of one size on one
    line."""
    if len(group) < LEADER_MIN_DOTS:
        return []
    mh, mw, my = np.median(h[group]), np.median(w[group]), np.median(cy[group])
    if mh > 2 * mw or mw > 2 * mh:  # dots are round; letters' strokes are not
        return []
    tol = max(1.5, 0.5 * mh)
    same = (np.abs(cy[group] - my) <= tol) & (np.abs(h[group] - mh) <= tol) \
        & (np.abs(w[group] - mw) <= max(1.5, 0.5 * mw))
    kept = group[same]
    if len(kept) < LEADER_MIN_DOTS or np.median(area[kept] / (w[kept] * h[kept])) < DOT_FILL:
        return []
    gaps = np.diff(cx[kept])
    step = np.median(gaps)
    if step <= 0 or np.mean((gaps >= 0.6 * step) & (gaps <= 1.6 * step)) < 0.7:
        return []
    return kept.tolist()


def _box_pixels(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of every pixel inside small boxes (x, y, w, h), vectorised."""
    size = int(max(boxes[:, 2].max(), boxes[:, 3].max()))
    dy, dx = np.mgrid[0:size, 0:size]
    dy, dx = dy.ravel()[None, :], dx.ravel()[None, :]
    inside = (dy < boxes[:, 3:4]) & (dx < boxes[:, 2:3])
    return (boxes[:, 1:2] + dy)[inside], (boxes[:, 0:1] + dx)[inside]
