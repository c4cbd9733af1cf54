"""Addresses read against the register of administrative units (schemas/reference/divisions.json).

An address ends in its province and names units that lie in it ("Xóm 11, xã Tân Tiến,
huyện Cao Lộc, tỉnh Lạng Sơn"). The register knows which unit lies where, so it settles
what a single word cannot:

- a name read with marks no unit has ("Đak Hà") takes the spelling of the unit that lies
  in the address's province ("Đắk Hà", not "Đăk Hà", a commune elsewhere); a name some
  unit has is kept ("Quang Trung" in Quảng Bình, though only "Quảng Trung" is there now:
  units were merged and renamed, and old papers print the old ones);
- a province cut short where its line wrapped ("…, thành phố Phúc Yên, tỉnh Vĩnh") is
  completed, but only when one province with that beginning holds the unit named just
  before it;
- words after a whole province name ("tỉnh Kon Tum sim": a seal, a margin note) go;
- a name no unit has, read a letter or two off one ("tỉnh Hưng Yếm", "huyện Khoái Chúa"),
  is that unit when the register confirms it: the province must hold the unit named
  before it, and only one unit of the province may be that near.

Nothing here invents a unit: a part the register does not know or cannot settle is left
as read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import Levenshtein

from pipeline.core.text import fold
from pipeline.understand.doctypes import reference
from pipeline.understand.lexicon import closest

_PROVINCE_UNITS = ("tỉnh", "thành phố", "tp.", "tp")
_UNIT = re.compile(r"\b(thành phố|thị xã|thị trấn|huyện|quận|phường|xã|đặc khu)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Register:
    provinces: dict[str, str]  # folded name -> printed name
    # folded province -> folded name -> spellings, of its districts and of its communes
    districts: dict[str, dict[str, tuple[str, ...]]]
    communes: dict[str, dict[str, tuple[str, ...]]]
    names: frozenset[str]  # every unit's name, casefolded, dashes as dashed() writes them


@cache
def register() -> Register:
    tree = reference("divisions")["tree"]
    provinces = {fold(p): p for p in reference("provinces")["codes"].values()}
    for name in tree:
        provinces.setdefault(fold(name), name)
    districts: dict[str, dict[str, tuple[str, ...]]] = {}
    communes: dict[str, dict[str, tuple[str, ...]]] = {}
    for province, inside in tree.items():
        districts[fold(province)] = _by_fold(d for d in inside if d)
        communes[fold(province)] = _by_fold(c for cs in inside.values() for c in cs)
    names = frozenset(dashed(n) for n in reference("divisions")["names"])
    return Register(provinces, districts, communes, names)


def dashed(name: str) -> str:
    """A name casefolded with its dash unspaced: "Phan Rang - Tháp Chàm" is printed with
    spaces, the register writes "Phan Rang-Tháp Chàm"; one name."""
    return re.sub(r"\s*-\s*", "-", name.casefold())


def _by_fold(units) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for unit in units:
        name = _UNIT.sub("", unit, count=1)
        spellings = found.setdefault(fold(name), [])
        if name not in spellings:
            spellings.append(name)
    return {k: tuple(v) for k, v in found.items()}


def settle_address(value: str) -> str:
    """The address with its province and units as the register prints them (see above)."""
    parts = value.split(",")
    if len(parts) < 2:
        return value
    reg = register()
    unit_word, name = _province_part(parts[-1])
    others = [fold(_unit_name(p)) for p in parts[:-1]]
    province = _province(name, others, reg, trim=bool(unit_word) or len(parts) >= 3,
                         complete=bool(unit_word))
    if province is None and unit_word:
        province = _province_misread(name, others, reg)
    if province is None:
        return value
    lead = re.match(r"\s*", parts[-1])[0]
    parts[-1] = lead + (f"{unit_word} " if unit_word else "") + _same_case(province, name)
    districts, communes = reg.districts.get(fold(province), {}), reg.communes.get(fold(province), {})
    for i, part in enumerate(parts[:-1]):
        read = _unit_name(part)
        # the part before the province is its district (since 2025, its commune)
        near, far = (districts, communes) if i == len(parts) - 2 else (communes, districts)
        spellings = near.get(fold(read)) or far.get(fold(read), ())
        # a name some unit has is kept: it may be a unit the register no longer holds here
        if not read or dashed(read) in reg.names:
            continue
        known = closest(read, spellings) or _misread_unit(read, near, far)
        if known:  # the name is the part's tail
            end = len(part.rstrip())
            parts[i] = part[:end - len(read)] + _same_case(known, read) + part[end:]
    return ",".join(parts)


def _province_part(part: str) -> tuple[str, str]:
    """("tỉnh", "Vĩnh") from " tình Vĩnh" (the unit word known by its letters, printed with
    its marks); ("", "Kon Tum") from " Kon Tum"."""
    text = part.strip()
    for unit in _PROVINCE_UNITS:
        head = re.match(r"\S+" + r"\s+\S+" * unit.count(" ") + r"\s+", text)
        if head and fold(head[0], keep_punct=True) == fold(unit, keep_punct=True):
            read = head[0].strip()
            return (unit.upper() if read.isupper() else unit.capitalize() if read[:1].isupper()
                    else unit), text[head.end():].strip()
    return "", text


def _unit_name(part: str) -> str:
    """The name after the part's last unit word ("Đắk Mar" from "Ủy ban nhân dân xã Đắk
    Mar"), or the whole part when it has none ("Đắk Mar")."""
    text = part.strip()
    ends = [m.end() for m in _UNIT.finditer(text)]
    return text[ends[-1]:] if ends else text


def _province(name: str, others: list[str], reg: Register, trim: bool, complete: bool) -> str | None:
    words = name.split()
    if not words:
        return None
    for size in range(len(words), 0, -1):  # the longest run of words that is a province
        known = reg.provinces.get(fold(" ".join(words[:size])))
        if known and (size == len(words) or (trim and not _is_a_unit(fold(name), reg))):
            return known
    folded = fold(name)
    if not complete:  # only after "tỉnh": a bare "thành" is a cut "thành phố", no province
        return None
    started = [p for p in reg.provinces if p.startswith(folded + " ")]
    # the part before the province names its district (or, since 2025, its commune)
    holding = [p for p in started if others and (others[-1] in reg.districts.get(p, {})
                                                 or others[-1] in reg.communes.get(p, {}))]
    return reg.provinces[holding[0]] if len(holding) == 1 else None


# Letters OCR may have got wrong in a name no unit has, the register still naming one:
# none in names under 6 letters (too many units differ by one), one up to 9, two beyond
def _letters_off(folded: str) -> int:
    return 0 if len(folded) < 6 else 1 if len(folded) < 10 else 2


def _province_misread(name: str, others: list[str], reg: Register) -> str | None:
    """The province a name no province has was read from ("Hưng Yếm"): the one
    province a few letters away that also holds the unit named before it, itself read
    right or as near. Nothing when two could be meant, or the register confirms none."""
    folded = fold(name)
    near = [p for p in reg.provinces
            if Levenshtein.distance(p, folded) <= _letters_off(folded)]
    held = [p for p in near if others and _holds(reg, p, others[-1])]
    return reg.provinces[held[0]] if len(held) == 1 else None


def _holds(reg: Register, province: str, folded_unit: str) -> bool:
    units = [*reg.districts.get(province, {}), *reg.communes.get(province, {})]
    return folded_unit in units or any(
        Levenshtein.distance(u, folded_unit) <= _letters_off(folded_unit) for u in units)


def _misread_unit(read: str, near: dict, far: dict) -> str | None:
    """The one unit of the province, of the part's likely kind first, a few letters from
    a name no unit has ("Khoái Chúa" for Khoái Châu)."""
    folded = fold(read)
    for units in (near, far):
        found = [u for u in units if Levenshtein.distance(u, folded) <= _letters_off(folded)]
        if len(found) == 1 and len(units[found[0]]) == 1:
            return units[found[0]][0]
        if found:
            return None  # two units as near: nothing tells which
    return None


def _is_a_unit(folded: str, reg: Register) -> bool:
    return any(folded in units for kind in (reg.districts, reg.communes) for units in kind.values())


def _same_case(known: str, read: str) -> str:
    return known.upper() if read.isupper() and len(read) > 1 else known
