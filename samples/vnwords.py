"""How Vietnamese documents print dates and numbers.

Birth certificates repeat the date of birth in words ("ghi bằng chữ"), land certificates
the area; Nghị định 30/2020 writes day < 10 and month < 3 with a leading zero
("ngày 08 tháng 01 năm 2023", "ngày 15 tháng 9 năm 2023").
"""

from __future__ import annotations

from datetime import date

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _two(n: int, full: bool) -> list[str]:
    """Words for 0..99; `full` when a hundreds digit precedes (adds "linh")."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        if unit == 0:
            return []
        return (["linh"] if full else []) + [_DIGITS[unit]]
    words = ["mười"] if tens == 1 else [_DIGITS[tens], "mươi"]
    if unit == 1 and tens > 1:
        words.append("mốt")
    elif unit == 5:
        words.append("lăm")
    elif unit == 4 and tens > 1:
        words.append("tư")
    elif unit:
        words.append(_DIGITS[unit])
    return words


def _three(n: int, full: bool) -> list[str]:
    hundreds, rest = divmod(n, 100)
    if not full and hundreds == 0:
        return _two(rest, False)
    words = [_DIGITS[hundreds], "trăm"]
    if rest:
        words += _two(rest, True)
    return words


def number_words(n: int) -> str:
    """Vietnamese reading of 0 <= n < 10**9, e.g. 2021 -> 'hai nghìn không trăm hai mươi mốt'."""
    if n == 0:
        return "không"
    groups = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    units = ("", "nghìn", "triệu")
    words: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        words += _three(g, full=i < len(groups) - 1)
        if units[i]:
            words.append(units[i])
    return " ".join(words)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def date_words(d: date) -> str:
    """'Ngày năm tháng ba năm hai nghìn không trăm hai mươi mốt' (birth certificate style)."""
    month = "tư" if d.month == 4 else number_words(d.month)  # April reads "tháng tư"
    return cap(f"ngày {number_words(d.day)} tháng {month} năm {number_words(d.year)}")


def area_words(area: float) -> str:
    """'Một trăm năm mươi hai phẩy ba mét vuông'."""
    whole, tenth = divmod(round(area * 10), 10)
    s = number_words(whole)
    if tenth:
        s += " phẩy " + _DIGITS[tenth]
    return cap(s + " mét vuông")


def dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def long_date(d: date, nd30: bool = True) -> str:
    """'ngày 08 tháng 9 năm 2023'; nd30=False drops the leading zeros some forms omit."""
    if nd30:
        day = f"{d.day:02d}"
        month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    else:
        day, month = str(d.day), str(d.month)
    return f"ngày {day} tháng {month} năm {d.year}"


def area_text(area: float) -> str:
    """152.3 -> '152,3' (decimal comma, as printed)."""
    return f"{area:.1f}".replace(".", ",")
