"""Giấy chứng nhận kết hôn (Thông tư 04/2020/TT-BTP): husband and wife side by side.

The middle of the page is a three-column table: labels on the left, then a "Bên chồng"
and a "Bên vợ" value column. Text order there is by column, as a reader (or Tesseract,
which splits blocks at the column gutters) takes it: every label line, then the husband
column ("Bên chồng" and his values), then the wife column. Above the table the form
reads top to bottom; below it the bottom row of signature blocks reads left to right
(husband, wife, registrar).
"""

from __future__ import annotations

import random
from datetime import date

from . import forms_common as fc, ornaments
from .fake import TODAY, Person, add_years, make_person, make_place, rand_date
from .sheet import A4_MM, Sheet, choose_style
from .vnwords import dmy, long_date

LABELS = ("Họ, chữ đệm, tên:", "Ngày, tháng, năm sinh:", "Dân tộc:", "Quốc tịch:",
          "Nơi cư trú:", "Số định danh cá nhân:")


def _values(p: Person) -> list[str]:
    return [p.name, dmy(p.birth), p.ethnic, "Việt Nam", p.residence.full(), p.pid]


def marriage_certificate(rng: random.Random, dpi: int) -> tuple[dict, list[Sheet]]:
    sheet = Sheet(A4_MM, dpi, choose_style(rng, (12.0, 13.5)))
    pt = sheet.style.size_pt
    reg = make_place(rng, detail=False)
    reg_date = rand_date(rng, date(2016, 1, 1), TODAY)
    husband = make_person(rng, (date(1955, 1, 1), add_years(reg_date, -20)), "Nam",
                          province=reg.province_code if rng.random() < 0.6 else None)
    wife = make_person(rng, (max(date(1960, 1, 1), add_years(husband.birth, -8)),
                             add_years(reg_date, -18)), "Nữ")
    f = {}
    for key, p in (("chong", husband), ("vo", wife)):
        f.update({f"{key}_ho_ten": p.name, f"{key}_ngay_sinh": p.birth.isoformat(),
                  f"{key}_dan_toc": p.ethnic, f"{key}_quoc_tich": "Việt Nam",
                  f"{key}_so_dinh_danh": p.pid})
    f.update({"noi_dang_ky": reg.commune_authority(), "ngay_dang_ky": reg_date.isoformat(),
              "so": str(rng.randint(1, 250)), "quyen_so": f"{rng.randint(1, 2):02d}/{reg_date.year}"})

    ornaments.national_header(sheet, sheet.cx, pt)
    fc.title(sheet, "GIẤY CHỨNG NHẬN KẾT HÔN", pt + 4, before=0.5)
    w = sheet.right - sheet.left
    sheet.row([("Số:", f["so"]), ("Quyển số:", f["quyen_so"])], [sheet.left, sheet.left + 0.5 * w])
    sheet.nl(sheet.font(), 0.3)
    _table(sheet, [_values(husband), _values(wife)])
    for label, value in (("Nơi đăng ký:", f["noi_dang_ky"]),
                         ("Ngày, tháng, năm đăng ký:",
                          dmy(reg_date) if sheet.style.numeric_dates else long_date(reg_date, False))):
        sheet.row([(label, value)])
    sheet.nl(sheet.font(), 0.6)
    y0 = sheet.y
    for i, (who, p) in enumerate((("Chồng", husband), ("Vợ", wife))):
        sheet.y = y0
        cx = sheet.left + (0.13 + 0.3 * i) * w
        fc.signer(sheet, rng, [who], p.name.title(), cx, pt=pt - 0.5)
    sheet.y = y0
    fc.signer(sheet, rng, ["NGƯỜI KÝ GIẤY CHỨNG NHẬN"], fc.official_name(rng),
              sheet.left + 0.77 * w, note="(Ký, ghi rõ họ, chữ đệm, tên, chức vụ, đóng dấu)",
              seal_text=f"UBND {reg.commune_kind} {reg.commune}", pt=pt - 0.5)
    return f, [sheet]


def _table(sheet: Sheet, columns: list[list[str]]) -> None:
    lf = sheet.font()
    vf, nf = sheet.font(), sheet.font(bold=True)
    gutter = sheet.mm(4)
    label_w = max(lf.getlength(t) for t in LABELS) + gutter
    col_w = (sheet.right - sheet.left - label_w - gutter) / 2
    xs = [sheet.left + label_w + i * (col_w + gutter) for i in range(2)]
    lh = sheet.lh(lf, max(1.45, sheet.style.line_gap - 0.2))
    # lay out rows: each row as tall as its longest wrapped value
    wrapped = [[sheet.wrap(v, nf if r == 0 else vf, col_w - gutter) for r, v in enumerate(col)]
               for col in columns]
    heights = [max(len(wrapped[0][r]), len(wrapped[1][r])) for r in range(len(LABELS))]
    top = sheet.y + lh
    row_y = [top + lh * sum(heights[:r]) for r in range(len(LABELS))]
    for label, y in zip(LABELS, row_y):
        x = sheet.put(sheet.left, label, lf, y=y, record=True)
        if sheet.style.leader_mode == "between":
            sheet.dots(x, xs[0] - gutter / 2, lf, y)
    heads = ("Bên chồng", "Bên vợ")
    for c, x0 in enumerate(xs):
        sheet.put(x0 + col_w / 2, heads[c], nf, y=sheet.y, anchor="ms", record=True)
        for r, lines in enumerate(wrapped[c]):
            for k, line in enumerate(lines):
                y = row_y[r] + k * lh
                x = sheet.put(x0, line, nf if r == 0 else vf, y=y, record=True)
                if k == len(lines) - 1 and sheet.style.leader_mode == "after":
                    sheet.dots(x, x0 + col_w, lf, y)
    sheet.y = top + lh * sum(heights)
