"""Things on real documents that are not typed text: header rules, signatures, red seals,
the national emblem, a QR-like code. They make pages look (and segment) like real scans;
none of them is recorded in the page text.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from .sheet import Sheet

HEADER_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
HEADER_2 = "Độc lập - Tự do - Hạnh phúc"
SEAL_RED = (205, 35, 45)


def national_header(sheet: Sheet, cx: float, pt: float, gap: float = 1.35) -> None:
    """The two header lines, the motto underlined by a rule as long as itself."""
    f1 = sheet.font(pt, bold=True)
    f2 = sheet.font(pt + 0.5, bold=True)
    sheet.put(cx, HEADER_1, f1, anchor="ms", record=True)
    sheet.y += sheet.lh(f1, gap)
    sheet.center(HEADER_2, f2, cx=cx, underline=1.0, advance=False)
    sheet.y += sheet.lh(f2, gap)


def _stroke(points: np.ndarray) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in points]


def signature(sheet: Sheet, cx: float, cy: float, rng: random.Random, width_mm: float = 30) -> None:
    """A handwritten-looking scribble in ballpoint blue (sometimes black)."""
    w, h = sheet.mm(width_mm), sheet.mm(width_mm * 0.3)
    t = np.linspace(0, 1, 220)
    loops = rng.uniform(3, 6)
    x = cx - w / 2 + w * t + w * 0.06 * np.sin(2 * math.pi * loops * t + rng.uniform(0, 6))
    y = cy + h * 0.5 * np.sin(2 * math.pi * loops * 0.5 * t) * np.cos(2 * math.pi * (loops + 1.3) * t)
    colour = (25, 40, 150) if rng.random() < 0.8 else (30, 30, 30)
    sheet.draw.line(_stroke(np.stack([x, y], 1)), fill=colour, width=max(2, sheet.dpi // 110), joint="curve")
    tail = [(cx + w * 0.35, cy + h * 0.1), (cx + w * 0.55, cy - h * 0.4)]
    sheet.draw.line(tail, fill=colour, width=max(2, sheet.dpi // 120))


def seal(sheet: Sheet, cx: float, cy: float, ring_text: str, rng: random.Random,
         diameter_mm: float = 36) -> None:
    """Round red stamp multiplied onto the page, like real ink over the signature."""
    r = sheet.mm(diameter_mm) / 2
    size = int(2 * r + 4)
    layer = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(layer)
    c = size / 2
    lw = max(2, sheet.dpi // 75)
    for rr in (r - 1, r * 0.64):
        d.ellipse([c - rr, c - rr, c + rr, c + rr], outline=SEAL_RED, width=lw)
    _star(d, c, c, r * 0.22, SEAL_RED)
    text = ring_text.upper()
    span = min(300.0, 14.0 * len(text))
    rad = r * 0.82
    per_char = math.radians(span) * rad / len(text)  # arc length each letter gets
    pt = min(diameter_mm * 0.3, per_char / 0.75 * 72 / sheet.dpi)
    font = sheet.font(pt, bold=True, family="Liberation Sans")
    for i, ch in enumerate(text):
        ang = math.radians(-90 - span / 2 + span * (i + 0.5) / len(text))
        glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(glyph).text((font.size, font.size), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(ang) - 90, resample=Image.BICUBIC)
        gx = int(c + rad * math.cos(ang) - font.size)
        gy = int(c + rad * math.sin(ang) - font.size)
        layer.paste(SEAL_RED, (gx, gy), glyph)
    layer = layer.rotate(rng.uniform(-25, 25), resample=Image.BICUBIC, fillcolor=(255, 255, 255))
    box = (int(cx - c), int(cy - c))
    region = sheet.img.crop((box[0], box[1], box[0] + size, box[1] + size))
    sheet.img.paste(ImageChops.multiply(region, layer), box)


def _star(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill) -> None:
    pts = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * 0.4
        a = math.radians(-90 + 36 * k)
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    d.polygon(pts, fill=fill)


def emblem(img: Image.Image, cx: float, cy: float, r: float) -> None:
    """Simplified national emblem: red disc, yellow star, golden rim."""
    d = ImageDraw.Draw(img)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(225, 170, 40))
    d.ellipse([cx - r * 0.82, cy - r * 0.82, cx + r * 0.82, cy + r * 0.82], fill=(200, 30, 35))
    _star(d, cx, cy - r * 0.05, r * 0.5, (250, 220, 60))
    for k in range(12):  # the cogwheel rim of the real emblem, roughly
        a = math.radians(30 * k)
        x, y = cx + r * 0.92 * math.cos(a), cy + r * 0.92 * math.sin(a)
        d.ellipse([x - r * 0.09, y - r * 0.09, x + r * 0.09, y + r * 0.09], fill=(240, 200, 70))


def qr_like(img: Image.Image, x: int, y: int, size: int, rng: random.Random) -> None:
    """A 25x25 module pattern with finder squares (looks like the chip card's QR code)."""
    n = 25
    mods = np.array([[rng.random() < 0.5 for _ in range(n)] for _ in range(n)])
    for fx, fy in ((0, 0), (n - 7, 0), (0, n - 7)):
        mods[fy:fy + 7, fx:fx + 7] = False
        mods[fy, fx:fx + 7] = mods[fy + 6, fx:fx + 7] = True
        mods[fy:fy + 7, fx] = mods[fy:fy + 7, fx + 6] = True
        mods[fy + 2:fy + 5, fx + 2:fx + 5] = True
    tile = Image.fromarray(np.where(mods, 0, 255).astype(np.uint8)).resize((size, size), Image.NEAREST)
    img.paste(tile.convert("RGB"), (x, y))
