"""Giấy chứng nhận quyền sử dụng đất (Thông tư 23/2014/TT-BTNMT model), two pages.

Page 1: emblem, national header, the red title, section I (the holder) and the serial
(số phát hành). Page 2: section II (the parcel, items a-g), the notes, place and date,
issuing agency and signer (right), then "Số vào sổ cấp GCN" (bottom left). Each page's
text reads top to bottom. nguoi_su_dung is the holder's name only ("NGUYỄN VĂN AN",
without "Ông"/"Bà"); co_quan_cap the agency line(s) of the signature block joined.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta

from . import forms_common as fc, ornaments
from .fake import TODAY, add_years, make_person, make_place, rand_date
from .sheet import A4_MM, Sheet, choose_style
from .vnwords import area_text, area_words, dmy, long_date

RED = (190, 25, 30)
ORIGINS = (
    "Nhà nước công nhận quyền sử dụng đất như giao đất có thu tiền sử dụng đất",
    "Nhà nước giao đất có thu tiền sử dụng đất",
    "Công nhận quyền sử dụng đất như giao đất không thu tiền sử dụng đất",
    "Nhận chuyển nhượng đất được Nhà nước công nhận quyền sử dụng đất như giao đất có thu tiền sử dụng đất",
    "Nhận thừa kế đất được Nhà nước công nhận quyền sử dụng đất như giao đất không thu tiền sử dụng đất",
)


def land_certificate(rng: random.Random, dpi: int) -> tuple[dict, list[Sheet]]:
    style = choose_style(rng, (12.5, 13.5))
    issued = rand_date(rng, date(2015, 1, 1), TODAY)
    parcel = make_place(rng)
    holder = make_person(rng, (date(1940, 1, 1), add_years(issued, -20)), province=parcel.province_code)
    residential = rng.random() < 0.65
    if residential:
        use = "Đất ở tại đô thị" if parcel.commune_kind == "phường" else "Đất ở tại nông thôn"
        area, term = round(rng.uniform(45, 450), 1), "Lâu dài"
    else:
        use = rng.choice(("Đất trồng cây lâu năm", "Đất trồng lúa", "Đất trồng cây hằng năm khác"))
        area = round(rng.uniform(300, 12000), 1)
        term = f"Sử dụng đến ngày {dmy(add_years(issued, 50) - timedelta(days=rng.randint(0, 3000)))}"
    ubnd = rng.random() < 0.4
    agency = (f"ỦY BAN NHÂN DÂN {parcel.district_kind} {parcel.district}" if ubnd else
              f"SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG {parcel.province_kind} {parcel.province}").upper()
    f = {
        "so_phat_hanh": f"{''.join(rng.choices(string.ascii_uppercase, k=2))} {rng.randint(0, 999999):06d}",
        "so_vao_so": f"{rng.choice(('CS', 'CS', 'CH'))} {rng.randint(1, 99999):05d}",
        "nguoi_su_dung": holder.name, "thua_dat_so": str(rng.randint(1, 999)),
        "to_ban_do_so": str(rng.randint(1, 85)), "dia_chi_thua_dat": parcel.full(),
        "dien_tich_m2": area, "hinh_thuc_su_dung": rng.choice(("Sử dụng riêng",) * 4 + ("Sử dụng chung",)),
        "muc_dich_su_dung": use, "thoi_han_su_dung": term, "nguon_goc_su_dung": rng.choice(ORIGINS),
        "ngay_cap": issued.isoformat(), "co_quan_cap": agency,
    }
    head = "CHỦ TỊCH" if ubnd else "GIÁM ĐỐC"
    titles = [head] if rng.random() < 0.3 else [f"KT. {head}", f"PHÓ {head}"]
    p1 = Sheet(A4_MM, dpi, style)
    _page1(p1, rng, f, holder)
    p2 = Sheet(A4_MM, dpi, style)
    _page2(p2, rng, f, parcel, titles)
    return f, [p1, p2]


def _page1(s: Sheet, rng: random.Random, f: dict, holder) -> None:
    cover(s)
    bold = s.font(bold=True)
    title = "Ông" if holder.sex == "Nam" else "Bà"
    if rng.random() < 0.5:
        s.row([("Người sử dụng đất:", f"{title} {holder.name}, năm sinh: {holder.birth.year}")])
    else:
        s.row([(f"{title}:", holder.name), ("Năm sinh:", str(holder.birth.year))],
              [s.left, s.left + 0.62 * (s.right - s.left)], value_font=bold)
    s.row([("CCCD số:", holder.pid)])
    s.row([("Địa chỉ thường trú:", holder.residence.full())])
    serial(s, rng, f)


def cover(s: Sheet) -> None:
    """Page 1 down to the heading of section I (the holders come under it)."""
    pt = s.style.size_pt
    ornaments.emblem(s.img, s.cx, s.y + s.mm(12), s.mm(12))
    s.y += s.mm(32)
    ornaments.national_header(s, s.cx, pt + 1)
    s.y += s.mm(8)
    for text, size in (("GIẤY CHỨNG NHẬN", pt + 12), ("QUYỀN SỬ DỤNG ĐẤT", pt + 5),
                       ("QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT", pt)):
        font = s.font(size, bold=True)
        s.put(s.cx, text, font, anchor="ms", fill=RED, record=True)
        s.y += s.lh(font, 1.5)
    s.y += s.mm(10)
    s.paragraph("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất",
                s.font(bold=True), justify=False)


def serial(s: Sheet, rng: random.Random, f: dict) -> None:
    """The red serial (số phát hành) at the foot of page 1."""
    s.y = s.img.height - s.mm(30)
    serial_font = s.font(s.style.size_pt + 5, bold=True)
    if rng.random() < 0.5:
        x = s.put(s.cx - s.mm(25), "Số phát hành:", s.font())
        s.put(x + s.mm(3), f["so_phat_hanh"], serial_font, fill=RED)
        s.record("Số phát hành:", f["so_phat_hanh"])
    else:
        s.put(s.right - s.mm(10), f["so_phat_hanh"], serial_font, anchor="rs", fill=RED, record=True)


def _page2(s: Sheet, rng: random.Random, f: dict, parcel, titles: list[str]) -> None:
    pt = s.style.size_pt
    bold = s.font(bold=True)
    s.y += s.mm(8)
    s.paragraph("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", bold, justify=False)
    s.paragraph("1. Thửa đất:", bold, justify=False)
    w = s.right - s.left
    s.row([("a) Thửa đất số:", f["thua_dat_so"]), ("Tờ bản đồ số:", f["to_ban_do_so"])],
          [s.left, s.left + 0.5 * w])
    s.row([("b) Địa chỉ:", f["dia_chi_thua_dat"])])
    s.row([("c) Diện tích:", f"{area_text(f['dien_tich_m2'])} m², (bằng chữ: {area_words(f['dien_tich_m2'])})")])
    for label, key in (("d) Hình thức sử dụng:", "hinh_thuc_su_dung"), ("đ) Mục đích sử dụng:", "muc_dich_su_dung"),
                       ("e) Thời hạn sử dụng:", "thoi_han_su_dung"), ("g) Nguồn gốc sử dụng:", "nguon_goc_su_dung")):
        s.row([(label, f[key])])
    for item in ("2. Nhà ở:", "3. Công trình xây dựng khác:", "4. Rừng sản xuất là rừng trồng:",
                 "5. Cây lâu năm:", "6. Ghi chú:"):
        s.row([(item, "-/-")])
    s.y += s.mm(6)
    cx = s.left + 0.68 * w
    where = parcel.province if parcel.province != "Hồ Chí Minh" else "Thành phố Hồ Chí Minh"
    s.put(cx, f"{where}, {long_date(date.fromisoformat(f['ngay_cap']))}", s.font(pt, italic=True),
          anchor="ms", record=True)
    s.y += s.lh(bold, 1.4)
    for line in s.wrap(f["co_quan_cap"], bold, 0.55 * w):
        s.put(cx, line, bold, anchor="ms", record=True)
        s.y += s.lh(bold, 1.3)
    fc.signer(s, rng, titles, fc.official_name(rng), cx, seal_text=f["co_quan_cap"])
    s.y = max(s.y + s.mm(4), s.img.height - s.mm(30))
    s.put(s.left, "Số vào sổ cấp GCN:", s.font(pt - 1))
    s.put(s.left + s.font(pt - 1).getlength("Số vào sổ cấp GCN: "), f["so_vao_so"], s.font(pt - 1, bold=True))
    s.record("Số vào sổ cấp GCN:", f["so_vao_so"])
