"""The two card fronts the standard family lacks (its `form_id_card` is the 2021 chip CCCD):

- ``cccd_2016``: Căn cước công dân of 2016-2021, Vietnamese-only labels ("Số", "Họ và tên",
  "Ngày, tháng, năm sinh", …), the number in red, addresses wrapped onto a second line;
- ``can_cuoc_2024``: the CĂN CƯỚC of Luật Căn cước 2023 (from July 2024), bilingual
  labels with "Số định danh cá nhân"; its front prints neither hometown, residence nor
  expiry, so the truth omits `que_quan`, `noi_thuong_tru` and `co_gia_tri_den`.

Same ID-1 size, background and photo as the standard card.
"""

from __future__ import annotations

import random
from datetime import date

from .. import ornaments
from ..fake import TODAY, add_years, make_person, rand_date
from ..form_id_card import CARD_MM, _background, _photo, expiry
from ..sheet import Sheet, choose_style
from ..vnwords import dmy

VARIANTS = ("cccd_2016", "can_cuoc_2024")
RED = (200, 30, 35)


def card_variant(rng: random.Random, dpi: int, variant: str) -> tuple[dict, list[Sheet]]:
    if variant not in VARIANTS:
        raise ValueError(f"unknown card variant {variant!r}")
    sheet = Sheet(CARD_MM, dpi, choose_style(rng, (5.8, 6.3)))
    if variant == "cccd_2016":
        issued = rand_date(rng, date(2016, 1, 1), date(2020, 12, 31))
        p = make_person(rng, (add_years(issued, -57), add_years(issued, -14)))
    else:
        issued = rand_date(rng, date(2024, 7, 1), TODAY)
        p = make_person(rng, (add_years(issued, -70), add_years(issued, -6)))
    f = {"so": p.pid, "ho_ten": p.name, "ngay_sinh": p.birth.isoformat(), "gioi_tinh": p.sex,
         "quoc_tich": "Việt Nam"}
    _background(sheet, rng)
    _photo(sheet, sheet.mm(3), sheet.mm(17), sheet.mm(19), sheet.mm(24))
    ornaments.emblem(sheet.img, sheet.mm(10.5), sheet.mm(9.5), sheet.mm(7))
    if variant == "cccd_2016":
        f |= {"que_quan": p.home.short(), "noi_thuong_tru": p.residence.full(),
              "co_gia_tri_den": expiry(p.birth, issued).isoformat()}
        _front_2016(sheet, p, f)
    else:
        _front_2024(sheet, rng, p)
    return f, [sheet]


def _line(sheet: Sheet, y_mm: float, parts: list[tuple[str, object]], x_mm: float = 24.5,
          fill=None) -> None:
    """One printed line of label and value runs, recorded as one text line."""
    x = sheet.mm(x_mm)
    space = sheet.font().getlength(" ")
    for text, font in parts:
        x = sheet.put(x, text, font, y=sheet.mm(y_mm), fill=fill if text == parts[-1][0] else None) + space
    sheet.record(*(t for t, _ in parts))


def _front_2016(sheet: Sheet, p, f: dict) -> None:
    mm, pt = sheet.mm, sheet.style.size_pt
    for y, text, size in ((5.8, ornaments.HEADER_1, pt + 0.6), (9.0, ornaments.HEADER_2, pt + 0.6)):
        sheet.put(mm(50), text, sheet.font(size, bold=True), y=mm(y), anchor="ms", record=True)
    sheet.put(mm(50), "CĂN CƯỚC CÔNG DÂN", sheet.font(pt + 4, bold=True), y=mm(15), fill=RED,
              anchor="ms", record=True)
    lab, val = sheet.font(pt), sheet.font(pt + 0.6, bold=True)
    _line(sheet, 20.5, [("Số:", lab), (p.pid, sheet.font(pt + 3, bold=True))], x_mm=38, fill=RED)
    _line(sheet, 24.5, [("Họ và tên:", lab)])
    _line(sheet, 28.0, [(p.name, sheet.font(pt + 1.5, bold=True))])
    _line(sheet, 31.5, [("Ngày, tháng, năm sinh:", lab), (dmy(p.birth), val)])
    x = sheet.put(sheet.mm(24.5), "Giới tính:", lab, y=sheet.mm(35.0)) + lab.getlength(" ")
    sheet.put(x, p.sex, val, y=sheet.mm(35.0))
    x = sheet.put(sheet.mm(48), "Quốc tịch:", lab, y=sheet.mm(35.0)) + lab.getlength(" ")
    sheet.put(x, "Việt Nam", val, y=sheet.mm(35.0))
    sheet.record("Giới tính:", p.sex, "Quốc tịch:", "Việt Nam")
    y = 38.5
    for label, value in (("Quê quán:", f["que_quan"]), ("Nơi thường trú:", f["noi_thuong_tru"])):
        room = sheet.img.width - mm(3) - mm(24.5) - lab.getlength(label + " ")
        first, *rest = sheet.wrap(value, val, sheet.img.width - mm(27.5), room)
        if val.getlength(first) > room:
            first, rest = "", [" ".join([first] + rest)]
        _line(sheet, y, [(label, lab), (first, val)])
        for text in sheet.wrap(" ".join(rest), val, sheet.img.width - mm(27.5)) if rest else []:
            y += 3.1
            _line(sheet, y, [(text, val)])
        y += 3.6
    small = sheet.font(pt - 1.4)
    _line(sheet, 45.5, [("Có giá trị đến:", small),
                        (dmy(date.fromisoformat(f["co_gia_tri_den"])), sheet.font(pt - 0.8, bold=True))], x_mm=2.0)


def _front_2024(sheet: Sheet, rng: random.Random, p) -> None:
    mm, pt = sheet.mm, sheet.style.size_pt
    ornaments.qr_like(sheet.img, mm(71), mm(2.5), mm(12.5), rng)
    for y, text, size in ((5.5, ornaments.HEADER_1, pt + 0.3), (8.4, "SOCIALIST REPUBLIC OF VIET NAM", pt - 0.4),
                          (11.3, ornaments.HEADER_2, pt + 0.2), (14.0, "Independence - Freedom - Happiness", pt - 0.6)):
        sheet.put(mm(44), text, sheet.font(size, bold=True), y=mm(y), anchor="ms", record=True)
    sheet.put(mm(50), "CĂN CƯỚC", sheet.font(pt + 5, bold=True), y=mm(19.5), fill=RED, anchor="ms", record=True)
    sheet.put(mm(50), "IDENTITY CARD", sheet.font(pt, bold=True), y=mm(22.5), anchor="ms", record=True)
    lab, val = sheet.font(pt - 0.6), sheet.font(pt + 0.6, bold=True)
    _line(sheet, 26.5, [("Số định danh cá nhân / Personal identification number:", lab)])
    _line(sheet, 30.0, [(p.pid, sheet.font(pt + 3, bold=True))])
    _line(sheet, 33.5, [("Họ, chữ đệm và tên khai sinh / Full name:", lab)])
    _line(sheet, 37.0, [(p.name, sheet.font(pt + 2, bold=True))])
    _line(sheet, 40.8, [("Ngày, tháng, năm sinh / Date of birth:", lab), (dmy(p.birth), val)])
    _line(sheet, 44.4, [("Giới tính / Sex:", lab), (p.sex, val)])
    _line(sheet, 48.0, [("Quốc tịch / Nationality:", lab), ("Việt Nam", val)])
