"""Stage 3, OCR: Tesseract through pytesseract, Vietnamese, one process per page.

Tesseract reads a cleaned grey copy of the page (flattened background, dotted leaders
erased); the archived image stays the scan itself. The page is written as PGM, which
costs nothing to encode, instead of pytesseract's default PNG.
"""
from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytesseract

from pipeline.errors import DocumentError
from pipeline.model import OcrOptions, Word

# OpenMP threads make Tesseract ~3.7x slower on 2 cores; we parallelise by page instead.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
cv2.setNumThreads(1)


@dataclass
class OcrResult:
    words: list[Word]
    text: str
    confidence: float  # mean word confidence, 0-100


def clean_for_ocr(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Flatten stains and paper colour, then erase dotted leaders.

    Leaders (`.........`) are rows of tiny evenly spaced dots after form labels; Tesseract
    reads them as junk letters. A dot run is found by smearing the tiny blobs sideways:
    alone they stay short, in a leader they merge into a long thin bar.
    """
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = max(7, (min(small.shape) // 40) | 1)
    background = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(grey, background, scale=255)
    return _erase_leaders(flat, dpi)


LEADER_INK = 225  # on the flattened page (paper ~255): faint grey leader dots count too


def _erase_leaders(flat: np.ndarray, dpi: float) -> np.ndarray:
    _, ink = cv2.threshold(flat, LEADER_INK, 255, cv2.THRESH_BINARY_INV)
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    dot = max(3, round(dpi / 30))  # a printed dot, with its anti-aliased rim, is < 0.9 mm
    x, y, w, h = (stats[1:, i] for i in range(4))
    tiny = np.flatnonzero((w <= dot) & (h <= dot)) + 1
    if len(tiny) < 6:
        return flat
    # Draw each tiny blob as its box, smeared sideways by the leader spacing.
    dots = np.zeros(ink.shape, np.uint8)
    dots[_box_pixels(stats[tiny])] = 255
    gap = max(3, round(dpi / 12))  # leader dots sit 1-2 mm apart
    smear = cv2.dilate(dots, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    _, runs, run_stats, _ = cv2.connectedComponentsWithStats(smear, connectivity=8)
    is_leader = (run_stats[:, cv2.CC_STAT_WIDTH] >= dpi / 3) & (run_stats[:, cv2.CC_STAT_HEIGHT] <= 2 * dot)
    is_leader[0] = False
    cx, cy = centres[tiny, 0].astype(int), centres[tiny, 1].astype(int)
    leaders = tiny[is_leader[runs[cy, cx]]]
    if not len(leaders):
        return flat
    out = flat.copy()
    out[_box_pixels(stats[leaders])] = 255
    return out


def _box_pixels(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of every pixel inside small boxes (x, y, w, h), vectorised."""
    size = int(max(boxes[:, 2].max(), boxes[:, 3].max()))
    dy, dx = np.mgrid[0:size, 0:size]
    dy, dx = dy.ravel()[None, :], dx.ravel()[None, :]
    inside = (dy < boxes[:, 3:4]) & (dx < boxes[:, 2:3])
    return (boxes[:, 1:2] + dy)[inside], (boxes[:, 0:1] + dx)[inside]


@contextmanager
def _as_pgm(grey: np.ndarray) -> Iterator[str]:
    """The page as a temporary PGM file: free to encode, unlike pytesseract's PNG."""
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        path = Path(tmp) / "page.pgm"
        cv2.imwrite(str(path), grey)
        yield str(path)


def ocr_page(grey: np.ndarray, dpi: float, options: OcrOptions) -> OcrResult:
    config = f"--psm {options.psm} --dpi {round(dpi)}"
    if options.tessdata_dir:
        config += f' --tessdata-dir "{options.tessdata_dir}"'
    with _as_pgm(grey) as image_path:
        try:
            data = pytesseract.image_to_data(
                image_path, lang=options.language, config=config,
                output_type=pytesseract.Output.DICT, timeout=options.timeout_s,
            )
        except RuntimeError as exc:  # pytesseract's timeout
            raise DocumentError("Nhận dạng chữ (OCR) quá thời gian cho phép.", "ocr_timeout") from exc
        except pytesseract.TesseractError as exc:
            raise DocumentError("Phần mềm nhận dạng chữ (OCR) gặp lỗi với trang này.", "ocr_failed") from exc
    return _collect(data)


def _collect(data: dict) -> OcrResult:
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
    lines: dict[int, list[str]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word.text)
    text = "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
    confidence = round(sum(w.conf for w in words) / len(words), 1) if words else 0.0
    return OcrResult(words, text, confidence)


def osd_rotation(grey: np.ndarray, options: OcrOptions) -> int | None:
    """Tesseract's own orientation guess (0/90/180/270 clockwise), or None if it has none.

    Costs about a second a page, so orient.detect only asks when the text shape is unsure.
    """
    with _as_pgm(grey) as image_path:
        try:
            osd = pytesseract.image_to_osd(image_path, config="--psm 0",
                                           output_type=pytesseract.Output.DICT, timeout=60)
        except (pytesseract.TesseractError, RuntimeError):
            return None
    return int(osd.get("rotate", 0)) % 360
