"""Blocks shared by several layouts: the two-column letterhead of Nghị định 30/2020
(agency left, national header right), centred titles and the signer's block.
"""

from __future__ import annotations

import random
from datetime import date

from . import ornaments
from .fake import Place, make_name
from .sheet import Sheet, clean
from .vnwords import long_date


def title(sheet: Sheet, text: str, pt: float, before: float = 0.6, after: float = 0.4) -> None:
    f = sheet.font(pt, bold=True)
    sheet.nl(f, before)
    for line in text.split("\n"):
        sheet.center(line, f)
    sheet.nl(f, after)


def letterhead(sheet: Sheet, left: list[tuple[str, bool]], left_after: list[tuple[str, str]],
               right_after: list[tuple[str, str]], pt: float) -> tuple[float, float]:
    """Agency block top left, national header top right, each with lines under it.

    left: (text, bold) agency lines, wrapped to the column and ruled under the last one.
    left_after / right_after: (text, "regular"|"italic") lines under each block.
    Reading order recorded: the whole left block, then the whole right block.
    Returns the centres of the two columns.
    """
    hf = sheet.font(pt, bold=True)
    right_cx = sheet.right - hf.getlength(ornaments.HEADER_1) / 2 + sheet.mm(3)
    col = right_cx - hf.getlength(ornaments.HEADER_1) / 2 - sheet.mm(4) - sheet.left
    left_cx = sheet.left + col / 2 - sheet.mm(4)
    y0 = sheet.y
    last_font = hf
    for text, bold in left:
        f = sheet.font(pt, bold=bold)
        for line in sheet.wrap(text, f, col + sheet.mm(6)):
            sheet.put(left_cx, line, f, anchor="ms", record=True)
            sheet.y += sheet.lh(f, 1.3)
            last_font = f
    rule_y = sheet.y - sheet.lh(last_font, 1.3) + last_font.size * 0.5
    sheet.rule(left_cx - sheet.mm(12), left_cx + sheet.mm(12), rule_y)
    sheet.y += sheet.mm(3)
    _under(sheet, left_cx, left_after, pt, col + sheet.mm(4))
    y_left, sheet.y = sheet.y, y0
    ornaments.national_header(sheet, right_cx, pt, gap=1.3)
    sheet.y += sheet.mm(3)
    _under(sheet, right_cx, right_after, pt, sheet.right - sheet.left - col, italic_pt=pt + 1)
    sheet.y = max(sheet.y, y_left)
    return left_cx, right_cx


def _under(sheet: Sheet, cx: float, lines: list[tuple[str, str]], pt: float, width: float,
           italic_pt: float | None = None) -> None:
    for text, kind in lines:
        f = sheet.font(italic_pt if kind == "italic" and italic_pt else pt, italic=kind == "italic")
        for line in sheet.wrap(text, f, width):
            sheet.put(cx, line, f, anchor="ms", record=True)
            sheet.y += sheet.lh(f, 1.3)


def place_date(where: str, when: date, nd30: bool = True) -> str:
    return f"{where}, {long_date(when, nd30)}"


def signer(sheet: Sheet, rng: random.Random, titles: list[str], name: str, cx: float,
           note: str | None = None, seal_text: str | None = None, pt: float | None = None) -> None:
    """Signer's title lines (bold capitals), optional italic note, signature, seal, name."""
    pt = pt or sheet.style.size_pt
    bf = sheet.font(pt, bold=True)
    for t in titles:
        sheet.put(cx, t, bf, anchor="ms", record=True)
        sheet.y += sheet.lh(bf, 1.3)
    if note:
        nf = sheet.font(pt - 1.5, italic=True)
        for line in sheet.wrap(note, nf, sheet.mm(85)):
            sheet.put(cx, line, nf, anchor="ms", record=True)
            sheet.y += sheet.lh(nf, 1.3)
    gap = sheet.mm(rng.uniform(24, 32))
    ornaments.signature(sheet, cx + sheet.mm(rng.uniform(-4, 8)), sheet.y + gap * 0.4, rng)
    if seal_text:  # the seal overlaps the left part of the signature, as the clerk stamps it
        ornaments.seal(sheet, cx - sheet.mm(rng.uniform(14, 20)), sheet.y + gap * 0.4, seal_text, rng,
                       diameter_mm=rng.uniform(30, 34))
    sheet.y += gap
    sheet.put(cx, name, bf, anchor="ms", record=True)
    sheet.y += sheet.lh(bf, 1.3)


def hospital(rng: random.Random, place: Place) -> str:
    """A plausible place of birth or death."""
    kind = rng.random()
    if kind < 0.45:
        return f"Bệnh viện Đa khoa {place.province_label}"
    if kind < 0.75:
        return f"Trung tâm Y tế {place.district_kind} {place.district}, {place.province_label}"
    return f"Trạm Y tế {place.commune_level()}"


def official_name(rng: random.Random) -> str:
    return clean(make_name(rng, rng.choice(("Nam", "Nữ"))).title())
