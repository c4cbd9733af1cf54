"""Random but consistent Vietnamese people, places and dates.

Everything draws from the one `random.Random` passed in, so a batch is reproducible.
Dates never pass `TODAY` (a fixed day, not the clock, so a seed gives the same batch
next year too); personal IDs always agree with their owner's birth date and sex, the
rule the pipeline's validator checks.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .data_people import (
    ETHNIC_GROUPS,
    GIVEN_FEMALE,
    GIVEN_MALE,
    HIGHLAND_CLAN,
    HIGHLAND_PREFIXED,
    MIDDLE_FEMALE,
    MIDDLE_MALE,
    SURNAMES,
)
from .data_places import DISTRICT_KINDS, PHUONG_NAMES, PROVINCES, STREETS, VILLAGE_WORDS, XA_NAMES

TODAY = date(2024, 12, 31)  # last day of the 63-province era the ID codes belong to


def rand_date(rng: random.Random, start: date, end: date) -> date:
    end = min(end, TODAY)
    if end < start:
        raise ValueError(f"empty date range {start}..{end}")
    return start + timedelta(days=rng.randint(0, (end - start).days))


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    last = calendar.monthrange(d.year + y, m + 1)[1]
    return date(d.year + y, m + 1, min(d.day, last))


@dataclass(frozen=True)
class Place:
    province_code: str
    province: str
    province_kind: str
    district_kind: str
    district: str
    commune_kind: str
    commune: str
    detail: str = ""  # village or street, empty for commune-level places

    @property
    def province_label(self) -> str:
        if self.province == "Hồ Chí Minh":
            return "Thành phố Hồ Chí Minh"
        return f"{self.province_kind} {self.province}"

    def commune_level(self) -> str:
        """'xã Tân Lập, huyện Đắk Hà, tỉnh Kon Tum'."""
        return (f"{self.commune_kind} {self.commune}, {self.district_kind} {self.district}, "
                f"{self.province_label}")

    def full(self) -> str:
        return f"{self.detail}, {self.commune_level()}" if self.detail else self.commune_level()

    def short(self) -> str:
        """ID-card style: 'Tân Lập, Đắk Hà, Kon Tum'."""
        parts = [self.detail] if self.detail else []
        return ", ".join(parts + [self.commune, self.district, self.province])

    def commune_authority(self) -> str:
        """'Ủy ban nhân dân xã Tân Lập, huyện Đắk Hà, tỉnh Kon Tum' (civil-status registrar)."""
        return "Ủy ban nhân dân " + self.commune_level()


def province_row(rng: random.Random, code: str | None = None):
    if code is None:
        # a third of the people come from Kon Tum, where the product is piloted
        if rng.random() < 0.3:
            code = "062"
        else:
            return rng.choice(PROVINCES)
    return next(p for p in PROVINCES if p[0] == code)


def make_place(rng: random.Random, code: str | None = None, detail: bool = True) -> Place:
    pcode, pname, pkind, districts = province_row(rng, code)
    dk, dname = rng.choice(districts.split(";")).split(":")
    dkind = DISTRICT_KINDS[dk]
    if dkind == "huyện":
        ckind = "thị trấn" if rng.random() < 0.1 else "xã"
        commune = rng.choice(XA_NAMES)
    else:
        ckind, commune = "phường", rng.choice(PHUONG_NAMES)
    text = _detail(rng, ckind) if detail else ""
    return Place(pcode, pname, pkind, dkind, dname, ckind, commune, text)


def _detail(rng: random.Random, commune_kind: str) -> str:
    if commune_kind == "phường" or rng.random() < 0.2:
        if rng.random() < 0.75:
            return f"Số {rng.randint(1, 250)} đường {rng.choice(STREETS)}"
        return f"Tổ {rng.randint(1, 20)}"
    return f"{rng.choice(VILLAGE_WORDS)} {rng.randint(1, 12)}"


def with_detail(rng: random.Random, place: Place) -> Place:
    """The same commune with a village or street added (someone living there)."""
    return replace(place, detail=_detail(rng, place.commune_kind))


def make_id(rng: random.Random, province_code: str, birth: date, sex: str) -> str:
    """12-digit số định danh: province, century+sex digit, yy, 6 random digits."""
    century = {19: 0, 20: 2, 21: 4}[birth.year // 100]
    digit = century + (1 if sex == "Nữ" else 0)
    return f"{province_code}{digit}{birth.year % 100:02d}{rng.randint(0, 999999):06d}"


def pick_ethnic(rng: random.Random, kinh_share: float = 0.85) -> str:
    if rng.random() < kinh_share:
        return "Kinh"
    return rng.choice(ETHNIC_GROUPS[1:])


def make_name(rng: random.Random, sex: str, ethnic: str = "Kinh", surname: str | None = None) -> str:
    """Full name in capitals, as the forms print it."""
    female = sex == "Nữ"
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    if ethnic in HIGHLAND_PREFIXED:
        name = f"{'Y' if female else 'A'} {given}"
    elif ethnic in HIGHLAND_CLAN:
        prefix = ("H'" if female else "Y ") if ethnic == "Ê Đê" else ("Rơ" if female else "Siu")
        clan = rng.choice(HIGHLAND_CLAN[ethnic])
        name = f"{prefix}{given} {clan}" if prefix.endswith("'") else f"{prefix} {given} {clan}"
    else:
        surname = surname or rng.choices([s for s, _ in SURNAMES], [w for _, w in SURNAMES])[0]
        middles = [m for m in (MIDDLE_FEMALE if female else MIDDLE_MALE) if m != surname]
        middle = rng.choice(middles)
        name = f"{surname} {middle} {given}"
        if rng.random() < 0.12:  # some names carry two middle names
            name = f"{surname} {middle} {rng.choice(middles)} {given}"
            name = name.replace("Văn Văn", "Văn").replace("Thị Thị", "Thị")
    return name.upper()


@dataclass(frozen=True)
class Person:
    name: str
    sex: str
    birth: date
    ethnic: str
    home: Place        # quê quán
    residence: Place   # nơi cư trú / thường trú
    pid: str


def make_person(rng: random.Random, born: tuple[date, date], sex: str | None = None,
                ethnic: str | None = None, province: str | None = None,
                surname: str | None = None) -> Person:
    sex = sex or rng.choice(("Nam", "Nữ"))
    ethnic = ethnic or pick_ethnic(rng)
    birth = rand_date(rng, *born)
    home = make_place(rng, province, detail=False)
    residence = make_place(rng, home.province_code if rng.random() < 0.7 else None)
    pid = make_id(rng, home.province_code, birth, sex)
    return Person(make_name(rng, sex, ethnic, surname), sex, birth, ethnic, home, residence, pid)

