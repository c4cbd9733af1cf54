"""Land-use right certificates as they reach an archive, beyond the standard two-page book:

- ``couple``: two holders, "Ông … và vợ Bà …" (or the wife first); `nguoi_su_dung` is the
  first holder's name without Ông/Bà; their address is not the parcel's;
- ``page2``: page II alone ("Thửa đất", no title of its own), scanned as a loose sheet:
  the truth has what that page prints (the parcel, the date, the agency, the số vào sổ);
- ``book``: the standard family's two pages.
"""

from __future__ import annotations

import random
from datetime import date

from ..fake import add_years, make_person
from ..form_land import cover, land_certificate, serial
from ..sheet import A4_MM, Sheet

VARIANTS = ("couple", "page2", "book")
PAGE1_KEYS = ("so_phat_hanh", "nguoi_su_dung")


def land_variant(rng: random.Random, dpi: int, variant: str) -> tuple[dict, list[Sheet]]:
    if variant not in VARIANTS:
        raise ValueError(f"unknown land certificate variant {variant!r}")
    f, (p1, p2) = land_certificate(rng, dpi)
    if variant == "page2":
        return {k: v for k, v in f.items() if k not in PAGE1_KEYS}, [p2]
    if variant == "book":
        return f, [p1, p2]
    issued = date.fromisoformat(f["ngay_cap"])
    born = (date(1940, 1, 1), add_years(issued, -20))
    while True:  # the parcel lies elsewhere than where the couple live
        husband = make_person(rng, born, "Nam")
        if husband.residence.full() != f["dia_chi_thua_dat"]:
            break
    wife = make_person(rng, (max(born[0], add_years(husband.birth, -6)), born[1]), "Nữ")
    first, second = (husband, wife) if rng.random() < 0.75 else (wife, husband)
    f["nguoi_su_dung"] = first.name
    page = Sheet(A4_MM, dpi, p1.style)  # page 1 redrawn with two holders, same typography
    cover(page)
    _holders(page, rng, first, second)
    page.row([("Địa chỉ thường trú:", husband.residence.full())])
    serial(page, rng, f)
    return f, [page, p2]


def _holders(s: Sheet, rng: random.Random, first, second) -> None:
    """Either one running line that wraps, or one row (name, year, ID) per holder."""
    head = "Ông" if first.sex == "Nam" else "Bà"
    joint = "và vợ Bà" if first.sex == "Nam" else "và chồng Ông"
    if rng.random() < 0.4:
        s.row([("Người sử dụng đất:", f"{head} {first.name}, năm sinh: {first.birth.year} {joint} "
                                      f"{second.name}, năm sinh: {second.birth.year}")])
        return
    bold = s.font(bold=True)
    tabs = [s.left, s.left + 0.62 * (s.right - s.left)]
    for label, p in ((f"{head}:", first), (f"{joint[0].upper()}{joint[1:]}:", second)):
        s.row([(label, p.name), ("Năm sinh:", str(p.birth.year))], tabs, value_font=bold)
        s.row([("CCCD số:", p.pid)])
