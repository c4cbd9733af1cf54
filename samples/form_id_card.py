"""Front of the chip-based Căn cước công dân card (2021-2024 model), ID-1 size 85.6 x 54 mm.

Bilingual labels, emblem top left, QR-like code top right, photo on the left. Text order:
the four header lines, the title pair, the fields top to bottom (a label on its own line
is followed by its value line), and last the expiry at the bottom left under the photo.
The expiry follows the Luật Căn cước công dân 2014 rule: the card is renewed at 25, 40
and 60; a card issued within two years of one of those ages runs to the next one.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np
from PIL import Image, ImageDraw

from . import ornaments
from .fake import TODAY, add_years, make_person, rand_date
from .sheet import Sheet, choose_style
from .vnwords import dmy

CARD_MM = (85.6, 54.0)


def expiry(birth: date, issued: date) -> date:
    for age in (25, 40, 60):
        due = add_years(birth, age)
        if due > add_years(issued, 2):
            return due
    raise ValueError("no expiry: card holder over 58 gets an unlimited card")


def _background(sheet: Sheet, rng: random.Random) -> None:
    """Pale blue-green card with fine guilloche waves and rounded corners."""
    w, h = sheet.img.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.array([rng.randint(222, 235), rng.randint(232, 242), rng.randint(236, 248)], np.float32)
    waves = 5 * np.sin(xx / (w / 37) + 3 * np.sin(yy / (h / 5))) * np.cos(yy / (h / 23))
    shade = (yy / h * 8 + xx / w * 6)[..., None]
    arr = np.clip(base + waves[..., None] - shade, 0, 255).astype(np.uint8)
    card = Image.fromarray(arr, "RGB")
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=sheet.mm(3.2), fill=255)
    sheet.img.paste(card, (0, 0), mask)


def _photo(sheet: Sheet, x: float, y: float, w: float, h: float) -> None:
    d = sheet.draw
    d.rectangle([x, y, x + w, y + h], fill=(205, 210, 220))
    cx = x + w / 2
    d.ellipse([cx - w * 0.22, y + h * 0.18, cx + w * 0.22, y + h * 0.55], fill=(120, 110, 105))
    d.chord([cx - w * 0.45, y + h * 0.58, cx + w * 0.45, y + h * 1.35], 180, 360, fill=(60, 70, 90))


def id_card(rng: random.Random, dpi: int) -> tuple[dict, list[Sheet]]:
    style = choose_style(rng, (5.8, 6.3))
    sheet = Sheet(CARD_MM, dpi, style, paper=(255, 255, 255))
    issued = rand_date(rng, date(2021, 1, 1), min(TODAY, date(2024, 6, 30)))
    p = make_person(rng, (add_years(issued, -57), add_years(issued, -14)))
    f = {"so": p.pid, "ho_ten": p.name, "ngay_sinh": p.birth.isoformat(), "gioi_tinh": p.sex,
         "quoc_tich": "Việt Nam", "que_quan": p.home.short(), "noi_thuong_tru": p.residence.short(),
         "co_gia_tri_den": expiry(p.birth, issued).isoformat()}
    _background(sheet, rng)
    mm, pt = sheet.mm, style.size_pt
    ornaments.emblem(sheet.img, mm(10.5), mm(10), mm(7))
    ornaments.qr_like(sheet.img, mm(71), mm(2.5), mm(12.5), rng)
    hx = mm(44)
    for y, text, size in ((5.5, ornaments.HEADER_1, pt + 0.3), (8.4, "SOCIALIST REPUBLIC OF VIET NAM", pt - 0.4),
                          (11.3, ornaments.HEADER_2, pt + 0.2), (14.0, "Independence - Freedom - Happiness", pt - 0.6)):
        sheet.put(hx, text, sheet.font(size, bold=True), y=mm(y), anchor="ms", record=True)
    red = (200, 30, 35)
    sheet.put(mm(50), "CĂN CƯỚC CÔNG DÂN", sheet.font(pt + 4, bold=True), y=mm(19), fill=red,
              anchor="ms", record=True)
    sheet.put(mm(50), "Citizen Identity Card", sheet.font(pt, bold=True), y=mm(22), anchor="ms", record=True)
    _photo(sheet, mm(3), mm(17), mm(19), mm(24))

    lab, val, big = sheet.font(pt - 0.4), sheet.font(pt + 0.6, bold=True), sheet.font(pt + 3, bold=True)
    x0 = mm(24.5)

    def line(y_mm: float, parts: list[tuple[str, object]], x: float = x0) -> None:
        texts = []
        for text, font in parts:
            x = sheet.put(x, text, font, y=mm(y_mm)) + lab.getlength(" ")
            texts.append(text)
        sheet.record(*texts)

    line(26.0, [("Số / No.:", lab), (p.pid, big)])
    line(29.4, [("Họ và tên / Full name:", lab)])
    line(32.8, [(p.name, sheet.font(pt + 2.2, bold=True))])
    line(36.0, [("Ngày sinh / Date of birth:", lab), (dmy(p.birth), val)])
    y = mm(39.2)
    x = sheet.put(x0, "Giới tính / Sex:", lab, y=y) + lab.getlength(" ")
    sheet.put(x, p.sex, val, y=y)
    nat = "Quốc tịch / Nationality:"
    x = min(mm(50), sheet.img.width - mm(3) - lab.getlength(nat + " ") - val.getlength("Việt Nam"))
    x = sheet.put(x, nat, lab, y=y) + lab.getlength(" ")
    sheet.put(x, "Việt Nam", val, y=y)
    sheet.record("Giới tính / Sex:", p.sex, "Quốc tịch / Nationality:", "Việt Nam")
    line(42.4, [("Quê quán / Place of origin:", lab)])
    line(45.4, [(f["que_quan"], val)])
    label = "Nơi thường trú / Place of residence:"
    right = sheet.img.width - mm(3)
    room = right - (x0 + lab.getlength(label + " "))
    for size in (pt + 0.6, pt, pt - 0.6, pt - 1.2):  # long addresses print smaller
        vf = sheet.font(size, bold=True)
        first, *rest = sheet.wrap(f["noi_thuong_tru"], vf, right - x0, room)
        if vf.getlength(first) > room:
            first, rest = "", [" ".join([first] + rest)]
        rest = sheet.wrap(" ".join(rest), vf, right - x0) if rest else []
        if len(rest) <= 1:
            break
    line(48.6, [(label, lab), (first, vf)])
    for k, text in enumerate(rest):
        line(51.6 + 2.4 * k, [(text, vf)])
    small = sheet.font(pt - 1.6)
    line(45.0, [("Có giá trị đến:", small), (dmy(date.fromisoformat(f["co_gia_tri_den"])),
                                              sheet.font(pt - 1.0, bold=True))], x=mm(2.0))
    line(47.4, [("Date of expiry", sheet.font(pt - 1.6, italic=True))], x=mm(2.0))
    return f, [sheet]
