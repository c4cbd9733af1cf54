"""Scanner and paper damage applied to a clean upright page.

Order follows the physical process: the paper (faint print, tinted paper, stains) is laid
skewed on the glass, the page may be fed sideways or upside down, then the scanner adds
blur, noise, maybe grey mode, and JPEG compression.

Geometry convention (the pipeline must undo it, see the spec's result contract): the page
is first turned counter-clockwise by `skew_deg` (canvas expanded, corners filled with the
paper colour), then clockwise by `rotation` (0/90/180/270). All pixel work is vectorised
(OpenCV/numpy); randomness comes from the caller's `random.Random`.
"""

from __future__ import annotations

import io
import math
import random
from statistics import NormalDist

import cv2
import numpy as np
from PIL import Image

EFFECTS = ("faint", "grey_paper", "colour_paper", "stain", "blur", "grayscale", "noise", "jpeg")
_PROB = {"faint": 0.25, "stain": 0.35, "blur": 0.4, "noise": 0.55, "jpeg": 0.35, "grayscale": 0.2}


def choose_effects(rng: random.Random) -> list[str]:
    """A non-empty random subset of EFFECTS (grey and colour paper are exclusive)."""
    picked = {e for e, p in _PROB.items() if rng.random() < p}
    paper = rng.random()
    if paper < 0.25:
        picked.add("grey_paper")
    elif paper < 0.55:
        picked.add("colour_paper")
    if not picked:
        picked.add(rng.choice(("noise", "blur", "stain")))
    return [e for e in EFFECTS if e in picked]


def choose_geometry(rng: random.Random, rotations: bool = True, max_skew: float = 15.0) -> tuple[int, float]:
    """Rotation (clockwise, multiple of 90) and skew (CCW positive, mostly small) of a degraded page."""
    rotation = rng.choice((90, 180, 270)) if rotations and rng.random() < 0.35 else 0
    skew = 0.0
    if max_skew > 0 and rng.random() < 0.75:
        small = min(3.0, max_skew)
        mag = rng.uniform(0.3, small) if rng.random() < 0.6 or max_skew <= 3 else rng.uniform(small, max_skew)
        skew = round(min(mag, max_skew) * rng.choice((-1, 1)), 1)
    return rotation, skew


def degrade(page: Image.Image, rng: random.Random, *, rotation: int, skew_deg: float,
            effects: list[str], dpi: int) -> Image.Image:
    """The degraded page as RGB (grey-looking pages stay R=G=B). See `degrade_scan`."""
    return degrade_scan(page, rng, rotation=rotation, skew_deg=skew_deg, effects=effects, dpi=dpi).convert("RGB")


def degrade_scan(page: Image.Image, rng: random.Random, *, rotation: int, skew_deg: float,
                 effects: list[str], dpi: int) -> Image.Image:
    """Like `degrade` but returns "L" when the result has no colour (as a grey scan would)."""
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
    unknown = set(effects) - set(EFFECTS)
    if unknown:
        raise ValueError(f"unknown effects {sorted(unknown)}")
    nprng = np.random.default_rng(rng.getrandbits(64))
    a = np.asarray(page.convert("RGB"))
    if _achromatic(a) and "colour_paper" not in effects and "stain" not in effects:
        a = a[..., 0].copy()
    a = _ink_and_paper(a, rng, effects)
    a = _paper_field(a, rng, nprng, "stain" in effects)
    if skew_deg:
        a = rotate_expand(a, skew_deg, _border_colour(a))
    if rotation:
        a = np.ascontiguousarray(np.rot90(a, k=-rotation // 90))  # k < 0: clockwise
    if "blur" in effects:
        sigma = rng.uniform(0.5, 1.4) * dpi / 300
        a = cv2.GaussianBlur(a, (0, 0), sigma)
    if "grayscale" in effects and a.ndim == 3:
        a = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
    if "noise" in effects:
        a = _noise(a, nprng, rng.uniform(4, 14))
    img = Image.fromarray(a)
    if "jpeg" in effects:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=rng.randint(15, 45))
        img = Image.open(io.BytesIO(buf.getvalue()))
        img.load()
    img.info["dpi"] = (dpi, dpi)
    return img


def rotate_expand(a: np.ndarray, angle: float, fill) -> np.ndarray:
    """Counter-clockwise rotation on an expanded canvas: PIL's Image.rotate(angle, expand=True)
    geometry (same output size and mapping), done by OpenCV because it is several times faster."""
    h, w = a.shape[:2]
    rad = -math.radians(angle)
    c, s = round(math.cos(rad), 15), round(math.sin(rad), 15)
    # PIL's output -> input affine map about the centre, canvas from the turned corners
    tx, ty = -c * w / 2 - s * h / 2 + w / 2, s * w / 2 - c * h / 2 + h / 2
    xs = [c * x + s * y + tx for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
    ys = [-s * x + c * y + ty for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
    nw = math.ceil(max(xs)) - math.floor(min(xs))
    nh = math.ceil(max(ys)) - math.floor(min(ys))
    tx, ty = c * -(nw - w) / 2 + s * -(nh - h) / 2 + tx, -s * -(nw - w) / 2 + c * -(nh - h) / 2 + ty
    # PIL samples at pixel centres (i + 0.5); OpenCV at integer indices
    m = np.array([[c, s, tx + 0.5 * (c + s) - 0.5], [-s, c, ty + 0.5 * (c - s) - 0.5]], np.float64)
    border = fill if isinstance(fill, tuple) else (fill,)
    return cv2.warpAffine(a, m, (nw, nh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _noise(a: np.ndarray, nprng: np.random.Generator, sigma: float) -> np.ndarray:
    """Gaussian sensor noise: random bytes mapped through the normal quantiles (much faster
    than drawing floats), added around an offset of 128."""
    z = np.array([NormalDist().inv_cdf((i + 0.5) / 256) for i in range(256)])
    lut = np.clip(np.round(128 + sigma * z), 0, 255).astype(np.uint8)
    raw = np.frombuffer(nprng.bytes(a.size), np.uint8).reshape(a.shape)
    return cv2.addWeighted(a, 1.0, cv2.LUT(raw, lut), 1.0, -128.0)


def _achromatic(a: np.ndarray) -> bool:
    s = a[::4, ::4].astype(np.int16)
    return int(np.abs(s[..., 0] - s[..., 1]).max()) <= 6 and int(np.abs(s[..., 1] - s[..., 2]).max()) <= 6


def _ink_and_paper(a: np.ndarray, rng: random.Random, effects: list[str]) -> np.ndarray:
    """Faint print lifts the ink toward white; tinted paper multiplies white by a colour."""
    k = rng.uniform(0.35, 0.6) if "faint" in effects else 1.0
    if "grey_paper" in effects:
        g = rng.randint(185, 228)
        tint = (g, g, g)
    elif "colour_paper" in effects:
        tint = (rng.randint(240, 252), rng.randint(228, 242), rng.randint(185, 215)) if rng.random() < 0.65 \
            else (rng.randint(205, 225), rng.randint(222, 236), rng.randint(240, 252))
    else:
        tint = (255, 255, 255)
    if k == 1.0 and tint == (255, 255, 255):
        return a
    v = np.arange(256, dtype=np.float32)
    base = 255 - (255 - v) * k
    if a.ndim == 2 and len(set(tint)) == 1:
        return cv2.LUT(a, np.clip(base * tint[0] / 255, 0, 255).astype(np.uint8))
    if a.ndim == 2:
        a = cv2.cvtColor(a, cv2.COLOR_GRAY2RGB)
    lut = np.stack([base * t / 255 for t in tint], axis=-1)[None]
    return cv2.LUT(a, np.clip(lut, 0, 255).astype(np.uint8))


def _paper_field(a: np.ndarray, rng: random.Random, nprng: np.random.Generator, stain: bool) -> np.ndarray:
    """Low-frequency paper texture and soft stains, built small and scaled up."""
    h, w = a.shape[:2]
    sh, sw = max(8, h // 16), max(8, w // 16)
    tex = cv2.resize(nprng.normal(1.0, 0.012, (max(2, sh // 8), max(2, sw // 8))).astype(np.float32),
                     (sw, sh), interpolation=cv2.INTER_CUBIC)
    field = np.repeat(tex[..., None], 3, axis=2)
    if stain:
        yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
        for _ in range(rng.randint(1, 3)):
            cx, cy = rng.uniform(0, sw), rng.uniform(0, sh)
            r = rng.uniform(0.06, 0.2) * min(sw, sh)
            wobble = cv2.resize(nprng.normal(0, 0.15, (6, 6)).astype(np.float32), (sw, sh),
                                interpolation=cv2.INTER_CUBIC)
            d = np.hypot((xx - cx) / r, (yy - cy) / (r * rng.uniform(0.6, 1.4))) + wobble
            strength = rng.uniform(0.15, 0.45)
            alpha = strength * (np.clip(1 - d, 0, 1) ** 0.5 * 0.6 + 0.5 * np.exp(-((d - 1) / 0.08) ** 2))
            colour = np.array([rng.randint(150, 200), rng.randint(115, 160), rng.randint(60, 110)], np.float32)
            field *= 1 - alpha[..., None] * (1 - colour / 255)
    if a.ndim == 2:
        field = field[..., 0]
    # fixed point: 200 means 1.0, so the uint8 field spans 0..1.27 and the multiply stays 8-bit
    small = np.clip(np.round(field * 200), 0, 255).astype(np.uint8)
    big = cv2.resize(np.ascontiguousarray(small), (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(a, big, scale=1 / 200)


def _border_colour(a: np.ndarray) -> tuple[int, ...] | int:
    edge = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    med = np.median(edge, axis=0)
    return int(med) if a.ndim == 2 else tuple(int(v) for v in med)
