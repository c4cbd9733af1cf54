"""Administrative document in the Nghị định 30/2020/NĐ-CP layout (Phụ lục I).

Text order: the top-left block (parent agency, agency, "Số: ...", and for a Công văn its
"V/v ..." subject), the top-right block (national header, place and date), then the
centre (type line, subject, the "QUYẾT ĐỊNH" authority line), the body, and at the bottom
the "Nơi nhận:" block (left) before the signer's block (right).

Field conventions: co_quan_ban_hanh is the issuing agency itself, its wrapped lines joined
("ỦY BAN NHÂN DÂN TỈNH KON TUM", "SỞ TƯ PHÁP"), without the parent agency line;
trich_yeu is the subject as printed, prefix included ("Về việc ...", "V/v ...");
chuc_vu_nguoi_ky is the signer's own title, the line above the signature ("PHÓ CHỦ TỊCH"),
without the authority lines (TM./KT.), as the spec says;
loai_van_ban is the printed type line, and "CÔNG VĂN" for a công văn (no type line: it is
told by its "V/v" subject and a number without a type code).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import admin_text as T, forms_common as fc
from .fake import TODAY, make_place, rand_date
from .sheet import A4_MM, Sheet, Style, choose_style, clean
from .vnwords import long_date


def _agency(rng: random.Random, two_level: bool | None = None) -> dict:
    """two_level: True a Sở/Phòng under its UBND, False a UBND itself, None either (weighted)."""
    place = make_place(rng, detail=False)
    prov_upper = f"{place.province_kind} {place.province}".upper()
    prov_where = place.province_label
    prov_dia = "Thành phố Hồ Chí Minh" if place.province == "Hồ Chí Minh" else place.province
    dist_upper = f"{place.district_kind} {place.district}".upper()
    dist_where = f"{place.district_kind} {place.district}"
    if two_level is None:
        kind = rng.choices(("tinh", "huyen", "so", "phong"), (0.3, 0.25, 0.3, 0.15))[0]
    else:
        kind = rng.choice(("so", "phong") if two_level else ("tinh", "huyen"))
    if kind in ("tinh", "huyen"):
        area_upper, where = (prov_upper, prov_where) if kind == "tinh" else (dist_upper, dist_where)
        return dict(lines=[("ỦY BAN NHÂN DÂN", True), (area_upper, True)], name=f"ỦY BAN NHÂN DÂN {area_upper}",
                    abbr="UBND", where=where, dia=prov_dia if kind == "tinh" else place.district,
                    head="CHỦ TỊCH", ubnd=True, short="Ủy ban nhân dân " + where, seal=f"UBND {area_upper}",
                    authority=f"CHỦ TỊCH ỦY BAN NHÂN DÂN {area_upper}")
    if kind == "so":
        name, abbr = rng.choice(T.SO)
        parent, where, dia, head, seal = f"UBND {prov_upper}", prov_where, prov_dia, "GIÁM ĐỐC", f"{name} {prov_upper}"
    else:
        name, abbr = rng.choice(T.PHONG)
        parent, where, dia, head, seal = f"UBND {dist_upper}", dist_where, place.district, "TRƯỞNG PHÒNG", name
    authority = f"GIÁM ĐỐC {name}" if kind == "so" else f"TRƯỞNG {name}"
    return dict(lines=[(parent, False), (name, True)], name=name, abbr=abbr, where=where, dia=dia,
                head=head, ubnd=False, short=_sentence_case(name), seal=seal, authority=authority)


def _sentence_case(name: str) -> str:
    """'SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG' -> 'Sở Tài nguyên và Môi trường'."""
    words = name.lower().split()
    return " ".join(w.capitalize() if i < 2 or words[i - 1] == "và" else w for i, w in enumerate(words))


def _body(rng: random.Random, code: str) -> list[str]:
    """Paragraphs in a natural order for the document type (unformatted templates)."""
    items = sorted(rng.sample(T.ITEMS, rng.randint(2, 4)), key=T.ITEMS.index)
    if code == "BC":
        return list(T.REPORT) + [T.REPORT_END]
    if code == "KH":
        return list(T.PLAN) + items
    if code == "TTr":
        return [T.SUBMISSION[0]] + rng.sample(T.REPORT, 2) + [T.SUBMISSION[1]]
    return [rng.choice(T.INTRO)] + items + [rng.choice(T.CLOSING)]


def _titles(rng: random.Random, ag: dict, code: str) -> list[str]:
    head = ag["head"]
    titles = [head] if rng.random() < 0.45 else [f"KT. {head}", f"PHÓ {head}"]
    if ag["ubnd"] and code in ("QĐ", "TB", "TTr") and rng.random() < 0.6:
        titles = ["TM. ỦY BAN NHÂN DÂN"] + titles
    return titles


def admin_document(rng: random.Random, dpi: int, *, code: str | None = None,
                   two_level: bool | None = None) -> tuple[dict, list[Sheet]]:
    """code: the type's abbreviation ("QĐ", "" for a công văn), None a weighted random one;
    two_level: see `_agency`. The defaults draw exactly what they always drew."""
    ag = _agency(rng, two_level)
    if code is None:
        type_line, code = rng.choices([(t, c) for t, c, _ in T.DOC_TYPES], [w for *_, w in T.DOC_TYPES])[0]
    else:
        type_line = next(t for t, c, _ in T.DOC_TYPES if c == code)
    # the wording cites Thông tư 01/2023/TT-VPCP (5 April 2023) and Đề án 06, so no earlier date
    issued = rand_date(rng, date(2023, 5, 1), TODAY)
    n = rng.randint(1, 2500)
    number = f"{n}/{code}-{ag['abbr']}" if code else f"{n}/{ag['abbr']}-{rng.choice(T.CV_UNITS)}"
    fmt = dict(place=ag["where"], year=issued.year, month=issued.month, quarter=rng.randint(1, 4),
               agency=ag["short"], short=ag["short"])
    subject, *article1 = [s.format(**fmt) for s in rng.choice(T.SUBJECTS[code])]
    titles = _titles(rng, ag, code)
    signer = fc.official_name(rng)
    fields = {"co_quan_ban_hanh": ag["name"], "so_ky_hieu": number, "dia_danh": ag["dia"],
              "ngay_ban_hanh": issued.isoformat(), "loai_van_ban": type_line, "trich_yeu": subject,
              "chuc_vu_nguoi_ky": titles[-1], "nguoi_ky": signer}
    if code == "QĐ":
        paras = [T.GROUNDS[i] for i in sorted(rng.sample(range(len(T.GROUNDS)), rng.randint(2, 3)))]
        asked = max(date(2023, 4, 20), issued - timedelta(days=rng.randint(2, 20)))
        paras.append(T.PROPOSAL.format(n=rng.randint(10, 300), d=long_date(asked)))
    else:
        paras = [p.format(**fmt, pages=f"{rng.randint(20, 400) * 100:,}".replace(",", "."))
                 for p in _body(rng, code)]
    recipients = rng.sample(T.RECIPIENTS, rng.randint(2, 4)) + [f"- Lưu: VT, {rng.choice(T.CV_UNITS)}."]
    style = choose_style(rng, (13.0, 14.0))
    style = Style(**{**style.__dict__, "margin_mm": (rng.uniform(28, 33), rng.uniform(15, 20), rng.uniform(18, 24))})
    while True:  # drop body paragraphs until the page fits on one sheet
        sheet = Sheet(A4_MM, dpi, style)
        _layout(sheet, rng, ag, fields, code, paras, article1, recipients, titles, issued)
        if sheet.y < sheet.img.height - sheet.mm(8) or len(paras) <= 1:
            return fields, [sheet]
        paras = paras[:-1]


def _layout(sheet: Sheet, rng, ag, f, code, paras, article1, recipients, titles, issued) -> None:
    pt = sheet.style.size_pt
    left_after = [(f"Số: {f['so_ky_hieu']}", "regular")]
    if not code:
        left_after.append((f["trich_yeu"], "regular"))
    _, right_cx = fc.letterhead(sheet, ag["lines"], left_after,
                                [(f"{f['dia_danh']}, {long_date(issued)}", "italic")], pt - 1)
    body = sheet.font(pt)
    w = sheet.right - sheet.left
    if code:
        fc.title(sheet, f["loai_van_ban"], pt + 0.5, before=0.7, after=0.0)
        sf = sheet.font(pt, bold=True)
        for line in sheet.wrap(f["trich_yeu"], sf, 0.8 * w):
            sheet.center(line, sf, advance=False)
            sheet.y += sheet.lh(sf, 1.3)
        sheet.rule(sheet.cx - sheet.mm(20), sheet.cx + sheet.mm(20), sheet.y - sf.size * 0.6)
        sheet.y += sheet.mm(4)
    else:
        sheet.y += sheet.mm(5)
        sheet.paragraph("Kính gửi: Các cơ quan, đơn vị trực thuộc.", body, x0=sheet.left + 0.25 * w, gap=1.35)
    gap = 1.35
    if code == "QĐ":
        authority = ag["name"] if "TM." in titles[0] else ag["authority"]
        for line in sheet.wrap(authority, sheet.font(pt, bold=True), 0.9 * w):
            sheet.center(line, sheet.font(pt, bold=True), advance=False)
            sheet.y += sheet.lh(body, 1.3)
        sheet.y += sheet.mm(3)
        for p in paras:
            sheet.paragraph(p, sheet.font(pt, italic=True), indent=sheet.mm(10), gap=gap)
        sheet.center("QUYẾT ĐỊNH:", sheet.font(pt, bold=True), advance=False)
        sheet.y += sheet.lh(body, 1.6)
        for p in (f"Điều 1. {article1[0]}", T.ARTICLE_2, T.ARTICLE_3):
            sheet.paragraph(p, body, indent=sheet.mm(10), gap=gap)
    else:
        for p in paras:
            sheet.paragraph(p, body, indent=sheet.mm(10), gap=gap)
    sheet.y += sheet.mm(4)
    y0 = sheet.y
    sheet.put(sheet.left, "Nơi nhận:", sheet.font(pt - 1, bold=True, italic=True), record=True)
    sheet.y += sheet.lh(body, 1.2)
    small = sheet.font(pt - 2)
    for r in recipients:
        sheet.put(sheet.left, r, small, record=True)
        sheet.y += sheet.lh(small, 1.25)
    y_left, sheet.y = sheet.y, y0
    fc.signer(sheet, rng, titles, clean(f["nguoi_ky"]), right_cx, seal_text=ag["seal"])
    sheet.y = max(sheet.y, y_left)
