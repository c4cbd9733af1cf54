"""A phone photo of a page lying on a table: what citizens send and clerks snap.

The page (70-150 dpi equivalent for A4, a card closer up) is warped by a random
homography into a frame it fills 45-90% of, over a textured coloured background (wood,
fabric, a plastic tablecloth), with a soft drop shadow, uneven light (gradient, vignette,
the shadow of the phone or a hand), a colour cast, slight blur and sensor noise; the
caller saves it as JPEG quality 60-85. Sometimes the phone was held sideways.

Geometry recorded as in samples/degrade.py: `skew_deg` is the in-plane turn of the page
(counter-clockwise positive; perspective comes on top), `rotation` the clockwise quarter
turn of the whole photo.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
from PIL import Image

from ..degrade import _noise

BACKGROUNDS = ("wood", "fabric", "tablecloth", "desk")


def photograph(page: Image.Image, page_mm: tuple[float, float], rng: random.Random,
               dpi_range: tuple[float, float]) -> tuple[Image.Image, dict]:
    """The photo (RGB) and what was done: rotation, skew_deg, dpi (of the page in the
    photo), fill (share of the frame the page covers) and the list of effects."""
    nprng = np.random.default_rng(rng.getrandbits(64))
    dpi = rng.uniform(*dpi_range)
    pw, ph = (max(8, round(v * dpi / 25.4)) for v in page_mm)
    src = cv2.resize(np.asarray(page.convert("RGB")), (pw, ph), interpolation=cv2.INTER_AREA)
    angle = round(rng.uniform(-7.0, 7.0), 1)
    quad = _quad(pw, ph, angle, rng)
    fill = rng.uniform(0.45, 0.9)
    fw, fh = _frame(pw * ph / fill, pw < ph, quad)
    quad += np.array([fw / 2 + rng.uniform(-0.4, 0.4) * (fw - np.ptp(quad[:, 0])),
                      fh / 2 + rng.uniform(-0.4, 0.4) * (fh - np.ptp(quad[:, 1]))], np.float32)
    corners = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    h = cv2.getPerspectiveTransform(corners, quad.astype(np.float32))
    warped = cv2.warpPerspective(src, h, (fw, fh), flags=cv2.INTER_LINEAR).astype(np.float32)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), h, (fw, fh), flags=cv2.INTER_LINEAR)
    kind = rng.choice(BACKGROUNDS)
    effects = ["phone_photo", "perspective", f"background:{kind}"]
    bg = _background(kind, fw, fh, rng, nprng)
    drop = cv2.GaussianBlur(np.roll(mask, (round(fh * 0.006), round(fw * 0.004)), (0, 1)), (0, 0), fw * 0.012)
    bg *= (1 - 0.35 * drop)[..., None]
    a = bg * (1 - mask[..., None]) + warped * mask[..., None]
    a *= _light(fw, fh, rng, effects)[..., None]
    a *= np.array(rng.choice(((1.0, 0.97, 0.9), (0.94, 0.97, 1.0), (1.0, 1.0, 1.0))), np.float32)
    a = np.clip(a, 0, 255).astype(np.uint8)
    a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.4, 1.1))
    effects.append("blur")
    if rng.random() < 0.25:
        a = _motion_blur(a, rng)
        effects.append("motion_blur")
    a = _noise(a, nprng, rng.uniform(2.0, 5.0))
    rotation = rng.choice((90, 270)) if rng.random() < 0.12 else 0
    if rotation:
        a = np.ascontiguousarray(np.rot90(a, k=-rotation // 90))  # k < 0: clockwise
    covered = float(mask.sum()) / (fw * fh)
    return Image.fromarray(a), {"rotation": rotation, "skew_deg": angle, "dpi": round(dpi),
                                "fill": round(covered, 2), "effects": effects}


def _quad(pw: int, ph: int, angle: float, rng: random.Random) -> np.ndarray:
    """Page corners (TL, TR, BR, BL) around the origin: turned by `angle` counter-clockwise
    as seen, one edge foreshortened (the phone tilted), every corner jittered a little."""
    q = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]], np.float32)
    tilt = rng.uniform(0.0, 0.12)
    edge = rng.randrange(4)  # 0 top, 1 right, 2 bottom, 3 left gets shorter
    axis = 0 if edge in (0, 2) else 1
    for i in (edge, (edge + 1) % 4):
        q[i, axis] *= 1 - tilt
    q += np.array([[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(4)], np.float32) * \
        rng.uniform(0.005, 0.03) * max(pw, ph)
    r = math.radians(angle)
    turn = np.array([[math.cos(r), math.sin(r)], [-math.sin(r), math.cos(r)]], np.float32)
    return q @ turn.T


def _frame(area: float, portrait: bool, quad: np.ndarray) -> tuple[int, int]:
    """A 3:4 frame of that area, grown when the turned page would not fit inside it."""
    long_side, short_side = math.sqrt(area * 4 / 3), math.sqrt(area * 3 / 4)
    fw, fh = (short_side, long_side) if portrait else (long_side, short_side)
    grow = max(1.0, np.ptp(quad[:, 0]) * 1.04 / fw, np.ptp(quad[:, 1]) * 1.04 / fh)
    return round(fw * grow), round(fh * grow)


def _smooth(nprng: np.random.Generator, w: int, h: int, cells: int, sigma: float) -> np.ndarray:
    """Low-frequency noise (about `cells` blobs across), mean 0, standard deviation ~sigma."""
    small = nprng.normal(0, sigma, (max(2, cells * h // max(w, 1)), cells)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _background(kind: str, w: int, h: int, rng: random.Random, nprng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood":
        base = np.array([rng.randint(120, 175), rng.randint(75, 115), rng.randint(40, 75)], np.float32)
        a = math.radians(rng.uniform(-20, 20))
        across = -xx * math.sin(a) + yy * math.cos(a)
        period = rng.uniform(0.01, 0.03) * h
        grain = np.sin(2 * math.pi * across / period + 4 * _smooth(nprng, w, h, 6, 1.0))
        shade = 0.85 + 0.1 * grain + 0.05 * np.sin(2 * math.pi * across / (period * 0.21))
    elif kind == "fabric":
        base = np.array(rng.choice(((40, 70, 140), (150, 40, 50), (60, 110, 70), (90, 90, 95),
                                    (180, 150, 90))), np.float32)
        p = rng.uniform(3.0, 6.0)
        weave = 0.5 * (np.sin(2 * math.pi * xx / p) * np.sin(2 * math.pi * yy / p))
        shade = 0.9 + 0.06 * weave + _smooth(nprng, w, h, 5, 0.07)  # folds
    elif kind == "tablecloth":  # the checked plastic cloth of a ward office counter
        base = np.array(rng.choice(((200, 60, 60), (60, 120, 190), (70, 150, 90))), np.float32)
        cell = rng.uniform(0.04, 0.08) * w
        check = ((xx // cell + yy // cell) % 2).astype(np.float32)
        shade = 0.75 + 0.25 * check + _smooth(nprng, w, h, 4, 0.03)
    else:  # a plain grey or dark desk
        g = rng.randint(60, 170)
        base = np.array([g, g + rng.randint(-8, 8), g + rng.randint(-10, 10)], np.float32)
        shade = 1.0 + _smooth(nprng, w, h, 3, 0.05)
    speckle = nprng.normal(1.0, 0.025, (h, w)).astype(np.float32)
    return np.clip(base * (shade * speckle)[..., None], 0, 255)


def _light(w: int, h: int, rng: random.Random, effects: list[str]) -> np.ndarray:
    """Illumination: a linear gradient, a vignette and maybe the soft shadow of the phone."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = xx / w - 0.5, yy / h - 0.5
    a = math.radians(rng.uniform(0, 360))
    ramp = x * math.cos(a) + y * math.sin(a)  # -0.7..0.7
    low = rng.uniform(0.7, 0.9)
    light = 1 - (1 - low) * (ramp + 0.71) / 1.42
    light *= 1 - rng.uniform(0.05, 0.2) * (x * x + y * y) * 2
    effects.append("uneven_light")
    if rng.random() < 0.65:
        b = math.radians(rng.uniform(0, 360))
        side = x * math.cos(b) + y * math.sin(b) - rng.uniform(0.05, 0.35)
        soft = rng.uniform(0.03, 0.1)
        light *= 1 - rng.uniform(0.2, 0.45) / (1 + np.exp(-side / soft))
        effects.append("shadow")
    return light


def _motion_blur(a: np.ndarray, rng: random.Random) -> np.ndarray:
    n = rng.randint(3, 6)
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1 / n
    turn = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1.0)
    k = cv2.warpAffine(k, turn, (n, n))
    return cv2.filter2D(a, -1, k / max(float(k.sum()), 1e-6))
