"""Phone photos of a page (pipeline.scan.photo): the page is found on a textured table under
a random perspective, a shadow, blur and JPEG; it is rectified, evenly lit and its small
print read enlarged, and OCR reads it far better than the photo as it came. A flatbed scan,
a page with a printed frame, and a page on paper-coloured ground are left alone."""
from __future__ import annotations

import io
import random
import unicodedata

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from pipeline.core.model import Limits, OcrOptions
from pipeline.scan import photo
from pipeline.scan.page import read_page

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
               shadow=0.6) -> tuple[bytes, np.ndarray]:
    """A phone photo (JPEG bytes) of `page` lying on a table, and the page's true corners
    in it: random perspective and turn, the page covering about `fill` of the frame, a
    shadow gradient, lens blur, noise and JPEG."""
    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    fh, fw = frame
    ph, pw = page.shape[:2]
    scale = np.sqrt(fill * fh * fw / (ph * pw))
    half = np.float32([pw, ph]) * scale / 2
    centre = np.float32([fw / 2, fh / 2]) + rng.uniform(-0.04, 0.04, 2) * np.float32([fw, fh])
    box = np.float32([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
    angle = np.radians(r.uniform(-12, 12))
    turn = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = (box @ turn.T + centre).astype(np.float32)
    # perspective: the far edge shorter, plus a random pull on each corner
    tilt = r.uniform(0.15, 0.25)
    corners[:2, 0] = centre[0] + (corners[:2, 0] - centre[0]) * (1 - tilt)
    corners += rng.uniform(-0.025, 0.025, (4, 2)).astype(np.float32) * np.float32([fw, fh])
    # all round the page some table: centred, and made smaller if it would reach the edge
    low, high = corners.min(axis=0), corners.max(axis=0)
    corners += np.float32([fw, fh]) / 2 - (low + high) / 2
    room = float(np.min(0.96 * np.float32([fw, fh]) / (high - low)))
    if room < 1:
        corners = np.float32([fw, fh]) / 2 + (corners - np.float32([fw, fh]) / 2) * room
    corners = corners.astype(np.float32)
    source = np.float32([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]])
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(page.astype(np.float32), matrix, (fw, fh), flags=cv2.INTER_AREA)
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


@pytest.mark.parametrize("seed,fill,table", [(1, 0.45, "wood"), (2, 0.65, "cloth"), (3, 0.85, "wood")])
def test_the_page_is_found_in_a_photo(seed, fill, table):
    jpeg, truth = make_photo(render_page(), seed, fill=fill, table=table)
    found = photo.find_page(_decoded(jpeg))
    assert found is not None
    # every corner within 1.5% of the frame's diagonal of the truth
    assert np.abs(found - truth).max() <= 0.015 * np.hypot(1600, 1200), (found, truth)


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
    ((1200, 900), 4, 0.6, "wood"),  # a 12-pt page at ~84 dpi
    ((1600, 1200), 3, 0.45, "cloth"),  # at ~94 dpi
])
def test_a_photo_reads_far_better_corrected(tmp_path, monkeypatch, frame, seed, fill, table):
    truth = "\n".join([TITLE] + BODY * 3)
    jpeg, _ = make_photo(render_page(), seed, frame=frame, fill=fill, table=table)
    record, archived = _read(tmp_path, jpeg)
    as_it_came, _ = _read(tmp_path, jpeg, monkeypatch, corrected=False)
    corrected, raw = cer(truth, record.text), cer(truth, as_it_came.text)
    assert corrected < 0.06 and corrected < raw / 4, (corrected, raw)
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
    dpi = 84.0  # an A4 page 983 px tall
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


def test_scans_are_left_alone():
    from samples.degrade import rotate_expand

    scan = rotate_expand(render_page(200), 4.0, (250, 249, 244))  # a skewed flatbed scan
    assert photo.find_page(scan) is None
    framed = render_page(200).copy()  # a form with a thick printed frame inside its margin
    cv2.rectangle(framed, (80, 80), (framed.shape[1] - 80, framed.shape[0] - 80), (30, 60, 120), 12)
    assert photo.find_page(framed) is None
    grey = cv2.cvtColor(render_page(300), cv2.COLOR_RGB2GRAY)  # a grey A4 at 300 dpi
    assert photo.find_page(grey) is None
    from pipeline.scan.load import LoadedPage
    loaded = LoadedPage(scan, 200.0)
    assert photo.as_scan(loaded) is loaded
