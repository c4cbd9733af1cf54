"""Hostile and broken files each fail with one clear sentence; the batch goes on; nothing is
written outside OUT; odd but valid names are processed; exit codes say what happened."""
from __future__ import annotations

import os
import random
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest

from samples.render import render_document
from tests.conftest import read_results


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size but carries almost no data (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _pdf(path: Path, pages: int = 1, encrypt: bool = False, size_in: float = 8.27) -> None:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(size_in * 72, size_in * 72))
    kwargs = {"encryption": pikepdf.Encryption(user="secret", owner="owner")} if encrypt else {}
    pdf.save(path, **kwargs)


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    batch = root / "batch"
    dossier = batch / "HS 01 Hồ sơ khó"
    dossier.mkdir(parents=True)
    page = render_document("giay_khai_sinh", random.Random(3), dpi=200).pages[0]
    page.save(dossier / "giấy khai sinh (bản chính).png", dpi=(200, 200))
    page.save(dossier / "..\\..\\evil name.jpg", quality=80, dpi=(200, 200))
    page.save(dossier / "-rf --out=x.png", dpi=(200, 200))
    good = (dossier / "giấy khai sinh (bản chính).png").read_bytes()
    (dossier / "truncated.png").write_bytes(good[: len(good) // 3])
    (dossier / "empty.png").write_bytes(b"")
    (dossier / "notes.pdf").write_text("Đây là một tệp văn bản, không phải PDF.\n", "utf-8")
    _pdf(dossier / "no-pages.pdf", pages=0)
    _pdf(dossier / "encrypted.pdf", encrypt=True)
    _pdf(dossier / "giant-page.pdf", size_in=200)  # 200 in square: 60000 px at 300 dpi
    (dossier / "bomb.png").write_bytes(_png_header_only(35000, 35000))
    (dossier / "random.tif").write_bytes(b"II*\x00" + os.urandom(2000))
    outside = root / "secret.png"
    page.save(outside)
    (dossier / "link-outside.png").symlink_to(outside)
    return batch


@pytest.fixture(scope="module")
def hostile_run(hostile_batch, run_sohoa):
    out = hostile_batch.parent / "out"
    before = set(hostile_batch.parent.iterdir())
    proc = run_sohoa("process", hostile_batch, "--out", out)
    return proc, out, before


FAILING = {
    "truncated.png", "empty.png", "notes.pdf", "no-pages.pdf", "encrypted.pdf",
    "giant-page.pdf", "bomb.png", "random.tif", "link-outside.png",
}


def test_each_bad_file_fails_with_one_clear_sentence(hostile_run):
    proc, out, _ = hostile_run
    assert proc.returncode == 1, proc.stderr
    results = {Path(k).name: v for k, v in read_results(out).items()}
    assert set(results) >= FAILING
    for name in FAILING:
        result = results[name]
        assert result["status"] == "failed", name
        error = result["error"]
        assert error.endswith(".") and error.count(". ") == 0 and 15 < len(error) < 200, error
        assert "Traceback" not in error and "Error" not in error
    assert "mật khẩu" in results["encrypted.pdf"]["error"]
    assert "quá lớn" in results["bomb.png"]["error"]
    assert "quá lớn" in results["giant-page.pdf"]["error"]
    assert "rỗng" in results["empty.png"]["error"]


def test_valid_scans_with_odd_names_are_processed(hostile_run):
    _, out, _ = hostile_run
    results = {Path(k).name: v for k, v in read_results(out).items()}
    for name in ("giấy khai sinh (bản chính).png", "..\\..\\evil name.jpg", "-rf --out=x.png"):
        assert results[name]["status"] in ("done", "needs_review"), results[name]
        assert (out / results[name]["artifacts"]["signed"]).is_file()


def test_nothing_is_written_outside_out(hostile_run, hostile_batch):
    _, out, before = hostile_run
    assert set(hostile_batch.parent.iterdir()) == before | {out}
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())
    assert not list(hostile_batch.rglob("*.result.json"))


def test_report_names_every_failure(hostile_run):
    proc, _, _ = hostile_run
    report = proc.stderr
    assert "lỗi" in report
    for name in ("bomb.png", "encrypted.pdf", "notes.pdf"):
        assert name in report.replace("\n", "")


def test_rerun_keeps_what_is_stored(hostile_run, hostile_batch, run_sohoa):
    _, out, _ = hostile_run
    signed = {p: (p.stat().st_ino, p.read_bytes()) for p in out.rglob("*.pdf") if ".sohoa" not in p.parts}
    again = run_sohoa("process", hostile_batch, "--out", out)
    assert again.returncode == 1
    for path, (inode, data) in signed.items():
        assert path.stat().st_ino == inode and path.read_bytes() == data


def test_usage_errors_exit_2(run_sohoa, tmp_path):
    assert run_sohoa("process", tmp_path / "missing", "--out", tmp_path / "o").returncode == 2
    assert run_sohoa("process", tmp_path, "--out", tmp_path / "inside").returncode == 2
    assert run_sohoa("process", tmp_path).returncode == 2
