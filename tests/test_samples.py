"""The synthetic scan generator (samples/): reproducible, consistent ground truth, files
that open with the recorded pages and dpi, and geometry that matches the truth."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageSequence

from samples import DOCUMENT_TYPES, FIELD_KEYS, generate_batch, page_size_px, render_document
from samples.degrade import degrade
from samples.fake import TODAY

# The 63 pre-2025 province codes of personal IDs (Thông tư 59/2021/TT-BCA).
PROVINCE_CODES = set(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 "
    "037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 "
    "077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split())
# (id key, birth date key, sex key or a fixed sex) per type
ID_RULES = {
    "giay_khai_sinh": [("so_dinh_danh", "ngay_sinh", "gioi_tinh")],
    "trich_luc_khai_tu": [("so_dinh_danh", "ngay_sinh", "gioi_tinh")],
    "xac_nhan_tinh_trang_hon_nhan": [("so_dinh_danh", "ngay_sinh", "gioi_tinh")],
    "can_cuoc": [("so", "ngay_sinh", "gioi_tinh")],
    "giay_chung_nhan_ket_hon": [("chong_so_dinh_danh", "chong_ngay_sinh", "Nam"),
                                ("vo_so_dinh_danh", "vo_ngay_sinh", "Nữ")],
}
# date pairs that must be ordered (earlier, later)
ORDER = {
    "giay_khai_sinh": [("ngay_sinh", "ngay_dang_ky")],
    "trich_luc_khai_tu": [("ngay_sinh", "ngay_chet"), ("ngay_chet", "ngay_dang_ky")],
    "xac_nhan_tinh_trang_hon_nhan": [("ngay_sinh", "ngay_cap"), ("ngay_cap", "co_gia_tri_den")],
    "can_cuoc": [("ngay_sinh", "co_gia_tri_den")],
    "giay_chung_nhan_ket_hon": [("chong_ngay_sinh", "ngay_dang_ky"), ("vo_ngay_sinh", "ngay_dang_ky")],
}
EXPIRY_KEYS = {"co_gia_tri_den"}


def id_matches(pid: str, birth: date, sex: str) -> bool:
    century = (birth.year - 1900) // 100 * 2
    return (re.fullmatch(r"\d{12}", pid) is not None and pid[:3] in PROVINCE_CODES
            and int(pid[3]) == century + (sex == "Nữ") and pid[4:6] == f"{birth.year % 100:02d}")


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("batch") / "in"
    truth_path = generate_batch(out, per_type=3, seed=7)
    return out, json.loads(truth_path.read_text(encoding="utf-8"))


def test_truth_header_and_layout(batch):
    out, truth = batch
    assert truth["generator"] == "sohoa-samples 1" and truth["seed"] == 7
    docs = truth["documents"]
    assert len(docs) == 3 * len(DOCUMENT_TYPES)
    sources = [d["source"] for d in docs]
    assert len(set(sources)) == len(sources)
    assert all((out / s).is_file() and unicodedata.is_normalized("NFC", s) for s in sources)
    loose = [s for s in sources if "/" not in s]
    assert len(loose) >= 2
    dossiers: dict[str, int] = {}
    for s in sources:
        if "/" in s:
            folder, _ = s.split("/")
            assert re.fullmatch(r"HS-\d{3}", folder)
            dossiers[folder] = dossiers.get(folder, 0) + 1
    assert all(1 <= n <= 4 for n in dossiers.values())
    assert any(" " in s for s in sources)
    assert any(not s.isascii() for s in sources)
    assert {d["document_type"] for d in docs} == set(DOCUMENT_TYPES)


def test_fields_follow_the_spec(batch):
    _, truth = batch
    for doc in truth["documents"]:
        kind, f = doc["document_type"], doc["fields"]
        assert set(f) == set(FIELD_KEYS[kind]), doc["source"]
        for key, value in f.items():
            if isinstance(value, str):
                assert value and value == " ".join(value.split()) and unicodedata.is_normalized("NFC", value)
                assert not value.endswith((".", "…")), (key, value)
            if key.startswith("ngay") or key.endswith("ngay_sinh") or key in EXPIRY_KEYS:
                d = date.fromisoformat(value)
                assert d.isoformat() == value
                if key not in EXPIRY_KEYS:
                    assert d <= TODAY, (key, value)
            if key.endswith("nam_sinh"):
                assert isinstance(value, int) and 1900 < value <= TODAY.year
        for key, birth, sex in ID_RULES.get(kind, []):
            sex = f.get(sex, sex)
            assert id_matches(f[key], date.fromisoformat(f[birth]), sex), (doc["source"], f[key], f[birth], sex)
        for early, late in ORDER.get(kind, []):
            assert f[early] < f[late], (doc["source"], early, late)
        if "gioi_tinh" in f:
            assert f["gioi_tinh"] in ("Nam", "Nữ")
        if kind == "giay_khai_sinh":
            born = date.fromisoformat(f["ngay_sinh"]).year
            assert f["me_nam_sinh"] < born and f["cha_nam_sinh"] < born
        if kind == "van_ban_hanh_chinh":
            assert re.fullmatch(r"\d+/[A-ZĐa-z]+-[A-ZĐ]+", f["so_ky_hieu"])
        if kind == "giay_chung_nhan_qsdd":
            assert re.fullmatch(r"[A-Z]{2} \d{6}", f["so_phat_hanh"])
            assert re.fullmatch(r"C[SH] \d{5}", f["so_vao_so"])
            assert isinstance(f["dien_tich_m2"], float) and f["dien_tich_m2"] > 0


def _printed_dates(iso: str) -> list[str]:
    d = date.fromisoformat(iso)
    return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"ngày {d.day} tháng {d.month} năm {d.year}",
            f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", f"ngày {d.day:02d} tháng {d.month} năm {d.year}"]


def test_field_values_are_printed_in_the_page_text(batch):
    _, truth = batch
    for doc in truth["documents"]:
        text = " ".join(" ".join(p["text"] for p in doc["pages"]).split())
        assert ". . . ." not in text and "....." not in text  # leaders are not text
        for key, value in doc["fields"].items():
            if key == "loai_van_ban" and value == "CÔNG VĂN":
                continue  # a công văn prints no type line
            if key == "dien_tich_m2":
                assert f"{value:.1f}".replace(".", ",") + " m²" in text
            elif isinstance(value, int):
                assert str(value) in text
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                assert any(s in text for s in _printed_dates(value)), (doc["source"], key, value)
            else:
                assert value in text, (doc["source"], key, value)


def _frames(path: Path) -> list[tuple[tuple[int, int], float]]:
    """(pixel size, dpi) of each page of an image file or image-only PDF."""
    if path.suffix == ".pdf":
        pages = []
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                (_, image), = page.Resources.XObject.items()
                width_pt = float(page.mediabox[2]) - float(page.mediabox[0])
                pages.append(((int(image.Width), int(image.Height)), int(image.Width) / width_pt * 72))
        return pages
    with Image.open(path) as im:
        return [(f.size, f.info.get("dpi", im.info.get("dpi"))[0]) for f in ImageSequence.Iterator(im)]


def _expected_size(kind: str, page: dict) -> tuple[float, float]:
    w, h = page_size_px(kind, page["dpi"])
    a = math.radians(page["skew_deg"])
    w, h = w * abs(math.cos(a)) + h * abs(math.sin(a)), w * abs(math.sin(a)) + h * abs(math.cos(a))
    return (h, w) if page["rotation"] in (90, 270) else (w, h)


def test_files_open_with_recorded_pages_dpi_and_geometry(batch):
    out, truth = batch
    seen_rotations = set()
    for doc in truth["documents"]:
        frames = _frames(out / doc["source"])
        assert len(frames) == len(doc["pages"]), doc["source"]
        if doc["document_type"] == "giay_chung_nhan_qsdd":
            assert len(frames) == 2 and Path(doc["source"]).suffix in (".tif", ".tiff", ".pdf")
        for page, (size, dpi) in zip(doc["pages"], frames):
            assert page["dpi"] in (200, 300) and round(dpi) == page["dpi"], doc["source"]
            assert page["rotation"] in (0, 90, 180, 270) and abs(page["skew_deg"]) <= 15
            if not page["degraded"]:
                assert page["rotation"] == 0 and page["skew_deg"] == 0 and page["degradations"] == []
            ew, eh = _expected_size(doc["document_type"], page)
            assert abs(size[0] - ew) <= 3 and abs(size[1] - eh) <= 3, (doc["source"], size, (ew, eh), page)
            seen_rotations.add(page["rotation"])
    assert len(seen_rotations) >= 2


def test_same_seed_same_bytes(tmp_path):
    def hashes(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}
    a = generate_batch(tmp_path / "a", per_type=1, seed=5, dpis=(120,))
    b = generate_batch(tmp_path / "b", per_type=1, seed=5, dpis=(120,))
    assert a.read_bytes() == b.read_bytes()
    ha, hb = hashes(tmp_path / "a"), hashes(tmp_path / "b")
    assert ha == hb and any(k.endswith(".png") for k in ha)
    c = generate_batch(tmp_path / "c", per_type=1, seed=6, dpis=(120,))
    assert c.read_bytes() != a.read_bytes()


def test_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(ValueError):
        generate_batch(tmp_path, per_type=1)


@pytest.mark.parametrize("kind", DOCUMENT_TYPES)
def test_render_document_gives_clean_upright_pages(kind):
    doc = render_document(kind, random.Random(1), dpi=100)
    assert doc.doc_type == kind and set(doc.fields) == set(FIELD_KEYS[kind])
    assert len(doc.pages) == len(doc.page_texts) == (2 if kind == "giay_chung_nhan_qsdd" else 1)
    for page, text in zip(doc.pages, doc.page_texts):
        assert page.mode == "RGB" and page.size == page_size_px(kind, 100)
        assert text and unicodedata.is_normalized("NFC", text)
    if kind != "can_cuoc":
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in doc.page_texts[0]


def test_render_rejects_unknown_type():
    with pytest.raises(ValueError):
        render_document("ho_chieu", random.Random(0))


def _ink_centre(img: Image.Image) -> tuple[float, float]:
    """Centre of the dark pixels, as fractions of width and height."""
    a = np.asarray(img.convert("L")) < 100
    ys, xs = np.nonzero(a)
    return xs.mean() / a.shape[1], ys.mean() / a.shape[0]


@pytest.mark.parametrize("rotation, corner", [(0, (0, 0)), (90, (1, 0)), (180, (1, 1)), (270, (0, 1))])
def test_rotation_is_clockwise(rotation, corner):
    page = Image.new("RGB", (200, 300), "white")
    page.paste((0, 0, 0), (10, 10, 50, 50))  # a mark at the top left
    out = degrade(page, random.Random(0), rotation=rotation, skew_deg=0.0, effects=[], dpi=100)
    assert out.size == ((300, 200) if rotation in (90, 270) else (200, 300))
    x, y = _ink_centre(out)
    assert (round(x), round(y)) == corner


@pytest.mark.parametrize("skew", [6.0, -6.0])
def test_skew_is_counter_clockwise_and_filled_with_paper(skew):
    page = Image.new("RGB", (400, 300), "white")
    page.paste((0, 0, 0), (20, 145, 380, 155))  # a horizontal bar
    out = degrade(page, random.Random(0), rotation=0, skew_deg=skew, effects=["colour_paper"], dpi=100)
    a = np.asarray(out.convert("L")) < 100
    cols = np.nonzero(a.any(axis=0))[0]
    left_y = np.nonzero(a[:, cols[0] + 3])[0].mean()
    right_y = np.nonzero(a[:, cols[-1] - 3])[0].mean()
    assert (right_y < left_y) == (skew > 0)  # CCW lifts the right end
    rgb = np.asarray(out).astype(int)
    assert np.abs(rgb[0, 0] - rgb[rgb.shape[0] // 2, 5]).max() < 20  # corner fill = paper colour
    assert abs(out.size[0] - (400 * math.cos(math.radians(6)) + 300 * math.sin(math.radians(6)))) <= 2
