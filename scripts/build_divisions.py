"""Write schemas/reference/divisions.json: the names of Viet Nam's districts and communes.

Real documents print real places; a name OCR read with a wrong mark ("huyện Ngọc Hỏi",
"Đak Hà") is mended from this list (pipeline/understand/lexicon.py). The names come from
the General Statistics Office's register of administrative units as packaged on PyPI by
`vietnam-provinces`: 0.6.0 holds the units before the 2025 reform (63 provinces, their
districts and communes), 2025.10.1 the units after it. Old papers print the old names, new
ones the new, so the list holds both, and the tree of which unit lies in which (a province's
districts and their communes), which tells "Đắk Hà" the district of Kon Tum from "Đăk Hà"
a commune elsewhere, and "tỉnh Vĩnh" cut short after "thành phố Phúc Yên" from Vĩnh Long.

Run it when the register changes: `.venv/bin/python scripts/build_divisions.py`
(it downloads the two wheels from the package index into a private temporary folder).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

RELEASES = ("0.6.0", "2025.10.1")
TARGET = Path(__file__).resolve().parent.parent / "schemas" / "reference" / "divisions.json"
# The unit word as a document prints it before the name, in lower case ("huyện Đắk Hà").
UNIT_WORDS = ("thành phố", "thị xã", "thị trấn", "huyện", "quận", "phường", "xã", "đặc khu")


def units_of(nested: list[dict]) -> set[str]:
    """Every district and commune as "unit-word Name", from the package's nested JSON."""
    found: set[str] = set()
    for province in nested:
        for district in province.get("districts", ()):
            found.add(district["name"])
            found.update(ward["name"] for ward in district.get("wards", ()))
        found.update(ward["name"] for ward in province.get("wards", ()))
    return found


def tree_of(nested: list[dict], tree: dict[str, dict[str, set[str]]]) -> None:
    """Add province -> district -> communes, every unit as "unit-word Name" and the province
    by its bare name; after the reform a province's communes sit under the district ""."""
    for province in nested:
        name = province["name"]
        bare = name.split(" ", 1)[1] if name.lower().startswith("tỉnh ") else split_unit(name)
        districts = tree.setdefault(bare[1] if isinstance(bare, tuple) else (bare or name), {})
        for district in province.get("districts", ()):
            communes = districts.setdefault(_as_printed(district["name"]), set())
            communes.update(_as_printed(w["name"]) for w in district.get("wards", ()))
        districts.setdefault("", set()).update(_as_printed(w["name"]) for w in province.get("wards", ()))


def _as_printed(full: str) -> str:
    parts = split_unit(full)
    return f"{parts[0]} {parts[1]}" if parts else full


def split_unit(full: str) -> tuple[str, str] | None:
    """("huyện", "Đắk Hà") from "Huyện Đắk Hà"; None for a name with no known unit word."""
    for unit in UNIT_WORDS:
        if full.lower().startswith(unit + " "):
            return unit, full[len(unit) + 1:].strip()
    return None


def main() -> int:
    names: set[str] = set()
    units: set[str] = set()
    tree: dict[str, dict[str, set[str]]] = {}
    with tempfile.TemporaryDirectory() as work:
        for release in RELEASES:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            f"vietnam-provinces=={release}", "-d", work], check=True)
        for wheel in sorted(Path(work).glob("*.whl")):
            with zipfile.ZipFile(wheel) as archive:
                nested = json.loads(archive.read("vietnam_provinces/data/nested-divisions.json"))
            tree_of(nested, tree)
            for full in units_of(nested):
                parts = split_unit(full)
                if parts is None:
                    continue
                unit, name = parts
                units.add(f"{unit} {name}")
                names.add(name)
    TARGET.write_text(json.dumps({
        "_comment": "Districts and communes of Viet Nam, before and after the 2025 reform, "
                    "from the General Statistics Office's register as packaged by "
                    "vietnam-provinces " + " and ".join(RELEASES) + ". Written by "
                    "scripts/build_divisions.py; do not edit by hand.",
        "units": sorted(units),
        "names": sorted(names),
        "tree": {p: {d: sorted(c) for d, c in sorted(ds.items()) if d or c} for p, ds in sorted(tree.items())},
    }, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(units)} units, {len(names)} names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
