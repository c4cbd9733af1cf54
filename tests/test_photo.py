"""Phone photos of a page (pipeline.scan.photo): the page is found on a textured table under
a random perspective, a shadow, blur and JPEG; it is rectified, evenly lit and its small
print read enlarged, and OCR reads it far better than the photo as it came. A flatbed scan,
a page with a printed frame, and a page on paper-coloured ground are left alone."""
from __future__ import annotations

import io
import random
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pikepdf.pdfa
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from pipeline.core.model import Limits, OcrOptions
from pipeline.scan import photo
from pipeline.scan.page import read_page
from tests.conftest import read_results
from tests.test_small_pages import _image_placement

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
BOLD = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"
# Fictitious text of a notice (no real person).
TITLE = "THÔNG BÁO"
BODY = [
    "Ủy ban nhân dân xã Hòa Bình thông báo lịch tiếp công dân trong tháng năm",
    "như sau: sáng thứ hai và sáng thứ năm hằng tuần, tại phòng tiếp dân của",
    "trụ sở Ủy ban. Công dân đến làm thủ tục mang theo giấy tờ tùy thân và",
    "các giấy tờ liên quan đến hồ sơ. Mọi thắc mắc xin liên hệ bộ phận một",
    "cửa để được hướng dẫn. Đề nghị các thôn thông báo rộng rãi đến nhân dân.",
    "Hồ sơ nộp trực tuyến được tiếp nhận trong giờ hành chính các ngày làm việc;",
    "kết quả được trả tại bộ phận một cửa hoặc gửi qua đường bưu điện theo yêu cầu.",
]


def render_page(dpi: int = 150) -> np.ndarray:
    """An A4 notice in 12 pt print, RGB, at `dpi`."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    page = Image.new("RGB", (width, height), (250, 249, 244))
    draw = ImageDraw.Draw(page)
    px = dpi / 72
    draw.text((width // 2, round(1.2 * dpi)), TITLE, font=ImageFont.truetype(BOLD, round(16 * px)),
              fill=(20, 20, 20), anchor="mt")
    font = ImageFont.truetype(FONT, round(12 * px))
    y = round(1.9 * dpi)
    for line in BODY * 3:  # a page of text: enough lines for orientation and OCR
        draw.text((round(0.9 * dpi), y), line, font=font, fill=(25, 25, 25))
        y += round(12 * px * 1.5)
    return np.asarray(page)


def _table(shape: tuple[int, int], rng: np.random.Generator, kind: str) -> np.ndarray:
    """A textured background: wood grain or woven cloth, RGB."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood":
        warp = cv2.resize(rng.normal(0, 1, (8, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        grain = np.sin((yy + 25 * warp) * 2 * np.pi / 23) * 0.5 + 0.5
        base = np.float32([120, 80, 50])
        img = base * (0.75 + 0.35 * grain[..., None])
    else:
        weave = (np.sin(xx * 2 * np.pi / 6) * np.sin(yy * 2 * np.pi / 6)) * 0.5 + 0.5
        base = np.float32([60, 75, 110])
        img = base * (0.8 + 0.3 * weave[..., None])
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255)


def make_photo(page: np.ndarray, seed: int, frame=(1600, 1200), fill=0.6, table="wood",
               shadow=0.6, tilt=(15, 30), shift=(0.0, 0.0)) -> tuple[bytes, np.ndarray]:
    """A phone photo (JPEG bytes) of `page` lying on a table, and the page's true corners
    in it: a camera (focal length 0.9x the frame's long side) tilted by `tilt` degrees one
    way and up to 12° (or the tilt) the other, turned as much, at the distance where the page covers
    about `fill` of the frame (less if it would reach the edge), then moved by `shift`
    (shares of the frame's width and height); a shadow, lens blur, noise and JPEG."""
    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    fh, fw = frame
    ph, pw = page.shape[:2]
    angles = np.radians([r.choice((-1, 1)) * r.uniform(*tilt), r.uniform(-1, 1) * min(12, tilt[1]),
                         r.uniform(-1, 1) * min(12, tilt[1])])
    cx, cy, cz = np.cos(angles)
    sx, sy, sz = np.sin(angles)
    turn = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]]) \
        @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    flat = np.array([[-pw / 2, -ph / 2, 0], [pw / 2, -ph / 2, 0], [pw / 2, ph / 2, 0], [-pw / 2, ph / 2, 0]])
    focal = 0.9 * max(fh, fw)

    def project(distance: float) -> np.ndarray:
        points = flat @ turn.T + np.array([0, 0, distance])
        return focal * points[:, :2] / points[:, 2:] + np.array([fw / 2, fh / 2])

    distance = focal * max(pw, ph) / max(fw, fh)
    for _ in range(6):  # the distance at which the page covers `fill` of the frame
        area = cv2.contourArea(project(distance).astype(np.float32)) / (fw * fh)
        distance *= np.sqrt(area / fill)
    corners = project(distance)
    # all round the page some table: made smaller about the lens axis if it would reach
    # the frame's edge (a wider lens)
    reach = np.abs(corners - np.array([fw / 2, fh / 2])).max(axis=0) / (0.48 * np.array([fw, fh]))
    if reach.max() > 1:
        corners = np.array([fw / 2, fh / 2]) + (corners - np.array([fw / 2, fh / 2])) / reach.max()
    corners = (corners + np.array(shift) * np.array([fw, fh])).astype(np.float32)
    source = np.float32([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]])
    matrix = cv2.getPerspectiveTransform(source, corners)
    # the lens and sensor average the page over each pixel: blurred to the photo's scale first
    shrink = max(pw, ph) / max(np.ptp(corners[:, 0]), np.ptp(corners[:, 1]))
    soft = cv2.GaussianBlur(page.astype(np.float32), (0, 0), max(0.5, 0.5 * shrink))
    warped = cv2.warpPerspective(soft, matrix, (fw, fh), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, (fw, fh), flags=cv2.INTER_LINEAR)
    image = warped * mask[..., None] + _table((fh, fw), rng, table) * (1 - mask[..., None])
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * xx / fw + np.sin(direction) * yy / fh)
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    light = 1.0 - shadow * np.clip(4 * ramp - 2.2, 0, 1)  # a shadow's soft edge, then its dark
    image = image * light[..., None] * np.float32([1.0, 1.0, 1.04])  # light a little cool
    image = cv2.GaussianBlur(image, (0, 0), 0.9)
    image = np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=75)
    return buffer.getvalue(), corners


def cer(truth: str, text: str) -> float:
    """Character error rate: edit distance over the printed text's length (NFC, spaces
    collapsed)."""
    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s).split())
    return Levenshtein.distance(norm(truth), norm(text)) / len(norm(truth))


def _decoded(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))


@pytest.mark.parametrize("seed,fill,table,tilt", [
    (1, 0.45, "wood", (15, 30)), (2, 0.65, "cloth", (8, 15)), (3, 0.85, "wood", (0, 3))])
def test_the_page_is_found_in_a_photo(seed, fill, table, tilt):
    jpeg, truth = make_photo(render_page(), seed, fill=fill, table=table, tilt=tilt)
    assert abs(cv2.contourArea(truth) / (1600 * 1200) - fill) < 0.1
    # every corner within 1% of the frame's diagonal of the truth, and the page comes out
    # A4-shaped, whatever the slant
    _assert_found(_decoded(jpeg), truth, corners=0.01, shape=0.02)


@pytest.mark.parametrize("seed,shift", [(5, (0.12, 0.0)), (6, (0.0, 0.1))])
def test_a_page_whose_corner_the_frame_cuts_off_is_found(seed, shift):
    jpeg, truth = make_photo(render_page(), seed, fill=0.7, table="cloth", tilt=(8, 15),
                             shift=shift)
    past = np.maximum(0, np.maximum(-truth, truth - np.array([1199, 1599]))).max(axis=1)
    assert (past > 0).sum() == 1 and past.max() > 100  # one corner 100 px off the photo
    # The cut corner too within 1.5% of the diagonal. The shape more loosely: the shift
    # moves the picture, not the camera, so the slant is not quite what a lens centred on
    # the frame would show.
    _assert_found(_decoded(jpeg), truth, corners=0.015, shape=0.05)


def _assert_found(pixels: np.ndarray, truth: np.ndarray, corners: float, shape: float) -> None:
    """The page's corners found within `corners` of the frame's diagonal of the truth, and
    the page rectified to A4's shape within `shape`."""
    found = photo.find_page(pixels)
    assert found is not None
    assert np.abs(found - truth).max() <= corners * np.hypot(1600, 1200), (found, truth)
    page = photo.rectify(pixels, found)
    assert abs(page.shape[0] / page.shape[1] - 11.69 / 8.27) < shape


def _read(tmp_path, jpeg: bytes, monkeypatch=None, corrected: bool = True):
    path = tmp_path / "anh-chup.jpg"
    path.write_bytes(jpeg)
    if not corrected:  # the photo as it came: read like a scan
        monkeypatch.setattr(photo, "find_page", lambda pixels: None)
    record, archived = read_page(path, "jpeg", 0, Limits(), OcrOptions())
    if not corrected:
        monkeypatch.undo()
    return record, archived


@pytest.mark.parametrize("frame,seed,fill,table", [
    ((1200, 900), 2, 0.75, "wood"),  # a 12-pt page at ~90 dpi
    ((1600, 1200), 3, 0.45, "cloth"),  # at ~110 dpi
])
def test_a_photo_reads_far_better_corrected(tmp_path, monkeypatch, frame, seed, fill, table):
    truth = "\n".join([TITLE] + BODY * 3)
    jpeg, _ = make_photo(render_page(), seed, frame=frame, fill=fill, table=table)
    record, archived = _read(tmp_path, jpeg)
    as_it_came, _ = _read(tmp_path, jpeg, monkeypatch, corrected=False)
    corrected, raw = cer(truth, record.text), cer(truth, as_it_came.text)
    assert corrected < 0.08 and corrected < raw / 4, (corrected, raw)
    # the archive keeps the page seen square on, upright, A4-shaped, without the table
    assert record.rotation == 0 and abs(record.skew_deg) < 0.5
    page = _decoded(archived)
    assert (record.height, record.width) == page.shape[:2]
    assert abs(page.shape[0] / page.shape[1] - 11.69 / 8.27) < 0.08
    assert np.median(page[:, :8]) > 200 and np.median(page[:, -8:]) > 200  # paper to its edges


def test_small_print_in_a_photo_is_read_enlarged():
    from pipeline.scan import ocr, orient, prepare

    truth = "\n".join([TITLE] + BODY * 3)
    jpeg, corners = make_photo(render_page(), 4, frame=(1200, 900), fill=0.6, table="wood")
    pixels = _decoded(jpeg)
    page = photo.even_light(photo.rectify(pixels, photo.find_page(pixels)))
    skew = orient.detect(page).skew_deg
    dpi = round(page.shape[0] / 11.69)  # an A4 page
    plain = prepare.prepare(page, skew, dpi)
    enlarged = prepare.prepare(page, skew, dpi, enlarge=True)
    assert plain.scale_x == 1.0 and 1.3 < enlarged.scale_x <= prepare.MAX_ENLARGE
    assert cer(truth, ocr.read(enlarged, OcrOptions()).text) < 0.8 * cer(truth, ocr.read(plain, OcrOptions()).text)


def test_the_light_is_evened_out():
    jpeg, _ = make_photo(render_page(), 5, fill=0.75, table="cloth", shadow=0.6)
    pixels = _decoded(jpeg)
    square = photo.rectify(pixels, photo.find_page(pixels))
    lit = photo.even_light(square)

    def paper_spread(page: np.ndarray) -> float:
        """Brightest over darkest paper (the 90th percentile of 8×8 tiles' lightness)."""
        grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
        h, w = grey.shape
        tiles = [np.percentile(grey[i * h // 8:(i + 1) * h // 8, j * w // 8:(j + 1) * w // 8], 90)
                 for i in range(8) for j in range(8)]
        return max(tiles) / min(tiles)

    assert paper_spread(square) > 1.4  # the shadow
    assert paper_spread(lit) < 1.08
    # colour stays: a red mark is still red
    marked = square.copy()
    marked[100:140, 100:300] = (200, 30, 40)
    r, g, b = photo.even_light(marked)[120, 200].astype(int)
    assert r > 150 and g < 80 and b < 80


def test_pictures_on_the_page_keep_their_darkness():
    """An ID card's portrait (a quarter of the page) under a lamp's fall-off: the paper is
    evened out, the portrait is not washed out as paper."""
    h, w = 800, 1200
    light = np.linspace(0.55, 1.0, w, dtype=np.float32)[None, :, None]
    page = np.full((h, w, 3), (240, 236, 228), np.float32)
    page[200:600, 100:400] = (70, 60, 55)  # the portrait
    lit = photo.even_light(np.clip(page * light, 0, 255).astype(np.uint8)).astype(int)
    paper = lit[:, 500:].reshape(-1, 3).mean(axis=0)
    assert np.abs(lit[50, 450:] - paper).max() < 12  # the paper beside it, evened
    portrait = lit[250:550, 150:350].mean()
    assert portrait < 100  # it was 70-55 on 240 paper: still dark


def test_scans_are_left_alone():
    from samples.degrade import rotate_expand

    scan = rotate_expand(render_page(200), 4.0, (250, 249, 244))  # a skewed flatbed scan
    assert photo.find_page(scan) is None
    framed = render_page(200).copy()  # a form with a thick printed frame inside its margin
    cv2.rectangle(framed, (80, 80), (framed.shape[1] - 80, framed.shape[0] - 80), (30, 60, 120), 12)
    assert photo.find_page(framed) is None
    banded = render_page(200).copy()  # a certificate: a broad coloured band inside its margin
    h, w = banded.shape[:2]
    cv2.rectangle(banded, (60, 60), (w - 60, h - 60), (40, 110, 70), 70)
    assert photo.find_page(banded) is None
    pictured = render_page(200).copy()  # a large dark picture printed on the page
    pictured[300:1500, 200:1400] = (60, 50, 45)
    assert photo.find_page(pictured) is None
    grey = cv2.cvtColor(render_page(300), cv2.COLOR_RGB2GRAY)  # a grey A4 at 300 dpi
    assert photo.find_page(grey) is None
    from pipeline.scan.load import LoadedPage
    loaded = LoadedPage(scan, 200.0)
    assert photo.as_scan(loaded) is loaded


CARD = ["CĂN CƯỚC CÔNG DÂN", "Số: 062190001234", "Họ và tên: LÊ VĂN MINH",
        "Ngày sinh: 05/03/1990", "Quốc tịch: Việt Nam"]  # fictitious


def render_card() -> np.ndarray:
    """An ID-1 card (85.6 × 54 mm) at 300 dpi: light green, five lines of print."""
    card = Image.new("RGB", (1011, 638), (226, 238, 230))
    draw = ImageDraw.Draw(card)
    font = ImageFont.truetype(FONT, 44)
    for i, line in enumerate(CARD):
        draw.text((60, 70 + 100 * i), line, font=font, fill=(20, 20, 20))
    return np.asarray(card)


@pytest.fixture(scope="module")
def photo_run(tmp_path_factory, run_sohoa):
    batch = tmp_path_factory.mktemp("photos") / "batch"
    batch.mkdir()
    (batch / "thong-bao.jpg").write_bytes(make_photo(render_page(), 3, fill=0.45, table="cloth")[0])
    (batch / "can-cuoc.jpg").write_bytes(make_photo(render_card(), 7, frame=(1200, 1600), fill=0.5)[0])
    out = batch.parent / "out"
    proc = run_sohoa("process", batch, "--out", out)
    return proc, out, {Path(k).name: v for k, v in read_results(out).items()}


def test_photos_are_digitized_end_to_end(photo_run, sohoa_home):
    from pyhanko.keys import load_cert_from_pemder

    from pipeline.core.settings import Settings
    from pipeline.signing.identity import identity_ca_cert_path
    from pipeline.signing.validation import verify_pdf

    proc, out, results = photo_run
    assert proc.returncode == 0, proc.stderr
    ca = load_cert_from_pemder(identity_ca_cert_path(sohoa_home, Settings().agency_name))
    for name, printed in (("thong-bao.jpg", [TITLE] + BODY * 3), ("can-cuoc.jpg", CARD)):
        result = results[name]
        assert result["status"] in ("done", "needs_review"), result
        assert result["pages"][0]["rotation"] == 0
        assert cer("\n".join(printed), result["text"]) < 0.05, result["text"]
        unsigned = out / result["artifacts"]["pdfa"]
        assert pikepdf.pdfa.validate_written(unsigned, "2b").passed
        report = verify_pdf((out / result["artifacts"]["signed"]).read_bytes(), trust_roots=[ca])
        assert report.ok and report.pdfa.passed
    # each PDF page is its paper's size: A4 for the notice; the card's own size, under the
    # band that holds the stamp
    with pikepdf.open(out / results["thong-bao.jpg"]["artifacts"]["pdfa"]) as pdf:
        width, height = (float(v) / 72 * 25.4 for v in pdf.pages[0].mediabox[2:])
        assert abs(width - 210) < 15 and abs(height - 297) < 15
    with pikepdf.open(out / results["can-cuoc.jpg"]["artifacts"]["pdfa"]) as pdf:
        width = float(pdf.pages[0].mediabox[2]) / 72 * 25.4
        drawn = _image_placement(pdf.pages[0])[0] / 72 * 25.4
    assert abs(drawn - 85.6) < 3  # less the trimmed edges
    assert abs(width - 90) < 1  # the stamp's room (7 cm + 1 cm margins) is wider than the card
