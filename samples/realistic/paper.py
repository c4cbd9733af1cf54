"""What old archive paper carries besides the typeset text: tinted security paper with a
guilloche background, titles printed in red, a round seal stamped over the signer's
lines. Each function works on a typeset `Sheet` in place, before it is scanned or
photographed; none of them changes the page's recorded text.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .. import ornaments
from ..fake import make_place
from ..sheet import Sheet

PAPER_TINTS = {  # colour of the blank paper, multiplied into the page
    "cream": ((246, 251), (236, 244), (205, 222)),
    "pink": ((246, 252), (222, 232), (222, 234)),
    "green": ((222, 232), (238, 246), (218, 228)),
}
TITLE_RED = (200, 30, 40)


@dataclass(frozen=True)
class Paper:
    """One document's paper, the same on all its pages."""
    name: str                                   # cream, pink, green
    tint: tuple[float, float, float]            # blank paper colour, 0..1
    ink: tuple[float, float, float]             # guilloche line colour, 0..1
    waves: tuple[tuple[float, ...], ...]        # guilloche families (empty: none), in mm


def choose_paper(rng: random.Random, guilloche: bool) -> Paper:
    name = rng.choice(sorted(PAPER_TINTS))
    tint = tuple(rng.randint(*r) / 255 for r in PAPER_TINTS[name])
    ink = (rng.uniform(0.55, 0.8), rng.uniform(0.62, 0.85), rng.uniform(0.55, 0.82))
    waves = tuple(_wave_params(rng) for _ in range(2)) if guilloche else ()
    return Paper(name, tint, ink, waves)  # type: ignore[arg-type]


def print_paper(sheet: Sheet, paper: Paper) -> None:
    """Tint the page and print the guilloche under the text, as on birth certificates and
    land books. Multiplied in, so the ink stays dark over it."""
    tint, ink = np.array(paper.tint, np.float32), np.array(paper.ink, np.float32)
    px = sheet.dpi / 25.4
    waves = [(slope, period * px, amp * px, wl * px, phase, strength)
             for slope, period, amp, wl, phase, strength in paper.waves]
    a = np.asarray(sheet.img).copy()
    xs = np.arange(a.shape[1], dtype=np.float32)[None, :]
    for y0 in range(0, a.shape[0], 256):  # in bands: a whole A4 page in float would be ~100 MB
        ys = np.arange(y0, min(y0 + 256, a.shape[0]), dtype=np.float32)[:, None]
        field = np.broadcast_to(tint, (len(ys), a.shape[1], 3)).copy()
        if waves:
            lines = np.maximum(*(_wave(xs, ys, *w) for w in waves))
            field *= 1 - lines[..., None] * (1 - ink)
        band = a[y0:y0 + len(ys)]
        band[:] = np.clip(band * field, 0, 255).astype(np.uint8)
    sheet.img.paste(Image.fromarray(a))


def _wave_params(rng: random.Random) -> tuple[float, ...]:
    """One family of parallel sine curves ~1.5-3 mm apart: (slope, period, amplitude,
    wavelength, phase, strength), lengths in mm."""
    return (rng.choice((0.25, -0.25)) * rng.uniform(0.6, 1.4), rng.uniform(1.5, 3.0),
            rng.uniform(2.0, 6.0), rng.uniform(12, 30), rng.uniform(0, 6), rng.uniform(0.6, 1.0))


def _wave(xs: np.ndarray, ys: np.ndarray, slope: float, period: float, amp: float, wavelength: float,
          phase: float, strength: float) -> np.ndarray:
    """Coverage 0..1 of one family's thin lines (about a pixel wide whatever the dpi)."""
    offset = slope * xs + amp * np.sin(2 * math.pi * xs / wavelength + phase)
    line = np.abs(np.sin(math.pi * (ys + offset) / period))
    width = max(0.08, 2.0 / period)
    return np.clip(1 - line / width, 0, 1) * strength


def red_titles(sheet: Sheet) -> int:
    """Turn the large bold title lines (black, upper half) red; returns how many."""
    body_px = sheet.style.size_pt * sheet.dpi / 72
    a = np.asarray(sheet.img).copy()
    red = np.array(TITLE_RED, np.float32)
    done = 0
    for p in sheet.placed:
        big = p.font.size >= 1.2 * body_px and p.text.upper() == p.text and any(c.isalpha() for c in p.text)
        if not big or max(p.fill) > 90 or p.box[1] > sheet.img.height * 0.5:
            continue
        x0, y0, x1, y1 = (int(v) for v in p.box)
        region = a[y0:y1 + 1, x0:x1 + 1].astype(np.float32)
        ink = (255 - region.min(axis=2, keepdims=True)) / 255  # how dark each pixel is
        a[y0:y1 + 1, x0:x1 + 1] = np.clip(255 - ink * (255 - red), 0, 255).astype(np.uint8)
        done += 1
    sheet.img.paste(Image.fromarray(a))
    return done


def seal_over_signer(sheet: Sheet, rng: random.Random) -> bool:
    """A round red seal stamped over the signer's title line and the signature under it
    (the last line in capitals in the lower half of the page); False when there is none."""
    lower = [p for p in sheet.placed
             if p.box[1] > sheet.img.height * 0.45 and len(p.text) >= 4
             and p.text.upper() == p.text and sum(c.isalpha() for c in p.text) >= 4]
    if not lower:
        return False
    title = lower[-1]
    place = make_place(rng, detail=False)
    cx = (title.box[0] + title.box[2]) / 2 + sheet.mm(rng.uniform(-12, 6))
    cy = title.baseline + sheet.mm(rng.uniform(0, 6))
    ornaments.seal(sheet, cx, cy, f"UBND {place.commune_kind} {place.commune}", rng,
                   diameter_mm=rng.uniform(30, 35))
    return True
