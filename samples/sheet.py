"""A page being typeset: fonts, positions in millimetres, and the text it carries.

Every call that prints words also records them, in call order, so a form's layout
function states the reading order simply by the order it draws in. Dotted leaders are
drawn but never recorded: they are not text.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

_FONT_ROOT = "/usr/share/fonts/truetype/"


@cache
def _liberation_dir() -> str:
    """Liberation 1.x (fonts/truetype/liberation) has no Vietnamese letters; 2.x does."""
    for d in ("liberation2", "liberation"):
        path = f"{_FONT_ROOT}{d}/LiberationSerif-Regular.ttf"
        if os.path.exists(path) and "ệ" in _coverage(path):
            return d
    raise RuntimeError("no Liberation font with Vietnamese glyphs under " + _FONT_ROOT)


@cache
def _coverage(path: str) -> frozenset[str]:
    from fontTools.ttLib import TTFont
    return frozenset(chr(c) for c in TTFont(path, lazy=True).getBestCmap())


FAMILIES: dict[str, tuple[str, str, str, str]] = {
    "Liberation Serif": tuple(f"liberation/LiberationSerif-{s}.ttf"
                              for s in ("Regular", "Bold", "Italic", "BoldItalic")),
    "DejaVu Serif": tuple(f"dejavu/DejaVuSerif{s}.ttf" for s in ("", "-Bold", "-Italic", "-BoldItalic")),
    "DejaVu Serif Condensed": tuple(f"dejavu/DejaVuSerifCondensed{s}.ttf"
                                    for s in ("", "-Bold", "-Italic", "-BoldItalic")),
    "Liberation Sans": tuple(f"liberation/LiberationSans-{s}.ttf"
                             for s in ("Regular", "Bold", "Italic", "BoldItalic")),
    "DejaVu Sans": tuple(f"dejavu/DejaVuSans{s}.ttf" for s in ("", "-Bold", "-Oblique", "-BoldOblique")),
}
# Liberation Serif stands in for Times New Roman, the face nearly all forms use.
FAMILY_WEIGHTS = {"Liberation Serif": 0.62, "DejaVu Serif": 0.08, "DejaVu Serif Condensed": 0.1,
                  "Liberation Sans": 0.12, "DejaVu Sans": 0.08}
A4_MM = (210.0, 297.0)


@lru_cache(maxsize=512)
def load_font(path: str, px: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: NFC text needs no shaping, and it renders the same with or without raqm
    if path.startswith("liberation/"):
        path = _liberation_dir() + path[len("liberation"):]
    return ImageFont.truetype(_FONT_ROOT + path, px, layout_engine=ImageFont.Layout.BASIC)


@dataclass(frozen=True)
class Style:
    """Per-document typographic choices, varied so the pipeline is not tuned to one look."""
    family: str = "Liberation Serif"
    size_pt: float = 13.0
    line_gap: float = 1.75     # baseline distance / font size
    leader: str = ". "         # ". " (spaced dots), "." (tight dots) or "" (no leaders)
    leader_mode: str = "after"  # "after": value then dots; "between": dots up to a value tab
    ink: tuple[int, int, int] = (20, 20, 20)
    margin_mm: tuple[float, float, float] = (25.0, 18.0, 18.0)  # left, right, top
    numeric_dates: bool = True


def choose_style(rng: random.Random, size: tuple[float, float] = (12.0, 14.0)) -> Style:
    family = rng.choices(list(FAMILY_WEIGHTS), list(FAMILY_WEIGHTS.values()))[0]
    shrink = 0.92 if family.startswith("DejaVu") and "Condensed" not in family else 1.0
    return Style(
        family=family,
        size_pt=round(rng.uniform(*size) * shrink, 1),
        line_gap=round(rng.uniform(1.55, 1.95), 2),
        leader=rng.choices([". ", ".", ""], [0.5, 0.4, 0.1])[0],
        leader_mode=rng.choice(["after", "between"]),
        ink=(rng.randint(0, 35),) * 3,
        margin_mm=(rng.uniform(20, 30), rng.uniform(15, 20), rng.uniform(15, 22)),
        numeric_dates=rng.random() < 0.6,
    )


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Placed:
    """Where one `put` drew its text: later effects (a red title, a number rewritten by
    hand, a seal over the signer) find their spot from these without redoing the layout."""
    text: str
    left: float        # x of the text's start
    baseline: float
    box: tuple[float, float, float, float]  # ink box (x0, y0, x1, y1)
    font: ImageFont.FreeTypeFont
    fill: tuple[int, int, int]


class Sheet:
    def __init__(self, size_mm: tuple[float, float], dpi: int, style: Style,
                 paper: tuple[int, int, int] = (255, 255, 255)):
        self.dpi, self.style = dpi, style
        self.img = Image.new("RGB", (self.mm(size_mm[0]), self.mm(size_mm[1])), paper)
        self.draw = ImageDraw.Draw(self.img)
        self.lines: list[str] = []
        self.placed: list[Placed] = []
        self.left = self.mm(style.margin_mm[0])
        self.right = self.img.width - self.mm(style.margin_mm[1])
        self.y = self.mm(style.margin_mm[2])

    # -- units and fonts -------------------------------------------------------------
    def mm(self, v: float) -> int:
        return round(v * self.dpi / 25.4)

    def font(self, pt: float | None = None, bold: bool = False, italic: bool = False,
             family: str | None = None) -> ImageFont.FreeTypeFont:
        paths = FAMILIES[family or self.style.family]
        px = max(6, round((pt or self.style.size_pt) * self.dpi / 72))
        return load_font(paths[bold + 2 * italic], px)

    def lh(self, font: ImageFont.FreeTypeFont, gap: float | None = None) -> int:
        return round(font.size * (gap or self.style.line_gap))

    def nl(self, font: ImageFont.FreeTypeFont, k: float = 1.0) -> None:
        self.y += round(self.lh(font) * k)

    @property
    def cx(self) -> int:
        return (self.left + self.right) // 2

    # -- drawing -------------------------------------------------------------------
    def record(self, *parts: str) -> None:
        line = clean(" ".join(parts))
        if line:
            self.lines.append(line)

    def put(self, x: float, text: str, font, y: float | None = None, fill=None,
            anchor: str = "ls", record: bool = False) -> float:
        """Draw `text` with its baseline at y; returns the right edge."""
        y = self.y if y is None else y
        fill = fill or self.style.ink
        self.draw.text((x, y), text, font=font, fill=fill, anchor=anchor)
        if record:
            self.record(text)
        w = font.getlength(text)
        left = x if anchor[0] == "l" else (x - w / 2 if anchor[0] == "m" else x - w)
        box = self.draw.textbbox((x, y), text, font=font, anchor=anchor)
        self.placed.append(Placed(text, left, y, box, font, fill))
        return x + w if anchor[0] == "l" else (x + w / 2 if anchor[0] == "m" else x)

    def dots(self, x0: float, x1: float, font, y: float | None = None) -> None:
        unit = self.style.leader
        if not unit:
            return
        gap = font.size * 0.25
        n = int((x1 - x0 - 2 * gap) / font.getlength(unit))
        if n > 1:
            self.put(x0 + gap, unit * n, font, y)

    def rule(self, x0: float, x1: float, y: float, width: int = 0) -> None:
        self.draw.line([(x0, y), (x1, y)], fill=self.style.ink, width=width or max(1, self.dpi // 150))

    def center(self, text: str, font, cx: float | None = None, underline: float = 0.0,
               advance: bool = True) -> None:
        """Centred line; underline > 0 draws a rule that long (a fraction of the text width)."""
        cx = self.cx if cx is None else cx
        self.put(cx, text, font, anchor="ms", record=True)
        if underline:
            half = font.getlength(text) * underline / 2
            y = self.y + font.size * 0.3
            self.rule(cx - half, cx + half, y)
        if advance:
            self.nl(font)

    def wrap(self, text: str, font, width: float, first_width: float | None = None) -> list[str]:
        lines, cur = [], ""
        limit = first_width if first_width is not None else width
        for word in text.split():
            trial = f"{cur} {word}".strip()
            if cur and font.getlength(trial) > limit:
                lines.append(cur)
                cur, limit = word, width
            else:
                cur = trial
        if cur:
            lines.append(cur)
        return lines

    def paragraph(self, text: str, font, x0: float | None = None, x1: float | None = None,
                  indent: float = 0.0, justify: bool = True, gap: float | None = None) -> None:
        """Word-wrapped paragraph, justified like Nghị định 30 body text."""
        x0 = self.left if x0 is None else x0
        x1 = self.right if x1 is None else x1
        lines = self.wrap(text, font, x1 - x0, x1 - x0 - indent)
        for i, line in enumerate(lines):
            x = x0 + (indent if i == 0 else 0)
            words = line.split()
            if justify and i < len(lines) - 1 and len(words) > 1:
                spare = (x1 - x) - sum(font.getlength(w) for w in words)
                step = spare / (len(words) - 1)
                for w in words:
                    x = self.put(x, w, font) + step
            else:
                self.put(x, line, font)
            self.record(line)
            self.y += self.lh(font, gap)

    def row(self, items: list[tuple[str, str]], tabs: list[float] | None = None,
            label_font=None, value_font=None, value_tab: float | None = None,
            x1: float | None = None) -> None:
        """One form line of `label value` items with dotted leaders; the last value wraps.

        tabs: x of each item's label (first defaults to the left margin).
        value_tab: in "between" mode, the x the first item's value starts at.
        """
        label_font = label_font or self.font()
        value_font = value_font or label_font
        x1 = self.right if x1 is None else x1
        tabs = list(tabs or [self.left])
        parts: list[str] = []
        space = label_font.getlength(" ")
        for i, (label, value) in enumerate(items):
            if i + 1 < len(items):  # a long value pushes the next item right rather than overlap it
                need = label_font.getlength(label) + value_font.getlength(value) + space * 4
                tabs[i + 1] = max(tabs[i + 1], tabs[i] + need)
            end = tabs[i + 1] - space * 2 if i + 1 < len(items) else x1
            x = self.put(tabs[i], label, label_font) + space
            if self.style.leader_mode == "between":
                target = value_tab if (i == 0 and value_tab) else x + space * 3
                if target > x + space * 2 and target < end - value_font.getlength(value):
                    self.dots(x, target, label_font)
                    x = target
            rest = ""
            if i + 1 == len(items) and x + value_font.getlength(value) > end:
                first, *more = self.wrap(value, value_font, x1 - self.left, end - x) or [""]
                if more and value_font.getlength(first) > end - x:  # not even one word fits
                    first, more = "", [value]
                value, rest = first, " ".join(more)
            x = self.put(x, value, value_font)
            if self.style.leader_mode == "after" or i + 1 < len(items):
                self.dots(x, end, label_font)
            parts += [label, value]
        self.record(*parts)
        self.nl(label_font)
        for line in self.wrap(rest, value_font, x1 - self.left) if rest else []:
            x = self.put(self.left, line, value_font)
            self.dots(x, x1, label_font)
            self.record(line)
            self.nl(label_font)
