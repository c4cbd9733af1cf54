"""Writing by hand on a typeset page: a number or date filled into a printed blank in
ballpoint blue, and a pencil note in the margin.

Real registers print the form and a clerk writes the number and date in later, so the
value sits in another "font", slanted, off the baseline. The page's recorded text does
not change (the same characters are there); only the pixels do.
"""

from __future__ import annotations

import random
import re

import numpy as np
from PIL import Image, ImageDraw

from ..sheet import Placed, Sheet, load_font

# Oblique faces that carry Vietnamese letters (installed by scripts/install.sh); a real
# hand is imitated by shear, jitter and size changes on top of them.
HAND_FONTS = ("dejavu/DejaVuSans-Oblique.ttf", "liberation/LiberationSerif-Italic.ttf",
              "liberation/LiberationSans-Italic.ttf", "dejavu/DejaVuSerif-Italic.ttf")
PEN_BLUE = ((25, 45, 160), (20, 30, 120), (40, 60, 175))
PENCIL_NOTES = ("Đã đối chiếu", "Lưu hồ sơ", "Đã sao 02 bản", "Kiểm tra lại", "Đã nhập máy",
                "Bản chính", "Chuyển VP", "HS số 45", "Trả kết quả", "Đã scan")


def handwrite(sheet: Sheet, rng: random.Random, pattern: str) -> bool:
    """Redraw, by hand, the `hand` group of the first placed text matching `pattern`.

    The printed characters are wiped (the page is still clean white paper here) and the
    same characters written over the blank. Returns False when nothing matched.
    """
    for p in sheet.placed:
        m = re.search(pattern, p.text)
        if m:
            _rewrite(sheet, rng, p, m.start("hand"), m.end("hand"))
            return True
    return False


def _rewrite(sheet: Sheet, rng: random.Random, p: Placed, start: int, end: int) -> None:
    x0 = p.left + p.font.getlength(p.text[:start])
    x1 = x0 + p.font.getlength(p.text[start:end])
    pad = max(1, p.font.size // 12)
    sheet.draw.rectangle([x0 - pad, p.box[1] - pad, x1 + pad, p.box[3] + pad], fill=(255, 255, 255))
    size = round(p.font.size * rng.uniform(1.0, 1.2))
    layer, base = _hand_layer(p.text[start:end], size, rng.choice(PEN_BLUE), rng, alpha=235)
    room = (x1 - x0) * 1.08 + size * 0.5  # a clerk squeezes the value into the blank
    if layer.width > room:
        layer = layer.resize((round(room), layer.height), Image.BICUBIC)
    _stamp(sheet.img, layer, x0 - size * 0.45, p.baseline - base)


def pencil_note(sheet: Sheet, rng: random.Random) -> str:
    """A short grey note in the top or left margin; returns its text (it is on the page)."""
    text = rng.choice(PENCIL_NOTES)
    size = round(sheet.mm(rng.uniform(3.2, 4.5)))
    grey = rng.randint(95, 140)
    layer, base = _hand_layer(text, size, (grey, grey, grey + 5), rng, alpha=rng.randint(150, 210),
                              grain=True)
    w, h = sheet.img.size
    if rng.random() < 0.5:  # top margin, in the free band above the header
        x, y = rng.uniform(0.45, 0.75) * w, sheet.mm(rng.uniform(5.5, 8.5)) - base
    else:                   # left margin, turned up the page like a note written sideways
        layer = layer.rotate(90, expand=True)
        x, y = sheet.mm(rng.uniform(5.5, 8.5)) - base, rng.uniform(0.3, 0.6) * h
    _stamp(sheet.img, layer, x, y)
    return text


def _hand_layer(text: str, size: int, colour: tuple[int, int, int], rng: random.Random,
                alpha: int, grain: bool = False) -> tuple[Image.Image, float]:
    """`text` written letter by letter (each with its own size and baseline), then slanted
    and turned a little as a whole: RGBA, transparent around the ink, and the y of its
    baseline (the text starts half a letter in from the left edge)."""
    font_path = rng.choice(HAND_FONTS)
    w = int(size * (0.75 * len(text) + 2))
    mask = Image.new("L", (w, size * 3), 0)
    d = ImageDraw.Draw(mask)
    x, base = size * 0.5, size * 2.0
    for ch in text:
        f = load_font(font_path, max(6, round(size * rng.uniform(0.9, 1.1))))
        d.text((x, base + size * rng.uniform(-0.07, 0.07)), ch, font=f, fill=255, anchor="ls")
        x += f.getlength(ch) * rng.uniform(0.92, 1.12)
    shear = rng.uniform(0.12, 0.3)
    mask = mask.transform(mask.size, Image.AFFINE, (1, shear, -shear * base, 0, 1, 0), Image.BICUBIC)
    mask = mask.rotate(rng.uniform(-5, 5), resample=Image.BICUBIC, center=(size * 0.5, base))
    mask = mask.crop((0, 0, min(w, int(x + size)), mask.height))
    a = np.asarray(mask, np.float32) * (alpha / 255)
    if grain:  # graphite leaves broken strokes
        a *= np.random.default_rng(rng.getrandbits(32)).uniform(0.45, 1.0, a.shape)
    layer = Image.new("RGBA", mask.size, colour + (0,))
    layer.putalpha(Image.fromarray(a.astype(np.uint8)))
    return layer, base


def _stamp(img: Image.Image, layer: Image.Image, x: float, y: float) -> None:
    """Alpha-composite `layer` onto `img` (RGB) with its top left at (x, y)."""
    box = (int(x), int(y))
    region = img.crop((box[0], box[1], box[0] + layer.width, box[1] + layer.height)).convert("RGBA")
    img.paste(Image.alpha_composite(region, layer).convert("RGB"), box)
