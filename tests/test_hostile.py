"""Hostile batches (issue 15): every input below is made for real on disk, and the real
`sohoa process` runs on it.

- names that would write outside OUT or into its own folders;
- one entry that used to kill the whole batch, and every re-run after it;
- entries that used to be skipped without a word;
- names printed on the operator's terminal;
- a decompression bomb inside a PDF;
- work files in the shared temporary folder.

The tests run as root, whom `chmod 000` does not stop: the runs that need an unreadable
file or folder drop the two capabilities that let root read anything
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the `sohoa` process before it starts, so
the permission check really fails, as it would for an ordinary user.
"""
from __future__ import annotations

import ctypes
import io
import json
import os
import random
import socket
import stat
import struct
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from cli.terminal import inert
from pipeline.core.errors import InputError
from pipeline.core.model import Limits
from pipeline.core.workdir import LOCK_NAME
from pipeline.scan.load import inspect_source, load_page
from samples.render import render_document
from tests.conftest import SOHOA, read_results
from workers.batch_entries import NAME_MAX, PATH_MAX, RESERVED, discover, printable

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
PR_CAPBSET_DROP = 24


def _bound_by_permissions() -> None:
    """preexec_fn: this process and what it starts obey file permissions even as root."""
    if os.geteuid() != 0:
        return  # an ordinary user obeys them anyway
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture(scope="module")
def sohoa(sohoa_env):
    def run(batch: Path, out: Path, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([SOHOA, "process", str(batch), "--out", str(out)],
                              env={**sohoa_env, **(env or {})}, capture_output=True, text=True,
                              timeout=600, preexec_fn=_bound_by_permissions)
    return run


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_document("giay_khai_sinh", random.Random(3), dpi=150).pages[0]


def _scan(page: Image.Image, path: Path | str) -> None:
    page.save(path, format="PNG", dpi=(150, 150))


def _sources(out: Path) -> dict[str, dict]:
    return read_results(out)


def _one_sentence(error: str) -> bool:
    return error.endswith(".") and ". " not in error and 15 < len(error) < 200


# --------------------------------------------------------------- 1. writes outside OUT

def test_dossier_folders_are_safe_and_distinct(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("...png", "..png", ".sohoa.png", "certified.png", "ordinary.png"):
        (batch / name).write_bytes(b"x")
    for folder in ("certified", "HS 01"):
        (batch / folder).mkdir()
        (batch / folder / "a.png").write_bytes(b"x")
    made_up = {s.rel: s.dossier for s in discover(batch, tmp_path / "out")}["...png"]
    # a real folder already bears the name `...png` was given: the folder keeps it
    (batch / made_up).mkdir()
    (batch / made_up / "b.png").write_bytes(b"x")
    sources = discover(batch, tmp_path / "out")
    dossiers = {s.rel: s.dossier for s in sources}
    assert dossiers["ordinary.png"] == "ordinary" and dossiers["HS 01/a.png"] == "HS 01"
    assert dossiers[f"{made_up}/b.png"] == made_up
    assert len(set(dossiers.values())) == len(dossiers) == 8, dossiers
    for source in sources:
        folder = source.dossier
        assert folder not in ("", ".", "..") and "/" not in folder and not folder.startswith(".")
        assert folder.casefold() not in {r.casefold() for r in RESERVED}
        assert source.result_path.startswith(folder + "/")


def test_loose_files_named_like_dots_stay_inside_out(tmp_path, sohoa, page):
    batch, out = tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    _scan(page, batch / "...png")  # a real document: its PDFs are published too
    for name in ("..png", ".sohoa.png", "certified.png"):
        (batch / name).write_bytes(b"")
    proc = sohoa(batch, out)
    assert proc.returncode == 1, proc.stderr  # the three empty files fail
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch", "out"]
    assert not list(out.glob("*.json")) and not list(out.glob("*.pdf"))  # nothing in OUT's root
    assert not list((out / ".sohoa").rglob("*.result.json"))
    assert not (out / "certified").exists()
    results = _sources(out)
    assert set(results) == {"...png", "..png", ".sohoa.png", "certified.png"}
    assert results["...png"]["status"] in ("done", "needs_review")
    for path in out.rglob("*.result.json"):
        folder = path.parent
        assert folder.parent == out and folder.name not in (".", "..", ".sohoa", "certified")
    signed = out / results["...png"]["artifacts"]["signed"]
    assert signed.is_file() and signed.resolve().is_relative_to(out)


# ------------------------------------------------------ 2. one entry wedges the batch

def _deeper_than_the_os_allows(root: Path) -> Path:
    """A folder chain whose path is longer than PATH_MAX, a scan at its bottom (made
    step by step through folder descriptors: no path that long can be named at once)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for level in range(PATH_MAX // 240 + 2):
            name = f"{level:02d}" + "d" * 240
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("scan.png", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    return root


def _pdf_rotate_name(path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].obj.Rotate = pikepdf.Name("/Ninety")
    pdf.save(path)


@pytest.fixture(scope="module")
def wedged(tmp_path_factory, sohoa, page):
    """A batch of entries that each used to kill the run, and two runs of it."""
    root = tmp_path_factory.mktemp("wedged")
    batch, out = root / "batch", root / "out"
    dossier = batch / "HS1"
    dossier.mkdir(parents=True)
    (dossier / "loop-a.png").symlink_to("loop-b.png")
    (dossier / "loop-b.png").symlink_to("loop-a.png")
    _scan(page, dossier / "locked.png")
    (dossier / "locked.png").chmod(0)
    (dossier / os.fsdecode(b"b\xe1o c\xe1o \xff.png")).write_bytes(b"")  # Latin-1, not UTF-8
    _pdf_rotate_name(dossier / "rotate-name.pdf")
    _scan(page, dossier / ("x" * (NAME_MAX - 4) + ".png"))  # 255 bytes: a real document
    (batch / "HS2").mkdir()
    _deeper_than_the_os_allows(batch / "HS2")
    first = sohoa(batch, out)
    results = _sources(out)
    again = sohoa(batch, out)
    return first, again, results, out


def test_each_wedging_entry_is_its_own_failure(wedged):
    first, _, results, _ = wedged
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    failed = {k: v["error"] for k, v in results.items() if v["status"] == "failed"}
    assert "liên kết vòng" in failed["HS1/loop-a.png"] and "liên kết vòng" in failed["HS1/loop-b.png"]
    assert "quyền đọc" in failed["HS1/locked.png"]
    assert "/Rotate" in failed["HS1/rotate-name.pdf"]
    assert "HS1/b\\xe1o c\\xe1o \\xff.png" in failed  # the bytes, shown as escapes
    deep = [k for k in failed if k.startswith("HS2/")]
    assert len(deep) == 1 and "dài quá giới hạn" in failed[deep[0]]
    for error in failed.values():
        assert _one_sentence(error), error


def test_a_255_byte_name_gets_a_bounded_result_name(wedged):
    _, _, results, out = wedged
    long_name = "HS1/" + "x" * (NAME_MAX - 4) + ".png"
    result = results[long_name]
    assert result["status"] in ("done", "needs_review")
    written = [p for p in out.rglob("*.result.json") if json.loads(p.read_text())["source"] == long_name]
    assert len(written) == 1 and len(os.fsencode(written[0].name)) <= NAME_MAX
    assert (out / result["artifacts"]["signed"]).is_file()
    for path in out.rglob("*"):
        assert len(os.fsencode(path.name)) <= NAME_MAX and len(os.fsencode(path)) < PATH_MAX


def test_a_rerun_does_not_die_on_them(wedged):
    first, again, _, _ = wedged
    assert again.returncode == 1, again.stderr
    assert "Traceback" not in again.stderr
    assert "đã xong từ lần chạy trước" in again.stderr


def test_an_output_tree_too_deep_to_mirror_is_flattened(tmp_path):
    batch = tmp_path / "batch"
    inner = batch / "HS1" / ("a" * 200) / ("b" * 200)
    inner.mkdir(parents=True)
    (inner / "scan.png").write_bytes(b"x")
    out = tmp_path / ("o" * 250) / ("u" * 250) / ("t" * 250)
    for _ in range(12):  # an OUT path of some 3400 bytes
        out = out / ("p" * 250)
    (source,) = discover(batch, out)
    assert len(os.fsencode(out / source.result_path)) < PATH_MAX
    assert source.result_path == "HS1/scan.png.result.json"  # flat in its dossier
    (near,) = discover(batch, tmp_path / "out")
    assert near.result_path == f"HS1/{'a' * 200}/{'b' * 200}/scan.png.result.json"


# ----------------------------------------------------------------- 3. silently skipped

def test_every_entry_is_accounted_for(tmp_path, sohoa):
    batch, out = tmp_path / "batch", tmp_path / "out"
    dossier = batch / "HS1"
    (dossier / "sub").mkdir(parents=True)
    os.mkfifo(dossier / "pipe.png")
    os.mknod(dossier / "null.png", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(dossier / "socket.png"))
    (dossier / "sub" / "hidden.png").write_bytes(b"")
    (dossier / "sub").chmod(0)
    (batch / "HS2").mkdir()
    (batch / "HS2" / "scan.png").write_bytes(b"")
    (batch / "HS2").chmod(0)
    proc = sohoa(batch, out)
    assert proc.returncode == 1, proc.stderr
    results = _sources(out)
    assert set(results) == {"HS1/pipe.png", "HS1/null.png", "HS1/socket.png", "HS1/sub", "HS2"}
    assert all(r["status"] == "failed" and _one_sentence(r["error"]) for r in results.values())
    assert "thông thường" in results["HS1/pipe.png"]["error"]
    assert "quyền đọc thư mục" in results["HS2"]["error"]
    report = proc.stderr.replace("\n", "")
    assert "5 tài liệu" in report and "5 lỗi" in report
    for source in results:
        assert source in report


def test_hidden_top_level_folders_are_listed_not_skipped(tmp_path, sohoa, page):
    """A hidden folder at the top of the batch is not a dossier and is not opened, but it
    is an entry of the report (failed, with how to have it digitized) and of the exit
    code; a hidden file at the top is a document like any other; litter files stay out."""
    batch, out = tmp_path / "batch", tmp_path / "out"
    (batch / "HS1").mkdir(parents=True)
    _scan(page, batch / "HS1" / "scan.png")
    (batch / ".git" / "objects").mkdir(parents=True)
    (batch / ".git" / "objects" / "ab").write_bytes(b"not a scan")
    (batch / ".HS2").mkdir()
    _scan(page, batch / ".HS2" / "scan.png")  # a dossier someone hid: not lost silently
    (batch / ".loose.png").write_bytes(b"")  # a hidden file: a document, refused as such
    (batch / ".DS_Store").write_bytes(b"\0")  # the system's litter: left out
    proc = sohoa(batch, out)
    assert proc.returncode == 1, proc.stderr
    results = _sources(out)
    assert set(results) == {"HS1/scan.png", ".git", ".HS2", ".loose.png"}
    assert results["HS1/scan.png"]["status"] in ("done", "needs_review")
    for hidden in (".git", ".HS2"):
        assert results[hidden]["status"] == "failed", results[hidden]
        assert "Thư mục ẩn" in results[hidden]["error"] and _one_sentence(results[hidden]["error"])
    assert results[".loose.png"]["status"] == "failed"
    assert "Thư mục ẩn" not in results[".loose.png"]["error"]
    for folder in out.iterdir():  # safe names: nothing hidden, nothing of OUT's own
        assert folder.name == ".sohoa" or not folder.name.startswith("."), folder
    report = proc.stderr.replace("\n", "")
    assert "4 tài liệu" in report and "3 lỗi" in report, report
    assert ".git" in report and ".HS2" in report and "Thư mục ẩn" in report
    assert ".DS_Store" not in report


# ------------------------------------------------------------ 4. names on the terminal

def test_names_are_printed_inert(tmp_path, sohoa, page):
    batch, out = tmp_path / "batch", tmp_path / "out"
    (batch / "x[").mkdir(parents=True)
    # with its folder, a source that closes a tag never opened, clears the screen and
    # turns the text red; the same folder holds a real scan under a name that is not UTF-8
    (batch / "x[" / "bold] \x1b[2J\x1b[31m.png").write_bytes(b"")
    _scan(page, batch / "x[" / os.fsdecode(b"bold] b\xe1o c\xe1o.png"))
    (batch / "[red]GIẢ MẠO.png").write_bytes(b"")
    proc = sohoa(batch, out)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "\x1b" not in proc.stderr
    results = _sources(out)
    assert results["x[/bold] b\\xe1o c\\xe1o.png"]["status"] in ("done", "needs_review")
    report = proc.stderr.replace("\n", "")
    assert "x[/bold] \\x1b[2J\\x1b[31m.png" in report  # shown, not applied
    assert "[red]GIẢ MẠO.png" in report


def test_inert_shows_markup_and_control_characters():
    assert inert("a[/bold]b") == "a\\[/bold]b"
    assert inert("\x1b[2J\u202e") == "\\x1b[2J\\u202e"
    assert printable(os.fsdecode(b"\xff\x1b.png")) == "\\xff\\x1b.png"
    assert printable("Giấy khai sinh (bản chính).png") == "Giấy khai sinh (bản chính).png"


# ----------------------------------------------------- 5. a decompression bomb in a PDF

def _jpeg_declaring(width: int, height: int) -> bytes:
    """A small grey JPEG whose header declares width × height (its data is 8×8): what
    a decoder would allocate is the declared size."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 200).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _pdf_drawing(path: Path, jpeg: bytes, width: int, height: int, page_pt: float = 72,
                 dct: object = pikepdf.Name.DCTDecode) -> None:
    """A page of `page_pt` points drawing one JPEG XObject of /Width × /Height."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(page_pt, page_pt))
    image = pikepdf.Stream(pdf, jpeg)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = width, height
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 8
    image.Filter = dct
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q %g 0 0 %g 0 0 cm /Im0 Do Q" % (page_pt, page_pt))
    pdf.save(path)


def test_a_huge_image_on_a_small_pdf_page_is_refused(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    _pdf_drawing(bomb, _jpeg_declaring(20000, 20000), 20000, 20000)  # 1 inch: "1200×1200"
    assert bomb.stat().st_size < 10_000
    with pytest.raises(InputError) as refused:
        inspect_source(bomb, Limits())
    assert "20000×20000" in refused.value.message and "quá lớn" in refused.value.message
    with pytest.raises(InputError):
        load_page(bomb, "pdf", 0, Limits())  # a page task checks again before decoding


@pytest.mark.parametrize("dct", [pikepdf.Name.DCTDecode, pikepdf.Array([pikepdf.Name.DCTDecode])],
                         ids=["name", "array"])
def test_a_jpeg_larger_than_its_pdf_says_is_refused_before_decoding(tmp_path, dct):
    liar = tmp_path / "liar.pdf"
    _pdf_drawing(liar, _jpeg_declaring(20000, 20000), 100, 100, page_pt=72, dct=dct)
    inspect_source(liar, Limits())  # the dictionary says 100×100: nothing to see yet
    with pytest.raises(InputError) as refused:
        load_page(liar, "pdf", 0, Limits())
    assert refused.value.code == "page_too_large" and "quá lớn" in refused.value.message
    assert Limits().max_page_pixels == Image.MAX_IMAGE_PIXELS  # Pillow's guard is on


def test_a_bomb_in_a_batch_is_that_document_failing(tmp_path, sohoa):
    batch, out = tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    _pdf_drawing(batch / "bomb.pdf", _jpeg_declaring(20000, 20000), 20000, 20000)
    proc = sohoa(batch, out)
    assert proc.returncode == 1, proc.stderr
    (result,) = _sources(out).values()
    assert "quá lớn" in result["error"] and _one_sentence(result["error"])


# ------------------------------------------------------------ 6. leftovers in /tmp

class _Created:
    """Names created directly in some folders while this watches (Linux inotify): even
    a file that lives a millisecond is seen."""

    IN_CREATE, IN_MOVED_TO = 0x100, 0x80

    def __init__(self, *folders: Path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        self.folders = {}
        for folder in folders:
            wd = self.libc.inotify_add_watch(self.fd, os.fsencode(folder),
                                             self.IN_CREATE | self.IN_MOVED_TO)
            assert wd >= 0, ctypes.get_errno()
            self.folders[wd] = folder

    def names(self) -> list[Path]:
        data = b""
        while True:
            try:
                data += os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
        created, at = [], 0
        while at < len(data):
            wd, _, _, length = struct.unpack_from("iIII", data, at)
            name = data[at + 16:at + 16 + length].rstrip(b"\0")
            created.append(self.folders[wd] / os.fsdecode(name))
            at += 16 + length
        os.close(self.fd)
        return created


def test_work_files_live_in_a_private_folder_cleaned_even_after_a_crash(tmp_path, sohoa):
    import fcntl

    tmp, batch, out = tmp_path / "tmp", tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(216, 216))  # not a scanner's JPEG: poppler renders it
    pdf.save(batch / "blank.pdf")
    base = tmp / f"sohoa-{os.getuid()}"
    crashed, alive = base / "run-4242-crashed", base / "run-4343-alive"
    for run in (crashed, alive):
        run.mkdir(parents=True)
        (run / LOCK_NAME).write_bytes(b"")
        (run / "page.pgm").write_bytes(b"P5 1 1 255 \x00")
        (run / "page.tsv").write_text("OCR text: NGUYỄN VĂN AN 062221001234")
    base.chmod(0o755)
    live_lock = os.open(alive / LOCK_NAME, os.O_RDWR)
    fcntl.flock(live_lock, fcntl.LOCK_EX)  # a run still working, in another process
    watch = _Created(tmp, base)
    try:
        proc = sohoa(batch, out, env={"TMPDIR": str(tmp)})
    finally:
        created = watch.names()
        os.close(live_lock)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    assert not crashed.exists() and (alive / "page.tsv").exists()
    assert sorted(tmp.iterdir()) == [base] and sorted(base.iterdir()) == [alive]
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    # nothing but the run's own folder (made 0700 by mkdtemp) was created in the shared
    # folder or next to the runs: everything else went inside it, out of others' reach
    assert [p.parent for p in created] == [base], created
    assert created[0].name.startswith("run-")
