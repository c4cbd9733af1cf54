"""The realistic sample family (samples/realistic/) and the trust metrics of the evaluation
(samples/accuracy.py): reproducible batches, truth that matches what is drawn, every
variant the spec lists, and automation / silent errors counted right on hand-made results."""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console

from samples import DOCUMENT_TYPES, FIELD_KEYS
from samples.accuracy import evaluate, print_report
from samples.realistic import split_of
from samples.realistic.document import VARIANTS, make_document
from samples.realistic.generate import generate_realistic

SEED = 31  # neither the tuning nor the hold-out split


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("realistic") / "in"
    truth = generate_realistic(out, per_type=1, seed=SEED, scan_dpis=(150,))
    return out, json.loads(truth.read_text("utf-8"))


def test_same_seed_same_bytes(batch, tmp_path):
    out, _ = batch
    again = generate_realistic(tmp_path / "again", per_type=1, seed=SEED, scan_dpis=(150,))
    assert _hashes(out) == _hashes(again.parent)
    other = generate_realistic(tmp_path / "other", per_type=1, seed=SEED + 1, scan_dpis=(150,))
    assert other.read_bytes() != again.read_bytes()


def test_split_is_fixed():
    assert [split_of(s) for s in (999, 1000, 1999, 2000, 8999, 9000, 9001, 12000)] == \
        ["other", "tuning", "tuning", "other", "other", "hold-out", "hold-out", "hold-out"]


def test_batch_truth_format(batch):
    out, truth = batch
    assert truth["family"] == "realistic" and truth["seed"] == SEED and truth["split"] == "other"
    docs = truth["documents"]
    assert len(docs) == len(DOCUMENT_TYPES) + 2
    assert sorted(d["document_type"] or "" for d in docs) == sorted(list(DOCUMENT_TYPES) + ["", ""])
    for doc in docs:
        assert doc["family"] == "realistic" and doc["effects"] and doc["variant"]
        assert (out / doc["source"]).is_file()
        if doc["document_type"] is None:  # tiny inputs: archived, never a form
            assert doc["fields"] == {} and doc["capture"] == "tiny"
        else:
            assert set(doc["fields"]) <= set(FIELD_KEYS[doc["document_type"]])
        for page in doc["pages"]:
            assert page["rotation"] in (0, 90, 180, 270) and abs(page["skew_deg"]) <= 15
        if doc["capture"] == "photo":
            assert {"phone_photo", "perspective"} <= set(doc["effects"])
            if len(doc["pages"]) > 1:  # several photos sent as one PDF
                assert doc["source"].endswith(".pdf")
                continue
            with Image.open(out / doc["source"]) as im:  # a phone's file: 72 dpi whatever the page's
                assert im.format == "JPEG" and round(im.info["dpi"][0]) == 72


def _printed_dates(iso: str) -> list[str]:
    d = date.fromisoformat(iso)
    return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"ngày {d.day} tháng {d.month} năm {d.year}",
            f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", f"ngày {d.day:02d} tháng {d.month} năm {d.year}"]


def assert_printed(kind: str, fields: dict, text: str) -> None:
    """Every truth value is in the page's recorded text (as a form prints it)."""
    text = " ".join(text.split())
    for key, value in fields.items():
        if key == "loai_van_ban" and value == "Công văn":
            continue  # a công văn prints no type line
        if key == "dien_tich_m2":
            assert f"{value:.1f}".replace(".", ",") + " m²" in text
        elif isinstance(value, int):
            assert str(value) in text, (kind, key, value)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            assert any(s in text for s in _printed_dates(value)), (kind, key, value)
        else:
            assert value in text, (kind, key, value)


def test_batch_truth_is_what_is_drawn(batch):
    _, truth = batch
    for doc in truth["documents"]:
        assert_printed(doc["document_type"], doc["fields"], "\n".join(p["text"] for p in doc["pages"]))


VARIANT_CASES = [(kind, v) for kind, vs in VARIANTS.items() for v in vs]


@pytest.mark.parametrize("kind, variant", VARIANT_CASES)
def test_every_variant_prints_its_truth(kind, variant):
    capture = "card_scan" if kind == "can_cuoc" else "scan"
    doc = make_document(kind, variant, capture, random.Random(f"{kind}/{variant}"), scan_dpi=100)
    f, text = doc.fields, "\n".join(p["text"] for p in doc.pages)
    assert_printed(kind, f, text)
    keys = set(f)
    if variant == "tt04":
        assert "quyen_so" not in keys and re.fullmatch(r"\d+/\d{4}", f["so"]) and "so_dinh_danh" in keys
    elif variant == "old":
        assert "quyen_so" in keys and "so_dinh_danh" not in keys and "Quyển số:" in text
    elif variant.startswith("trich_luc"):
        assert "TRÍCH LỤC KHAI SINH" in text and "quyen_so" not in keys
        assert f["so"].endswith("/TLKS-BS" if variant.endswith("ban_sao") else "/TLKS")
    elif variant == "ban_sao":
        assert "(BẢN SAO)" in text and "quyen_so" in keys
    elif variant == "cccd_2016":
        assert keys == set(FIELD_KEYS["can_cuoc"]) and "Họ và tên:" in text and "Full name" not in text
    elif variant == "can_cuoc_2024":
        assert keys == {"so", "ho_ten", "ngay_sinh", "gioi_tinh", "quoc_tich"}
        assert "Số định danh cá nhân / Personal identification number:" in text
    elif variant == "couple":
        assert re.search(r"(và vợ Bà|và chồng Ông)", text, re.IGNORECASE)
        owner = re.search(r"Địa chỉ thường trú: (.*)", text).group(1)
        assert not owner.startswith(f["dia_chi_thua_dat"])
    elif variant == "page2":
        assert len(doc.pages) == 1 and not keys & {"nguoi_su_dung", "so_phat_hanh"}
        assert "GIẤY CHỨNG NHẬN" not in text and "Thửa đất" in text
    elif kind == "van_ban_hanh_chinh":
        assert not f["chuc_vu_nguoi_ky"].startswith(("TM.", "KT.", "TL.", "TUQ."))
        assert text.splitlines()[-1] == f["nguoi_ky"] or f["nguoi_ky"] in text
        if variant == "cong_van":
            assert f["loai_van_ban"] == "Công văn" and f["trich_yeu"].startswith("V/v")
        if variant != "ubnd":  # the parent agency line comes first, the issuer is the lower one
            first = text.splitlines()[0]
            assert first.startswith("UBND ") and f["co_quan_ban_hanh"] != first


def test_photo_geometry_and_effects():
    doc = make_document("trich_luc_khai_tu", "standard", "photo", random.Random(3), scan_dpi=200)
    (img,), (page,) = doc.images, doc.pages
    assert 70 <= page["dpi"] <= 150 and page["rotation"] in (0, 90, 270)
    assert {"phone_photo", "perspective", "blur", "uneven_light"} <= set(page["degradations"])
    page_px = 210 * page["dpi"] / 25.4  # the page's width at its recorded resolution
    assert 0.45 * min(img.size) < page_px < max(img.size)
    corners = [img.getpixel((0, 0)), img.getpixel((img.width - 1, img.height - 1))]
    assert all(sum(c) < 3 * 245 for c in corners)  # the table shows at the corners, not paper


# -- trust metrics on a hand-made result set ---------------------------------------------

TRUTH = [  # (source, type, fields, page rotations)
    ("a.png", "can_cuoc", {"so": "062090001234", "ho_ten": "NGUYỄN VĂN AN"}, [0]),
    ("b.png", "can_cuoc", {"so": "062090001235", "ho_ten": "LÊ THỊ BA", "gioi_tinh": "Nữ"}, [180]),
    ("c.png", "van_ban_hanh_chinh", {"loai_van_ban": "Công văn", "nguoi_ky": "Trần Văn Cư"}, [0]),
    ("d.png", "can_cuoc", {"so": "062090001236"}, [0]),
    ("e.png", "can_cuoc", {"so": "062090001237"}, [0]),
    ("f.png", "can_cuoc", {"so": "062090001238"}, [0]),
    ("g.png", None, {}, [0]),
]
RESULTS = [  # (source, status, type, fields, page rotations)
    ("a.png", "done", "can_cuoc", {"so": "062090001234", "ho_ten": "Nguyễn Văn An"}, [90]),
    # one wrong value, one extra value, one omitted: 2 silent errors in 4 slots
    ("b.png", "done", "can_cuoc", {"so": "062090001295", "ho_ten": "LÊ THỊ BA",
                                   "quoc_tich": "Việt Nam"}, [180]),
    # the spec's "Công văn" and the printed capitals name one type
    ("c.png", "done", "van_ban_hanh_chinh", {"loai_van_ban": "CÔNG VĂN", "nguoi_ky": "Trần Văn Cư"}, [0]),
    # wrong type, done: both its values are silent errors
    ("d.png", "done", "giay_khai_sinh", {"so": "12", "ho_ten": "AN"}, [0]),
    ("e.png", "needs_review", "can_cuoc", {"so": "000000000000"}, [0]),  # wrong, but flagged
    ("f.png", "failed", None, {}, []),
    # g.png has no result at all
]


def _write_case(root: Path) -> tuple[Path, Path]:
    batch, out = root / "batch", root / "out"
    batch.mkdir()
    docs = [{"source": s, "document_type": t, "fields": f,
             "pages": [{"index": i, "text": "", "rotation": r, "skew_deg": 0.0, "degraded": True}
                       for i, r in enumerate(rot)]} for s, t, f, rot in TRUTH]
    (batch / "truth.json").write_text(json.dumps({"documents": docs}, ensure_ascii=False), "utf-8")
    for source, status, kind, fields, rot in RESULTS:
        result = {"source": source, "status": status, "document_type": kind, "fields": fields,
                  "validation": {"valid": status == "done", "errors": []}, "text": "",
                  "pages": [{"index": i, "rotation": r, "skew_deg": 0.0} for i, r in enumerate(rot)]}
        path = out / "HS" / f"{source}.result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, ensure_ascii=False), "utf-8")
    return batch, out


def test_trust_metrics_on_hand_made_results(tmp_path):
    report = evaluate(*_write_case(tmp_path))
    t = report.trust
    assert (t.documents, t.done, t.failed, t.no_result) == (7, 4, 2, 1)
    assert t.automation == pytest.approx(4 / 7)
    # slots: a 2 + b 4 (3 truth keys + 1 extra) + c 2 + d 1 truth + 2 returned = 11
    assert (t.done_fields, t.done_wrong, t.done_extra, t.done_omitted) == (11, 1, 3, 2)
    assert t.silent_errors == pytest.approx(4 / 11)
    assert (t.done_wrong_type, t.done_with_errors) == (1, 2)
    # upright pages with a result: a, c, d, e (f failed without pages, b's truth is 180)
    assert (t.upright_pages, t.upright_turned) == (4, 1)
    silent = {(s, k) for s, k, *_ in report.silent}
    assert silent == {("b.png", "so"), ("b.png", "quoc_tich"), ("d.png", "so"), ("d.png", "ho_ten")}
    buf = io.StringIO()
    print_report(report, Console(file=buf, width=200))
    printed = buf.getvalue()
    assert "Tự động hoàn toàn" in printed and "57.1% (4/7)" in printed and "36.4% (4/11)" in printed


def test_all_done_and_right_means_no_silent_error(tmp_path):
    batch, out = _write_case(tmp_path)
    for path in out.rglob("*.result.json"):
        path.unlink()
    a = {"source": "a.png", "status": "done", "document_type": "can_cuoc", "text": "",
         "fields": {"so": "062090001234", "ho_ten": "NGUYỄN VĂN AN"},
         "validation": {"valid": True, "errors": []}, "pages": [{"index": 0, "rotation": 0}]}
    (out / "HS" / "a.png.result.json").write_text(json.dumps(a, ensure_ascii=False), "utf-8")
    t = evaluate(batch, out).trust
    assert (t.done, t.done_fields, t.silent_errors, t.upright_turned, t.no_result) == (1, 2, 0.0, 0, 6)


def test_benchmark_sums_seeds(tmp_path):
    from bench.realistic import merge, summary

    report = evaluate(*_write_case(tmp_path))
    types, fields, trust = merge([report, report])
    assert (trust.documents, trust.done, trust.done_wrong + trust.done_extra) == (14, 8, 8)
    assert trust.silent_errors == report.trust.silent_errors and types.total == 2 * report.types.total
    assert dict(summary(types, fields, trust))["Tài liệu lỗi (kể cả không có kết quả)"] == "28.6% (4/14)"


def test_cli_family_option(tmp_path):
    from click.testing import CliRunner

    from cli.main import main

    runner = CliRunner()
    refused = runner.invoke(main, ["samples", str(tmp_path / "x"), "--family", "realistic", "--clean"])
    assert refused.exit_code == 2
    made = runner.invoke(main, ["samples", str(tmp_path / "r"), "--family", "realistic", "--per-type", "1",
                                "--seed", "1500"])
    assert made.exit_code == 0, made.output
    truth = json.loads((tmp_path / "r" / "truth.json").read_text("utf-8"))
    assert truth["split"] == "tuning" and {d["family"] for d in truth["documents"]} == {"realistic"}
