"""Small inputs never fail: a cropped text line, a long narrow strip and a card-size scan are
digitized end to end. Their PDF page grows a blank band above the image for the signature
stamp (10 pt, top right of page 1), the scan's own pixels and the text layer unchanged
below it; the signed copy verifies and the PDF/A is valid."""
from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pikepdf
import pikepdf.pdfa
import pytest
from PIL import Image, ImageDraw, ImageFont
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from pipeline.core.model import Limits, Word
from pipeline.core.settings import Settings
from pipeline.pdf.pdfa import DocumentInfo, PdfPage, build_pdfa
from pipeline.scan.archive_image import encode_page_image
from pipeline.scan.load import inspect_source, load_page
from pipeline.signing.identity import identity_ca_cert_path
from pipeline.signing.report import report_text
from pipeline.signing.sign import STAMP_ROOM
from pipeline.signing.validation import verify_pdf
from samples.accuracy import char_errors
from tests.conftest import read_results

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
CM = 72 / 2.54
# fictitious text
LINE = "Họ và tên: Nguyễn Thị Lan Anh, sinh ngày 12/04/1990"
STRIP = "Nơi thường trú: thôn Kon Trang, xã Đăk Hà, huyện Đăk Hà, tỉnh Kon Tum"
CARD = ["CĂN CƯỚC CÔNG DÂN", "Số: 062190001234", "Họ và tên: LÊ VĂN MINH",
        "Ngày sinh: 05/03/1990", "Quốc tịch: Việt Nam"]


def _text_image(size: tuple[int, int], lines: list[str], font_px: int, paper=(255, 255, 255),
                at: tuple[int, int] = (20, 8)) -> Image.Image:
    image = Image.new("RGB", size, paper)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, font_px)
    x, y = at
    for line in lines:
        draw.text((x, y), line, font=font, fill=(20, 20, 20))
        y += round(font_px * 1.45)
    return image


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory) -> Path:
    batch = tmp_path_factory.mktemp("small") / "batch"
    batch.mkdir()
    # a line cut out of a page, no density recorded (read as ~103 dpi: 29.6 × 1.5 cm)
    _text_image((1200, 60), [LINE], 38).save(batch / "dong-cat.png")
    # a long narrow strip, at 300 dpi (25.4 × 1.3 cm)
    _text_image((3000, 150), [STRIP], 80, paper=(245, 243, 235), at=(40, 30)).save(
        batch / "dai-hep.png", dpi=(300, 300))
    # an ID-card-size scan, 86 × 54 mm at 300 dpi
    card = _text_image((1016, 638), CARD, 40, paper=(232, 240, 236), at=(60, 60))
    card.save(batch / "the.jpg", quality=90, dpi=(300, 300))
    return batch


@pytest.fixture(scope="module")
def small_run(small_batch, run_sohoa):
    out = small_batch.parent / "out"
    proc = run_sohoa("process", small_batch, "--out", out)
    return proc, out, read_results(out)


def test_a_cropped_line_is_big_enough_to_load(tmp_path):
    path = tmp_path / "line.png"
    _text_image((1200, 60), [LINE], 38).save(path)
    assert inspect_source(path, Limits()).page_count == 1
    assert load_page(path, "png", 0, Limits()).pixels.shape == (60, 1200, 3)


def test_small_inputs_are_digitized_and_read(small_run):
    proc, _, results = small_run
    assert proc.returncode == 0, proc.stderr
    assert set(results) == {"dong-cat.png", "dai-hep.png", "the.jpg"}
    for result in results.values():
        assert result["status"] in ("done", "needs_review"), result
    for name, printed in (("dong-cat.png", LINE), ("dai-hep.png", STRIP), ("the.jpg", "\n".join(CARD))):
        errors, length = char_errors(printed, results[name]["text"])
        assert errors / length < 0.05, (name, results[name]["text"])


def test_signed_copies_verify_and_stay_pdfa(small_run, sohoa_home):
    _, out, results = small_run
    ca = load_cert_from_pemder(identity_ca_cert_path(sohoa_home, Settings().agency_name))
    for result in results.values():
        signed = out / result["artifacts"]["signed"]
        with signed.open("rb") as fh:
            status = validate_pdf_signature(PdfFileReader(fh).embedded_signatures[0])
        assert status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"
        unsigned = out / result["artifacts"]["pdfa"]
        assert signed.read_bytes().startswith(unsigned.read_bytes())
        report = pikepdf.pdfa.validate_written(unsigned, "2b")
        assert report.passed, (unsigned.name, report.summary)
        # the signed copy: trusted signature, PDF/A-2b before and in what signing added
        verified = verify_pdf(signed.read_bytes(), trust_roots=[ca])
        assert verified.ok and verified.pdfa.checked and verified.pdfa.passed, report_text(verified)


def test_stamp_sits_in_a_band_above_the_untouched_scan(small_run, small_batch):
    _, out, results = small_run
    for name, result in results.items():
        with pikepdf.open(out / result["artifacts"]["signed"]) as pdf:
            page = pdf.pages[0]
            page_w, page_h = (float(v) for v in page.mediabox[2:])
            (annot,) = [a for a in page.Annots if a.get("/FT") == "/Sig"]
            x0, y0, x1, y1 = (float(v) for v in annot.Rect)
            (image,) = page.get_images().values()
            matrix = _image_placement(page)
            jpeg = image.read_raw_bytes()
        # the stamp: 7 × 1.8 cm, 1 cm from the top and right edges of page 1
        assert abs((x1 - x0) - 7 * CM) < 0.1 * CM and abs((y1 - y0) - 1.8 * CM) < 0.1 * CM
        assert abs((page_w - x1) - CM) < 0.1 * CM and abs((page_h - y1) - CM) < 0.1 * CM
        # the image is drawn below it, not under it (its corners, drawn deskewed; a 0.1°
        # turn moves them by about a point)
        a, b, c, d, e, f = matrix
        xs, ys = [e, e + a, e + c, e + a + c], [f, f + b, f + d, f + b + d]
        assert max(ys) <= y0 - 0.5 * CM, name
        assert min(xs) >= -2 and max(xs) <= page_w + 2 and min(ys) >= -2, name
        # the scan's own pixels (decoded JPEG) are the source's
        pixels = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), np.int16)
        source = np.asarray(Image.open(small_batch / name).convert("L"), np.int16)
        assert pixels.shape == source.shape
        assert np.abs(pixels - source).mean() < 3


def test_text_layer_stays_on_the_printed_words(small_run, small_batch):
    """pdftotext's word boxes on the PDF page fall on the ink of the scan, offset like it."""
    _, out, results = small_run
    for name, result in results.items():
        pdfa_path = out / result["artifacts"]["pdfa"]
        with pikepdf.open(pdfa_path) as pdf:
            page = pdf.pages[0]
            page_h = float(page.mediabox[3])
            matrix = _image_placement(page)
        html = subprocess.run(["pdftotext", "-bbox", str(pdfa_path), "-"], capture_output=True,
                              text=True, check=True).stdout
        boxes = [tuple(float(part.split('"')[1]) for part in tag.split()[0:4])
                 for tag in html.split("<word")[1:]]
        assert boxes, name
        grey = np.asarray(Image.open(small_batch / name).convert("L"))
        px_per_pt = grey.shape[1] / matrix[0]
        for bx0, by0, bx1, by1 in boxes:  # top-down coordinates in points
            # back to the scan's pixels: left of the image and top of the page removed
            c0 = round((bx0 - matrix[4]) * px_per_pt)
            c1 = round((bx1 - matrix[4]) * px_per_pt)
            r0 = round((by0 - (page_h - matrix[5] - matrix[3])) * px_per_pt)
            r1 = round((by1 - (page_h - matrix[5] - matrix[3])) * px_per_pt)
            assert 0 <= c0 < c1 <= grey.shape[1] + 2 and -2 <= r0 < r1 <= grey.shape[0] + 2, name
            assert grey[max(0, r0):r1, max(0, c0):c1].min() < 100, (name, (bx0, by0, bx1, by1))


def test_a_page_big_enough_keeps_its_size():
    """An A5 page holds the stamp over its own margin: no band."""
    pixels = np.full((827, 583), 250, np.uint8)  # A5 at 100 dpi
    words = [Word("Số", 100, 100, 40, 20, 95.0, 0)]
    pdf = build_pdfa([PdfPage(encode_page_image(pixels), 583, 827, 100.0, words)],
                     DocumentInfo(title="a5", created=_now()), stamp_room=STAMP_ROOM)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert [round(float(v), 1) for v in doc.pages[0].mediabox] == [0, 0, 419.8, 595.4]


def _now():
    from pipeline.core.naming import vietnam_now
    return vietnam_now()


def _image_placement(page: pikepdf.Page) -> list[float]:
    """The image's placement matrix on the page (the product of the `cm`s before `Do`)."""
    matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    saved = []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "q":
            saved.append(matrix)
        elif op == "Q":
            matrix = saved.pop()
        elif op == "cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            m = matrix
            matrix = [a * m[0] + b * m[2], a * m[1] + b * m[3], c * m[0] + d * m[2],
                      c * m[1] + d * m[3], e * m[0] + f * m[2] + m[4], e * m[1] + f * m[3] + m[5]]
        elif op == "Do":
            return matrix
    raise AssertionError("no image drawn")
