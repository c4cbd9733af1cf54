"""One realistic document: a form variant, marks made on the paper, then how it was
captured (phone photo, flatbed scan of aged paper, card scan).

The marks (red titles, a number or date written by hand, a seal over the signer, a
pencil note, tinted guilloche paper) belong to the paper and are drawn on the typeset
sheet, so every capture can carry them; none changes a field's value.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from PIL import Image

from ..degrade import degrade_scan, rotate_expand
from ..form_id_card import id_card
from ..render import BUILDERS, FIELD_KEYS, nfc, page_size_mm
from ..sheet import Sheet, clean
from ..vnwords import dmy
from . import hand, paper
from .admin import admin_variant
from .birth import birth_variant
from .cards import card_variant
from .land import land_variant
from .photo import photograph

Builder = Callable[[random.Random, int], tuple[dict, list[Sheet]]]


def _variant(fn, variant: str) -> Builder:
    return lambda rng, dpi: fn(rng, dpi, variant)


# Per type: variant name -> builder. "standard" reuses the standard family's form as is.
VARIANTS: dict[str, dict[str, Builder]] = {
    "giay_khai_sinh": {v: _variant(birth_variant, v) for v in
                       ("tt04", "old", "trich_luc", "ban_sao", "trich_luc_ban_sao")},
    "can_cuoc": {"cccd_2016": _variant(card_variant, "cccd_2016"), "cccd_2021": id_card,
                 "can_cuoc_2024": _variant(card_variant, "can_cuoc_2024")},
    "giay_chung_nhan_qsdd": {v: _variant(land_variant, v) for v in ("couple", "page2", "book")},
    "van_ban_hanh_chinh": {v: _variant(admin_variant, v) for v in ("cong_van", "two_level", "ubnd")},
    **{t: {"standard": BUILDERS[t]} for t in
       ("giay_chung_nhan_ket_hon", "trich_luc_khai_tu", "xac_nhan_tinh_trang_hon_nhan")},
}
CAPTURES = {"can_cuoc": ("card_scan", "photo")}  # the others: ("photo", "scan")


@dataclass
class Captured:
    fields: dict
    images: list[Image.Image]
    pages: list[dict]   # truth page records
    effects: list[str]  # of the whole document, in order
    photo: bool = False


def make_document(kind: str, variant: str, capture: str, rng: random.Random,
                  scan_dpi: int) -> Captured:
    card = kind == "can_cuoc"
    render_dpi = 300 if card else (200 if capture == "photo" else scan_dpi)
    fields, sheets = VARIANTS[kind][variant](rng, render_dpi)
    fields = _truth(kind, fields)
    doc = Captured(fields, [], [], [], photo=capture == "photo")
    marks = None if card else _choose_marks(capture, rng, doc.effects)
    for index, sheet in enumerate(sheets):
        text = _mark(sheet, kind, fields, marks, rng, doc.effects) if marks else "\n".join(sheet.lines)
        page_effects: list[str] = []
        if capture == "photo":
            dpis = (180.0, 300.0) if card else (70.0, 150.0)
            img, info = photograph(sheet.img, page_size_mm(kind), rng, dpis)
            page_effects += info["effects"]
            rotation, skew, dpi = info["rotation"], info["skew_deg"], info["dpi"]
        elif capture == "card_scan":
            img, rotation, skew = _card_scan(sheet, rng, page_effects)
            dpi = render_dpi
        else:
            img, rotation, skew = _flatbed(sheet, rng, page_effects)
            dpi = render_dpi
        doc.images.append(img)
        doc.pages.append({"index": index, "text": nfc(text), "rotation": rotation, "skew_deg": skew,
                          "dpi": dpi, "degraded": True, "degradations": page_effects})
        for e in page_effects:
            _add(doc.effects, e)
    return doc


def _choose_marks(capture: str, rng: random.Random, effects: list[str]) -> dict:
    """What the paper of this document carries (the same on every page)."""
    marks = {"red_title": rng.random() < 0.6, "handwritten": rng.random() < 0.6,
             "seal_over_text": rng.random() < 0.45, "pencil_note": rng.random() < 0.35, "paper": None}
    if capture == "scan" or rng.random() < 0.3:  # aged archive paper; photos are mostly of newer papers
        marks["paper"] = paper.choose_paper(rng, guilloche=rng.random() < 0.6)
        effects.append(f"tinted_paper:{marks['paper'].name}")
        if marks["paper"].waves:
            effects.append("guilloche")
    return marks


def _truth(kind: str, fields: dict) -> dict:
    """Spec order, NFC, whitespace collapsed; keys a variant does not print stay out."""
    fields = {k: nfc(clean(v)) if isinstance(v, str) else v for k, v in fields.items()}
    unknown = set(fields) - set(FIELD_KEYS[kind])
    if unknown:  # a layout bug, not a caller error
        raise RuntimeError(f"{kind}: fields {sorted(unknown)} are not the spec's")
    return {k: fields[k] for k in FIELD_KEYS[kind] if k in fields}


def _mark(sheet: Sheet, kind: str, f: dict, marks: dict, rng: random.Random, effects: list[str]) -> str:
    """The marks on one A4 sheet; returns the page's text (a pencil note is text on the page)."""
    lines = list(sheet.lines)
    if marks["red_title"] and paper.red_titles(sheet):
        _add(effects, "red_title")
    for pattern in _hand_patterns(kind, f) if marks["handwritten"] else []:
        if hand.handwrite(sheet, rng, pattern):
            _add(effects, "handwritten")
    if marks["seal_over_text"] and paper.seal_over_signer(sheet, rng):
        _add(effects, "seal_over_text")
    if marks["pencil_note"] and rng.random() < 0.7:
        lines.append(hand.pencil_note(sheet, rng))
        _add(effects, "pencil_note")
    if marks["paper"]:
        paper.print_paper(sheet, marks["paper"])
    return "\n".join(lines)


def _add(effects: list[str], effect: str) -> None:
    if effect not in effects:
        effects.append(effect)


def _hand_patterns(kind: str, f: dict) -> list[str]:
    """Where a clerk writes by hand: the number after "Số:" (and for a dated letterhead the
    day and month), the registration date, the land book's số vào sổ. Regexes whose `hand`
    group is rewritten, each in the first drawn text it matches."""
    exact = [f[k] for k in ("so", "so_vao_so") if isinstance(f.get(k), str)]
    pats = [rf"^(?P<hand>{re.escape(v)})$" for v in exact]
    pats += [r"^Số: (?P<hand>\d+)(?:/|$)"]
    if "ngay_dang_ky" in f:
        pats.append(rf"^(?P<hand>{re.escape(dmy(date.fromisoformat(f['ngay_dang_ky'])))})$")
    if kind == "van_ban_hanh_chinh":
        where = re.escape(f["dia_danh"])
        pats += [rf"^{where}, ngày (?P<hand>\d+) tháng", rf"^{where}, ngày \d+ tháng (?P<hand>\d+) năm"]
    return pats


def _flatbed(sheet: Sheet, rng: random.Random, effects: list[str]) -> tuple[Image.Image, int, float]:
    """Aged paper on a flatbed: slight skew, sometimes upside down, faded ink, stains, noise."""
    rotation = 180 if rng.random() < 0.12 else 0
    skew = round(rng.uniform(-2.5, 2.5), 1)
    picked = [e for e, p in (("faint", 0.3), ("stain", 0.5), ("blur", 0.4), ("noise", 0.7)) if rng.random() < p]
    effects += ["flatbed"] + picked
    img = degrade_scan(sheet.img, rng, rotation=rotation, skew_deg=skew, effects=picked, dpi=sheet.dpi)
    return img, rotation, skew


def _card_scan(sheet: Sheet, rng: random.Random, effects: list[str]) -> tuple[Image.Image, int, float]:
    """The card alone on the glass, cropped by the scanner software with a few mm of lid."""
    pad = sheet.mm(rng.uniform(1.5, 5.0))
    lid = rng.randint(235, 250)
    a = np.full((sheet.img.height + 2 * pad, sheet.img.width + 2 * pad, 3), lid, np.uint8)
    a[pad:pad + sheet.img.height, pad:pad + sheet.img.width] = np.asarray(sheet.img)
    skew = round(rng.uniform(-4.0, 4.0), 1)
    a = rotate_expand(a, skew, (lid, lid, lid))
    picked = [e for e, p in (("blur", 0.4), ("noise", 0.7)) if rng.random() < p]
    effects += ["card_scan"] + picked
    img = degrade_scan(Image.fromarray(a), rng, rotation=0, skew_deg=0.0, effects=picked, dpi=sheet.dpi)
    return img, 0, skew
