"""Inputs that are not a document page at all, which an archive still receives: a single
line of text cropped out of a page, and a long narrow strip (a folder's spine label).
Their truth is `document_type: null` with no fields: they must be archived, not fail.
"""

from __future__ import annotations

import random

from .. import admin_text as T
from ..fake import make_place
from ..sheet import Sheet, choose_style

KINDS = ("line", "strip")


def tiny_page(rng: random.Random, dpi: int, kind: str) -> Sheet:
    style = choose_style(rng)
    if kind == "line":  # a sentence of a letter's body, cut out with a little margin
        font_pt = style.size_pt
        text = rng.choice([s for s in T.ITEMS + T.REPORT if "{" not in s]).split(";")[0]
        words = text.split()[: rng.randint(6, 11)]
        text = " ".join(words)
        probe = Sheet((10.0, 10.0), dpi, style)
        width_mm = probe.font(font_pt).getlength(text) * 25.4 / dpi + rng.uniform(6, 14)
        sheet = Sheet((width_mm, font_pt * 25.4 / 72 * rng.uniform(1.8, 2.6)), dpi, style)
        sheet.put(sheet.mm(rng.uniform(2, 5)), text, sheet.font(font_pt),
                  y=sheet.img.height * rng.uniform(0.62, 0.72), record=True)
        return sheet
    place = make_place(rng, detail=False)  # "strip": the spine label of an archive box
    text = (f"Phông UBND {place.commune_kind} {place.commune} - Mục lục số {rng.randint(1, 9):02d} - "
            f"Hộp số {rng.randint(1, 120)} - Năm {rng.randint(1995, 2023)}")
    sheet = Sheet((rng.uniform(230, 290), rng.uniform(11, 16)), dpi, style)
    font = sheet.font(rng.uniform(12, 15), bold=True)
    sheet.put(sheet.img.width / 2, text, font, y=sheet.img.height * 0.66, anchor="ms", record=True)
    sheet.rule(sheet.mm(3), sheet.img.width - sheet.mm(3), sheet.mm(1.5))
    return sheet
