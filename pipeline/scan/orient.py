"""Stage 2, orientation (0/90/180/270) and deskew, with OpenCV and NumPy.

How: text lines make the ink's projection profile sharpest when projected across them, so
a coarse search over all angles finds the line direction (which tells 0/180 from 90/270
and the skew), and a fine search with parabolic interpolation pins the skew to a few
hundredths of a degree. Up versus down comes from the shape of each text line: Latin
script, and Vietnamese even more with its marks above letters, puts more ink above the
x-height band (ascenders, capitals, diacritics) than below it (descenders). Only when that
asymmetry is too weak to trust do we pay for Tesseract's OSD.

Conventions (result.json): `rotation` is the clockwise turn that was undone; `skew_deg` the
angle undone after it, counter-clockwise positive.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FINE_SIDE = 2000  # px, long side of the working copy
COARSE_POINTS = 25_000  # ink points for the all-angle search
MAX_POINTS = 150_000
UPRIGHT_MARGIN = 0.06  # |asymmetry - 0.5| below this is "unsure" -> OSD
MAX_SKEW_DEG = 20.0  # pages come skewed up to 15° (the spec); a search held to one quarter


@dataclass(frozen=True)
class Orientation:
    rotation: int  # 0/90/180/270 clockwise, undone first
    skew_deg: float  # counter-clockwise positive, undone second
    updown_score: float  # share of off-core ink above the x-height band (0.5 = unsure)
    used_osd: bool = False


def to_grey(pixels: np.ndarray) -> np.ndarray:
    return pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """Binary ink mask robust to stains, coloured paper and faint print.

    The background (paper, stains) is what remains after a max filter wipes out the thin
    dark strokes; dividing by it flattens the page before Otsu picks the ink.
    """
    grey = cv2.medianBlur(grey, 3)
    k = max(15, (min(grey.shape) // 40) | 1)
    background = cv2.dilate(grey, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    flat = cv2.divide(grey, background, scale=255)
    _, mask = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return _drop_large_blobs(mask)


def _drop_large_blobs(mask: np.ndarray) -> np.ndarray:
    """Photos, seals and black scan borders are not text lines: leave them out."""
    # BBDT: same blobs as OpenCV's default algorithm, ~2.7x faster
    n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)
    limit = 0.08 * max(mask.shape)
    big = np.flatnonzero((stats[:, cv2.CC_STAT_HEIGHT] > limit) & (stats[:, cv2.CC_STAT_WIDTH] > limit))
    big = big[big != 0]
    if big.size:
        mask = mask.copy()
        mask[np.isin(labels, big)] = 0
    return mask


def _points(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    pts = np.stack([xs, ys], axis=1).astype(np.float32)
    if len(pts) > MAX_POINTS:
        pts = pts[rng.choice(len(pts), MAX_POINTS, replace=False)]
    return pts


def _sharpness(pts: np.ndarray, angle_deg: float) -> float:
    """Sum of squared profile counts when projecting across lines tilted by `angle_deg`."""
    t = np.deg2rad(angle_deg)
    # Image y points down; a line turned counter-clockwise by t runs along (cos t, -sin t).
    proj = pts[:, 0] * np.sin(t) + pts[:, 1] * np.cos(t)
    proj = (proj - proj.min()).astype(np.int64)
    counts = np.bincount(proj)
    return float(np.dot(counts, counts))


def _best_angle(pts: np.ndarray, angles: np.ndarray) -> tuple[float, np.ndarray]:
    scores = np.array([_sharpness(pts, a) for a in angles])
    return float(angles[int(np.argmax(scores))]), scores


def _refine(pts: np.ndarray, centre: float, half_width: float, step: float) -> float:
    angles = np.arange(centre - half_width, centre + half_width + step / 2, step)
    best, scores = _best_angle(pts, angles)
    i = int(np.argmax(scores))
    if 0 < i < len(scores) - 1:  # parabola through the peak and its neighbours
        a, b, c = scores[i - 1], scores[i], scores[i + 1]
        denom = a - 2 * b + c
        if denom < 0:
            best += step * 0.5 * (a - c) / denom
    return best


def _scaled(grey: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, side / max(grey.shape))
    if scale == 1.0:
        return grey, 1.0
    size = (round(grey.shape[1] * scale), round(grey.shape[0] * scale))
    # INTER_AREA is ~4x slower at such non-integer ratios; same turns and skews found
    return cv2.resize(grey, size, interpolation=cv2.INTER_CUBIC), scale


def updown_score(pts: np.ndarray, skew_deg: float) -> float:
    """Share of off-core line ink lying above the x-height band; > 0.5 means upright."""
    t = np.deg2rad(skew_deg)
    rows = (pts[:, 1] * np.cos(t) + pts[:, 0] * np.sin(t)).astype(np.int64)
    rows -= rows.min()
    profile = np.bincount(rows).astype(np.float64)
    above = below = 0.0
    for start, end in _line_spans(profile):
        line = profile[start:end]
        core = np.flatnonzero(line >= 0.5 * line.max())
        top, bottom = core[0], core[-1]
        above += line[:top].sum()
        below += line[bottom + 1:].sum()
    total = above + below
    return 0.5 if total == 0 else above / total


def _line_spans(profile: np.ndarray) -> list[tuple[int, int]]:
    """Runs of rows with ink, separated by (nearly) empty rows: one per text line."""
    quiet = profile <= max(1.0, 0.02 * profile.max())
    spans, start = [], None
    for i, q in enumerate(quiet):
        if not q and start is None:
            start = i
        elif q and start is not None:
            if i - start >= 4:
                spans.append((start, i))
            start = None
    return spans


def detect(pixels: np.ndarray, osd=None, quarter: int | None = None) -> Orientation:
    """Find the turn and skew that make the page upright.

    `osd(grey) -> int | None` is an optional fallback returning the clockwise rotation of
    an already deskewed, roughly upright page; it runs only when the text shape is unsure.
    `quarter` (0: lines across the page as given, 90: down it) restricts the search to
    that direction, within the spec's skew (up to 15°, searched to MAX_SKEW_DEG), when OCR
    has shown the ink's sharpest direction is not the text's (a background pattern of
    lines): searched over the whole quarter, the pattern would still win at its edge.
    """
    rng = np.random.default_rng(0)
    medium, _ = _scaled(to_grey(pixels), FINE_SIDE)
    pts = _points(ink_mask(medium), rng)
    if len(pts) < 500:  # blank page: nothing to align to
        return Orientation(0, 0.0, 0.5)
    # A sample is plenty for whole degrees over the half circle.
    sample = pts[rng.choice(len(pts), min(len(pts), COARSE_POINTS), replace=False)]
    angles = np.arange(-90.0, 90.0, 1.0)
    if quarter is not None:
        off_axis = np.abs(angles) if quarter % 180 == 0 else 90 - np.abs(angles)
        angles = angles[off_axis <= MAX_SKEW_DEG]
    theta, _ = _best_angle(sample, angles)
    # Lines at theta in [-45, 45): text runs across (0/180); otherwise down the page (90/270).
    quarter = 0 if -45 <= theta < 45 else 90
    if quarter:  # undo a 90° clockwise turn, on the points and the image
        width = medium.shape[1]
        pts = np.stack([pts[:, 1], (width - 1) - pts[:, 0]], axis=1)
        medium = cv2.rotate(medium, cv2.ROTATE_90_COUNTERCLOCKWISE)
        theta = theta - 90 if theta >= 45 else theta + 90
    skew = _refine(pts, _refine(pts, theta, 1.5, 0.25), 0.3, 0.05)
    score = updown_score(pts, skew)
    rotation = quarter if score >= 0.5 else quarter + 180
    if abs(score - 0.5) < UPRIGHT_MARGIN and osd is not None:
        upright = apply(medium, 0, skew, fill=255)
        extra = osd(upright)
        if extra in (0, 180):
            return Orientation((quarter + extra) % 360, round(skew, 3), score, used_osd=True)
    return Orientation(rotation % 360, round(skew, 3), score)


def paper_colour(pixels: np.ndarray) -> tuple[int, ...]:
    """The page's background colour, to fill corners uncovered by the deskew turn."""
    small, _ = _scaled(pixels, 300)
    flat = small.reshape(-1, 1 if small.ndim == 2 else small.shape[2]).astype(np.float32)
    lum = flat.mean(axis=1)
    paper = flat[lum >= np.percentile(lum, 60)]
    return tuple(int(v) for v in np.median(paper, axis=0))


def turn(pixels: np.ndarray, rotation: int) -> np.ndarray:
    """Undo a clockwise quarter turn exactly (a transposition, no resampling)."""
    turns = {0: None, 90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180,
             270: cv2.ROTATE_90_CLOCKWISE}
    return pixels if turns[rotation] is None else cv2.rotate(pixels, turns[rotation])


def apply(pixels: np.ndarray, rotation: int, skew_deg: float, fill=None) -> np.ndarray:
    """Undo `rotation` (exactly) then `skew_deg` (one bilinear warp about the centre)."""
    pixels = turn(pixels, rotation)
    if abs(skew_deg) < 0.05:  # well inside the 0.2° tolerance: keep the pixels untouched
        return pixels
    if fill is None:
        fill = paper_colour(pixels)
    h, w = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -skew_deg, 1.0)
    return cv2.warpAffine(pixels, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
