"""Civil-status forms of Thông tư 04/2020/TT-BTP: birth certificate, death registration
extract and marital-status confirmation. Label wording follows the circular's forms.

Text order: top to bottom, each form line as one text line ("Giới tính: Nam Dân tộc: Kinh
Quốc tịch: Việt Nam"); in the letterhead the left (agency) block comes before the right
(national header) block; the signer's block comes last.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from . import forms_common as fc, ornaments
from .fake import (
    TODAY,
    add_months,
    add_years,
    make_id,
    make_name,
    make_person,
    make_place,
    pick_ethnic,
    rand_date,
    with_detail,
)
from .sheet import A4_MM, Sheet, choose_style
from .vnwords import date_words, dmy, long_date

VN = "Việt Nam"


def _date(sheet: Sheet, d: date) -> str:
    return dmy(d) if sheet.style.numeric_dates else long_date(d, nd30=False)


def _tabs(sheet: Sheet, *fractions: float) -> list[float]:
    w = sheet.right - sheet.left
    return [sheet.left + f * w for f in (0.0,) + fractions]


def _value_tab(sheet: Sheet) -> float:
    return sheet.left + 0.44 * (sheet.right - sheet.left)


def _field(sheet: Sheet, label: str, value: str, bold: bool = False) -> None:
    sheet.row([(label, value)], value_font=sheet.font(bold=True) if bold else None,
              value_tab=_value_tab(sheet))


def _gtq(sheet: Sheet, first: tuple[str, str], ethnic: str) -> None:
    sheet.row([first, ("Dân tộc:", ethnic), ("Quốc tịch:", VN)], _tabs(sheet, 0.34, 0.64))


def birth_certificate(rng: random.Random, dpi: int) -> tuple[dict, list[Sheet]]:
    style = choose_style(rng)  # the longest form: keep its line spacing modest so it fits A4
    sheet = Sheet(A4_MM, dpi, replace(style, line_gap=min(style.line_gap, 1.7)))
    pt = sheet.style.size_pt
    reg = make_place(rng, detail=False)
    birth = rand_date(rng, date(2016, 1, 1), TODAY - timedelta(days=3))
    reg_date = min(TODAY, birth + timedelta(days=rng.randint(1, 60)))
    ethnic = pick_ethnic(rng, 0.88)
    father = make_person(rng, (add_years(birth, -45), add_years(birth, -20)), "Nam", ethnic,
                         reg.province_code)
    mother = make_person(rng, (add_years(birth, -40), add_years(birth, -18)), "Nữ",
                         ethnic if rng.random() < 0.9 else pick_ethnic(rng), reg.province_code)
    sex = rng.choice(("Nam", "Nữ"))
    name = make_name(rng, sex, ethnic, surname=father.name.split()[0].title())
    f = {
        "so": str(rng.randint(1, 480)), "quyen_so": f"{rng.randint(1, 3):02d}/{reg_date.year}",
        "ho_ten": name, "ngay_sinh": birth.isoformat(), "gioi_tinh": sex, "dan_toc": ethnic,
        "quoc_tich": VN, "noi_sinh": fc.hospital(rng, reg), "que_quan": father.home.commune_level(),
        "so_dinh_danh": make_id(rng, reg.province_code, birth, sex),
        "me_ho_ten": mother.name, "me_nam_sinh": mother.birth.year,
        "cha_ho_ten": father.name, "cha_nam_sinh": father.birth.year,
        "noi_dang_ky": reg.commune_authority(), "ngay_dang_ky": reg_date.isoformat(),
    }
    ornaments.national_header(sheet, sheet.cx, pt)
    fc.title(sheet, "GIẤY KHAI SINH", pt + 4, before=0.5)
    sheet.row([("Số:", f["so"]), ("Quyển số:", f["quyen_so"])], _tabs(sheet, 0.5))
    sheet.nl(sheet.font(), 0.2)
    birth_body(sheet, f, birth, mother, father)
    _field(sheet, "Họ, chữ đệm, tên người đi khai sinh:", mother.name)
    _field(sheet, "Nơi đăng ký:", f["noi_dang_ky"])
    _field(sheet, "Ngày, tháng, năm đăng ký:", _date(sheet, reg_date))
    sheet.nl(sheet.font(), 0.5)
    cx = sheet.left + 0.68 * (sheet.right - sheet.left)
    fc.signer(sheet, rng, ["NGƯỜI KÝ GIẤY KHAI SINH"], fc.official_name(rng), cx,
              note="(Ký, ghi rõ họ, chữ đệm, tên, chức vụ, đóng dấu)",
              seal_text=f"UBND {reg.commune_kind} {reg.commune}")
    return f, [sheet]


def death_extract(rng: random.Random, dpi: int) -> tuple[dict, list[Sheet]]:
    sheet = Sheet(A4_MM, dpi, choose_style(rng))
    pt = sheet.style.size_pt
    reg = make_place(rng, detail=False)
    p = make_person(rng, (date(1925, 1, 1), date(1995, 12, 31)), province=reg.province_code)
    died = rand_date(rng, max(date(2016, 1, 1), add_years(p.birth, 25)), TODAY - timedelta(days=2))
    reg_date = min(TODAY, died + timedelta(days=rng.randint(1, 25)))
    cause = rng.choice(("Bệnh già", "Bệnh", "Tai nạn giao thông", "Suy tim", "Ung thư phổi",
                        "Tai biến mạch máu não", "Nhồi máu cơ tim", "Suy hô hấp"))
    where = (f"Tại nhà, {p.residence.full()}" if rng.random() < 0.5 else fc.hospital(rng, p.residence))
    f = {
        "ho_ten": p.name, "ngay_sinh": p.birth.isoformat(), "gioi_tinh": p.sex, "dan_toc": p.ethnic,
        "quoc_tich": VN, "so_dinh_danh": p.pid, "ngay_chet": died.isoformat(), "noi_chet": where,
        "nguyen_nhan_chet": cause, "so": str(rng.randint(1, 300)),
        "quyen_so": f"{rng.randint(1, 2):02d}/{reg_date.year}",
        "noi_dang_ky": reg.commune_authority(), "ngay_dang_ky": reg_date.isoformat(),
    }
    fc.letterhead(sheet, [("ỦY BAN NHÂN DÂN", True), (f"{reg.commune_kind} {reg.commune}".upper(), True)],
                  [], [], pt - 0.5)
    fc.title(sheet, "TRÍCH LỤC KHAI TỬ", pt + 3, before=0.8)
    sheet.row([("Số:", f["so"]), ("Quyển số:", f["quyen_so"])], _tabs(sheet, 0.5))
    _field(sheet, "Họ, chữ đệm, tên:", p.name, bold=True)
    _field(sheet, "Ngày, tháng, năm sinh:", dmy(p.birth))
    _gtq(sheet, ("Giới tính:", p.sex), p.ethnic)
    _field(sheet, "Số định danh cá nhân:", p.pid)
    hm = f"{rng.randint(0, 23):02d} giờ {rng.randint(0, 59):02d} phút"
    _field(sheet, "Đã chết vào lúc:", f"{hm}, {long_date(died, nd30=False)}")
    _field(sheet, "Nơi chết:", where)
    _field(sheet, "Nguyên nhân chết:", cause)
    _field(sheet, "Nơi đăng ký:", f["noi_dang_ky"])
    _field(sheet, "Ngày, tháng, năm đăng ký:", _date(sheet, reg_date))
    sheet.nl(sheet.font(), 0.6)
    cx = sheet.left + 0.68 * (sheet.right - sheet.left)
    fc.signer(sheet, rng, ["NGƯỜI KÝ TRÍCH LỤC"], fc.official_name(rng), cx,
              note="(Ký, ghi rõ họ, chữ đệm, tên, chức vụ, đóng dấu)",
              seal_text=f"UBND {reg.commune_kind} {reg.commune}")
    return f, [sheet]


_STATUS = ("Chưa đăng ký kết hôn với ai", "Hiện tại chưa đăng ký kết hôn với ai",
           "Đã đăng ký kết hôn, nhưng đã ly hôn và chưa kết hôn lại",
           "Có vợ (chồng) đã chết và chưa kết hôn lại")
_PURPOSE = ("Làm thủ tục đăng ký kết hôn", "Bổ sung hồ sơ vay vốn ngân hàng",
            "Làm thủ tục chuyển nhượng quyền sử dụng đất", "Bổ sung hồ sơ xin việc làm",
            "Làm thủ tục mua bán nhà ở")


def marital_status(rng: random.Random, dpi: int) -> tuple[dict, list[Sheet]]:
    sheet = Sheet(A4_MM, dpi, choose_style(rng))
    pt = sheet.style.size_pt
    reg = make_place(rng, detail=False)
    issued = rand_date(rng, date(2020, 7, 1), TODAY)
    p = make_person(rng, (date(1960, 1, 1), add_years(issued, -18)), province=reg.province_code)
    f = {
        "ho_ten": p.name, "ngay_sinh": p.birth.isoformat(), "gioi_tinh": p.sex, "dan_toc": p.ethnic,
        "quoc_tich": VN, "so_dinh_danh": p.pid,
        "noi_cu_tru": with_detail(rng, reg).full(),
        "tinh_trang_hon_nhan": rng.choice(_STATUS), "muc_dich_su_dung": rng.choice(_PURPOSE),
        "so": f"{rng.randint(1, 400)}/XNTTHN", "ngay_cap": issued.isoformat(),
        "co_gia_tri_den": add_months(issued, 6).isoformat(),
    }
    commune = f"{reg.commune_kind} {reg.commune}"
    fc.letterhead(sheet, [("ỦY BAN NHÂN DÂN", True), (commune.upper(), True)],
                  [(f"Số: {f['so']}", "regular")],
                  [(fc.place_date(reg.commune, issued), "italic")], pt - 0.5)
    fc.title(sheet, "GIẤY XÁC NHẬN\nTÌNH TRẠNG HÔN NHÂN", pt + 2.5, before=0.8)
    sheet.center(f"ỦY BAN NHÂN DÂN {commune.upper()}", sheet.font(bold=True))
    sheet.put(sheet.left, "XÁC NHẬN:", sheet.font(bold=True), record=True)
    sheet.nl(sheet.font())
    _field(sheet, "Họ, chữ đệm, tên:", p.name, bold=True)
    _field(sheet, "Ngày, tháng, năm sinh:", dmy(p.birth))
    _gtq(sheet, ("Giới tính:", p.sex), p.ethnic)
    _field(sheet, "Số định danh cá nhân:", p.pid)
    _field(sheet, "Nơi cư trú:", f["noi_cu_tru"])
    _field(sheet, "Tình trạng hôn nhân:", f["tinh_trang_hon_nhan"])
    _field(sheet, "Giấy này được cấp để:", f["muc_dich_su_dung"])
    _field(sheet, "Giấy này có giá trị sử dụng đến ngày:", dmy(add_months(issued, 6)))
    sheet.nl(sheet.font(), 0.6)
    cx = sheet.left + 0.68 * (sheet.right - sheet.left)
    fc.signer(sheet, rng, ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
              fc.official_name(rng), cx, seal_text=f"UBND {commune}")
    return f, [sheet]


def birth_body(sheet: Sheet, f: dict, birth, mother, father) -> None:
    """Thông tư 04/2020 wording of a birth paper's body: the child, then mother and father."""
    _field(sheet, "Họ, chữ đệm, tên:", f["ho_ten"], bold=True)
    sheet.row([("Ngày, tháng, năm sinh:", dmy(birth)), ("ghi bằng chữ:", date_words(birth))],
              _tabs(sheet, 0.47))
    _gtq(sheet, ("Giới tính:", f["gioi_tinh"]), f["dan_toc"])
    _field(sheet, "Nơi sinh:", f["noi_sinh"])
    _field(sheet, "Quê quán:", f["que_quan"])
    _field(sheet, "Số định danh cá nhân:", f["so_dinh_danh"])
    for who, p in (("mẹ", mother), ("cha", father)):
        _field(sheet, f"Họ, chữ đệm, tên người {who}:", p.name, bold=True)
        _gtq(sheet, ("Năm sinh:", str(p.birth.year)), p.ethnic)
        _field(sheet, "Nơi cư trú:", p.residence.full())
