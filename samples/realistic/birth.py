"""Birth registration papers as archives hold them, beyond the standard family's one form:

- ``tt04``: Giấy khai sinh of Thông tư 04/2020 (from July 2020), numbered ``Số: 127/2021``
  with no Quyển số;
- ``old``: a pre-2016 Giấy khai sinh (Nghị định 158/2005 era): agency block with Số and
  Quyển số, "Họ và tên" labels, father before mother, no số định danh, home births;
- ``trich_luc`` / ``trich_luc_ban_sao``: TRÍCH LỤC KHAI SINH (and its copy), numbered
  ``305/TLKS`` / ``305/TLKS-BS`` in the agency block, dated top right;
- ``ban_sao``: a copy (BẢN SAO) of a Giấy khai sinh, "Sao từ Sổ đăng ký khai sinh".

The truth has exactly the fields each form prints (spec: `quyen_so` only where printed).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from .. import forms_common as fc, ornaments
from ..fake import (
    TODAY,
    add_years,
    make_id,
    make_name,
    make_person,
    make_place,
    pick_ethnic,
    rand_date,
)
from ..forms_civil import VN, _date, _field, _tabs, birth_body
from ..sheet import A4_MM, Sheet, choose_style
from ..vnwords import dmy

VARIANTS = ("tt04", "old", "trich_luc", "ban_sao", "trich_luc_ban_sao")
_FIRST = {"tt04": date(2020, 7, 16), "old": date(1985, 1, 1)}  # births each form covers


def birth_variant(rng: random.Random, dpi: int, variant: str) -> tuple[dict, list[Sheet]]:
    if variant not in VARIANTS:
        raise ValueError(f"unknown birth certificate variant {variant!r}")
    style = choose_style(rng)
    sheet = Sheet(A4_MM, dpi, replace(style, line_gap=min(style.line_gap, 1.65)))
    old = variant == "old"
    reg = make_place(rng, detail=False)
    last = date(2015, 12, 31) if old else TODAY - timedelta(days=3)
    birth = rand_date(rng, _FIRST.get(variant, date(2016, 1, 1)), last)
    reg_date = min(TODAY, birth + timedelta(days=rng.randint(1, 60)))
    ethnic = pick_ethnic(rng, 0.88)
    father = make_person(rng, (add_years(birth, -45), add_years(birth, -20)), "Nam", ethnic, reg.province_code)
    mother = make_person(rng, (add_years(birth, -40), add_years(birth, -18)), "Nữ", ethnic, reg.province_code)
    sex = rng.choice(("Nam", "Nữ"))
    at_home = old and rng.random() < 0.5  # long addresses: they wrap onto a second line
    f = {"ho_ten": make_name(rng, sex, ethnic, surname=father.name.split()[0].title()),
         "ngay_sinh": birth.isoformat(), "gioi_tinh": sex, "dan_toc": ethnic, "quoc_tich": VN,
         "noi_sinh": f"Tại nhà, {father.residence.full()}" if at_home else fc.hospital(rng, reg),
         "que_quan": father.home.commune_level()}
    if not old:
        f["so_dinh_danh"] = make_id(rng, reg.province_code, birth, sex)
    f |= {"me_ho_ten": mother.name, "me_nam_sinh": mother.birth.year, "cha_ho_ten": father.name,
          "cha_nam_sinh": father.birth.year, "noi_dang_ky": reg.commune_authority(),
          "ngay_dang_ky": reg_date.isoformat()}
    n = rng.randint(1, 480)
    issued = rand_date(rng, reg_date, TODAY)  # of the copy or extract
    commune = f"{reg.commune_kind} {reg.commune}"
    pt = sheet.style.size_pt
    if variant == "tt04":
        f["so"] = f"{n}/{reg_date.year}"
        ornaments.national_header(sheet, sheet.cx, pt)
        fc.title(sheet, "GIẤY KHAI SINH", pt + 4, before=0.5)
        sheet.row([("Số:", f["so"])])
    elif variant in ("trich_luc", "trich_luc_ban_sao"):
        copy = variant == "trich_luc_ban_sao"
        f["so"] = f"{n}/TLKS" + ("-BS" if copy else "")
        fc.letterhead(sheet, [("ỦY BAN NHÂN DÂN", True), (commune.upper(), True)],
                      [(f"Số: {f['so']}", "regular")], [(fc.place_date(reg.commune, issued), "italic")],
                      pt - 0.5)
        fc.title(sheet, "TRÍCH LỤC KHAI SINH" + ("\n(BẢN SAO)" if copy else ""), pt + 3, before=0.8)
    else:
        f["so"], f["quyen_so"] = str(n), f"{rng.randint(1, 3):02d}/{reg_date.year}"
        if old and rng.random() < 0.5:
            f["quyen_so"] = f"{rng.randint(1, 3):02d}"
        if old:
            fc.letterhead(sheet, [("UỶ BAN NHÂN DÂN", True), (commune.upper(), True)],
                          [(f"Số: {f['so']}", "regular"), (f"Quyển số: {f['quyen_so']}", "regular")], [],
                          pt - 0.5)
            fc.title(sheet, "GIẤY KHAI SINH", pt + 4, before=0.8)
        else:
            ornaments.national_header(sheet, sheet.cx, pt)
            fc.title(sheet, "GIẤY KHAI SINH\n(BẢN SAO)", pt + 4, before=0.5)
            sheet.row([("Số:", f["so"]), ("Quyển số:", f["quyen_so"])], _tabs(sheet, 0.5))
    sheet.nl(sheet.font(), 0.2)
    (_old_body if old else _body)(sheet, f, birth, mother, father, variant.startswith("trich_luc"))
    _field(sheet, "Ngày, tháng, năm đăng ký:", _date(sheet, reg_date))
    sheet.nl(sheet.font(), 0.5)
    cx = sheet.left + 0.68 * (sheet.right - sheet.left)
    if variant == "ban_sao":
        note = sheet.font(pt - 1, italic=True)
        sheet.put(sheet.left, "Sao từ Sổ đăng ký khai sinh", note, record=True)
        sheet.put(cx, fc.place_date(reg.commune, issued), note, anchor="ms", record=True)
        sheet.nl(note, 1.2)
    titles = (["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] if variant == "ban_sao" else
              ["NGƯỜI KÝ TRÍCH LỤC"] if variant.startswith("trich_luc") else ["NGƯỜI KÝ GIẤY KHAI SINH"])
    fc.signer(sheet, rng, titles, fc.official_name(rng), cx, seal_text=f"UBND {commune}",
              note=None if variant == "ban_sao" else "(Ký, ghi rõ họ, chữ đệm, tên, chức vụ, đóng dấu)")
    return f, [sheet]


def _body(sheet: Sheet, f: dict, birth: date, mother, father, extract: bool) -> None:
    """Thông tư 04/2020 wording: the child, then mother and father."""
    birth_body(sheet, f, birth, mother, father)
    _field(sheet, "Nơi đăng ký khai sinh:" if extract else "Nơi đăng ký:", f["noi_dang_ky"])


def _old_body(sheet: Sheet, f: dict, birth: date, mother, father, extract: bool) -> None:
    """Pre-2016 wording: "Họ và tên", sex before the date, father before mother."""
    _field(sheet, "Họ và tên:", f["ho_ten"], bold=True)
    sheet.row([("Giới tính:", f["gioi_tinh"]), ("Ngày, tháng, năm sinh:", dmy(birth))], _tabs(sheet, 0.3))
    _field(sheet, "Nơi sinh:", f["noi_sinh"])
    sheet.row([("Dân tộc:", f["dan_toc"]), ("Quốc tịch:", VN)], _tabs(sheet, 0.5))
    _field(sheet, "Quê quán:", f["que_quan"])
    for who, p in (("cha", father), ("mẹ", mother)):
        _field(sheet, f"Họ và tên {who}:", p.name, bold=True)
        sheet.row([("Dân tộc:", p.ethnic), ("Quốc tịch:", VN), ("Năm sinh:", str(p.birth.year))],
                  _tabs(sheet, 0.34, 0.64))
        _field(sheet, "Nơi thường trú:", p.residence.full())
    _field(sheet, "Nơi đăng ký khai sinh:", f["noi_dang_ky"])
