"""OCR copy and PDF loading: seals go, print under them stays; leaders go, colons stay; a
scanner's PDF page is its own JPEG; a name hidden by a seal is read."""
from __future__ import annotations

import io
from dataclasses import replace

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.core.model import Limits, OcrOptions, Word
from pipeline.scan import blanks, ocr, orient, prepare
from pipeline.scan.load import load_page
from pipeline.understand.document import LOW_CODE_CONFIDENCE

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def _signed_page() -> np.ndarray:
    page = Image.new("RGB", (1600, 900), (250, 248, 240))
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 44)
    draw.text((150, 150), "Họ, chữ đệm, tên: . . . . . . . . . . . . . . . . NGUYỄN VĂN AN", font=font, fill=(20, 20, 20))
    draw.text((600, 560), "Trần Thị Bình", font=font, fill=(20, 20, 20))
    draw.ellipse([520, 380, 940, 800], outline=(205, 35, 45), width=8)  # seal over the name
    draw.line([(560, 600), (900, 520), (700, 640)], fill=(25, 40, 150), width=3)  # signature
    return np.asarray(page)


def test_black_print_under_a_seal_stays_in_a_blurred_photo():
    """Blur mixes the seal's red into the black strokes it crosses; those pixels are still
    dark in every channel, and stay (a signer's name had lost its first word)."""
    page = Image.new("RGB", (800, 450), (250, 248, 240))
    draw = ImageDraw.Draw(page)
    draw.ellipse([260, 120, 470, 330], outline=(205, 35, 45), width=5)
    draw.text((300, 300), "Nguyễn Thế Khoa", font=ImageFont.truetype(FONT, 22), fill=(20, 20, 20))
    blurred = cv2.GaussianBlur(np.asarray(page), (0, 0), 1.0)
    grey = orient.to_grey(blurred)
    cleaned = prepare.paint_out_colour_marks(blurred, grey, 150)
    print_ = grey < 70  # only black print is this dark; the seal's red is ~90
    assert (cleaned[print_] < 70).sum() >= 0.6 * print_.sum()  # 7% without the rule
    assert cleaned[120:128, 350:380].min() > 200  # the ring itself, away from print, went


def test_a_seal_ring_broken_into_short_arcs_by_a_photo_is_still_one_seal():
    """In a blurred photo a seal's thin ring keeps its colour only in arcs shorter than a
    mark; the paler ring between joins them into the seal they are (a signer's first name
    under the ring had been lost)."""
    page = Image.new("RGB", (800, 450), (236, 240, 244))
    draw = ImageDraw.Draw(page)
    for start in range(0, 360, 30):  # 12 arcs of 14 degrees (~8 mm at 150 dpi), pale between
        draw.arc([260, 100, 460, 300], start, start + 30, fill=(236, 212, 212), width=3)
        draw.arc([260, 100, 460, 300], start, start + 14, fill=(200, 40, 50), width=3)
    photo = cv2.GaussianBlur(np.asarray(page), (0, 0), 0.8)
    grey = orient.to_grey(photo)
    cleaned = prepare.paint_out_colour_marks(photo, grey, 150)
    arcs = grey < 150
    assert arcs.sum() > 500 and (cleaned[arcs] < 150).sum() == 0  # all of them stayed before


def test_seal_is_painted_out_and_black_print_under_it_stays():
    page = _signed_page()
    grey = prepare.paint_out_colour_marks(page, orient.to_grey(page), 300)
    ring = grey[385:395, 700:760]  # top of the seal's ring, no print there
    assert ring.min() > 200
    assert grey[560:620, 600:900].min() < 80  # the name under the seal


def test_read_finds_the_name_and_drops_the_leader():
    page = _signed_page()
    text = ocr.read(prepare.prepare(page, 0.0, 300), OcrOptions()).text
    assert "Trần Thị Bình" in text
    assert "tên:" in text and ". ." not in text


def test_a_label_before_spaced_leader_dots_gets_its_second_look():
    """A blurred photo swells the dots of ". . . ." to letter size; they must not make the
    label's line look a few pixels tall, or the unread label is never looked at again."""
    glyph = 20
    label = np.array([[100, 100, 150, 100 + glyph], [160, 101, 200, 100 + glyph]])
    dots = np.array([[210 + 14 * i, 114, 215 + 14 * i, 119] for i in range(12)])
    value = np.array([[400, 100, 440, 120], [450, 100, 480, 120], [490, 100, 530, 120]])
    letters = np.concatenate([label, dots, value])
    read_value = [Word("Kinh", 400, 100, 130, 20, 96.0, 0)]
    (region,) = ocr.unread_lines(letters, read_value, (400, 800))
    assert (region.x0, region.x1) == (100, 200) and region.glyph >= glyph - 1


def test_a_first_word_missed_on_a_read_line_gets_its_second_look():
    """"Nguyễn" under a signature's tail, "Thế Khoa" read: the line is mostly read, but its
    unread first word still gets a second look."""
    blobs = [[100 + 12 * i, 100, 110 + 12 * i, 120] for i in range(6)]  # Nguyễn
    blobs += [[180 + 12 * i, 100, 190 + 12 * i, 120] for i in range(8)]  # Thế Khoa
    read = [Word("Thế", 180, 100, 40, 20, 95.0, 0), Word("Khoa", 230, 100, 46, 20, 95.0, 0)]
    (region,) = ocr.unread_lines(np.array(blobs), read, (400, 800))
    assert (region.x0, region.x1) == (100, 170)


def test_a_page_upside_down_is_read_turned_over():
    page = np.ascontiguousarray(_signed_page()[::-1, ::-1])
    read, turned_over = ocr.read_upright(prepare.prepare(page, 0.0, 300), OcrOptions())
    assert turned_over and "Trần Thị Bình" in read.text


def test_scanner_pdf_page_is_its_own_jpeg(tmp_path):
    scan = np.asarray(Image.fromarray(_signed_page()).convert("L"))
    jpeg = io.BytesIO()
    Image.fromarray(scan).save(jpeg, "JPEG", quality=90)
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, jpeg.getvalue(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                           Width=1600, Height=900, ColorSpace=pikepdf.Name.DeviceGray,
                           BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
    w, h = 1600 * 72 / 300, 900 * 72 / 300
    pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, w, h],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pikepdf.Stream(pdf, f"q {w} 0 0 {h} 0 0 cm /Im0 Do Q".encode()))))
    pdf.save(tmp_path / "scan.pdf")
    loaded = load_page(tmp_path / "scan.pdf", "pdf", 0, Limits())
    assert loaded.pixels.shape == (900, 1600) and round(loaded.dpi) == 300
    assert np.abs(loaded.pixels.astype(int) - np.asarray(Image.open(jpeg))).max() <= 2


def _form_page(size: int, grain: bool) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A form in `size`-px print with dotted leaders, one leader run together into a thin
    stroke (as a blurred photo makes it), on plain or grainy paper; and the leaders' boxes."""
    page = Image.new("L", (2400, 1200), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, size)
    leaders = []
    for row, label in enumerate(["Dân tộc: Kinh", "Quốc tịch: Việt Nam", "Nơi cư trú: Thôn 4"]):
        y = 150 + row * 2 * size
        draw.text((150, y), label, font=font, fill=20)
        x0 = 150 + int(draw.textlength(label, font=font)) + size // 2
        box = (x0, y + size // 2, 2200, y + size + size // 4)
        if row == 2:  # run together: a grey stroke a fifth of the letters' height
            draw.rectangle([x0, y + size - size // 5, 2200, y + size - 1], fill=90)
        else:
            draw.text((x0, y), " ." * ((2200 - x0) // int(draw.textlength(" .", font=font))), font=font, fill=20)
        leaders.append(box)
    pixels = np.asarray(page).copy()
    if grain:  # scanner noise: scattered single-pixel specks
        rng = np.random.default_rng(5)
        ys, xs = rng.integers(0, 1200, 6000), rng.integers(0, 2400, 6000)
        pixels[ys, xs] = 150
    return pixels, leaders


@pytest.mark.parametrize("size,grain", [(50, False), (66, False), (50, True)])
def test_leaders_go_in_large_print_on_grainy_paper_and_run_together(size, grain):
    """Leaders of a 16-pt form (dots ~1 mm), leaders among paper grain, and a leader a
    blurred photo ran into one stroke are erased; the labels and values stay."""
    pixels, leaders = _form_page(size, grain)
    image = prepare.prepare(pixels, 0.0, 300)
    scale = image.scale_x
    for x0, y0, x1, y1 in leaders:
        area = image.grey[round(y0 * scale):round(y1 * scale), round(x0 * scale):round(x1 * scale)]
        assert (area < 128).mean() < 0.002, "the leader is still there"
    text = ocr.read(image, OcrOptions()).text
    assert "Kinh" in text and "Việt Nam" in text and "Thôn 4" in text
    assert ". ." not in text and "...." not in text


def test_a_pale_background_pattern_is_not_looked_at_again():
    """Guilloche arcs are letter-sized marks by the hundred, paler than the print: a pink
    birth certificate's 406 of them made a strip Tesseract did not finish in 300 s."""
    grey = np.full((1200, 1600), 255, np.uint8)
    grey[100:130, 100:400] = 10  # a word read surely: the page's print is black
    sure = [Word("NGUYỄN", 100, 100, 300, 30, 95.0, 0)]
    unread_print = ocr._Region(100, 200, 400, 230, 20)
    grey[200:231, 100:401] = 60  # faded print, still ink
    arcs = [ocr._Region(100 + 40 * (i % 30), 300 + 25 * (i // 30), 130 + 40 * (i % 30),
                        318 + 25 * (i // 30), 14) for i in range(300)]
    for r in arcs:
        grey[r.y0:r.y1 + 1, r.x0:r.x1 + 1] = 210  # the pattern's pale grey
    assert ocr.inked(grey, [unread_print, *arcs], sure) == [unread_print]
    for r in arcs:
        grey[r.y0:r.y1 + 1, r.x0:r.x1 + 1] = 60  # as dark as print: kept, but no more than a page holds
    kept = ocr.inked(grey, [unread_print, *arcs], sure)
    assert len(kept) == ocr.MAX_SECOND_LOOK_LINES and kept[0] == unread_print


def test_a_second_reading_that_times_out_keeps_the_first(monkeypatch):
    # A fake fault: a second look that reliably overruns its deadline cannot be made to
    # order on a real page; the page's first reading must survive it.
    from pipeline.core.errors import OcrError
    from pipeline.tools import tesseract

    real, calls = tesseract.image_to_data, []

    def slow_second_looks(grey, options, *, psm, dpi):
        calls.append(psm)
        if len(calls) > 1:
            raise OcrError("Nhận dạng chữ (OCR) quá thời gian cho phép.", "ocr_timeout")
        return real(grey, options, psm=psm, dpi=dpi)

    monkeypatch.setattr(tesseract, "image_to_data", slow_second_looks)
    image = Image.fromarray(_signed_page())  # and a number: a word holding digits is read twice
    ImageDraw.Draw(image).text((150, 700), "Số: 224/2021", font=ImageFont.truetype(FONT, 44),
                               fill=(20, 20, 20))
    text = ocr.read(prepare.prepare(np.asarray(image), 0.0, 300), OcrOptions()).text
    assert len(calls) > 1 and "VĂN AN" in text and "224/2021" in text


def test_leaders_go_on_a_blurred_low_resolution_photo():
    """A phone photo at ~107 dpi: blur spreads each leader dot a pixel past the size the
    print's letters and resolution allow (5 px against 4). Left on the page, the dots read as a
    number ("Số: 157 ....." as "15T 06027271015")."""
    pixels, leaders = _form_page(60, False)
    small = cv2.resize(pixels, None, fx=107 / 300, fy=107 / 300, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 1.0)
    image = prepare.prepare(small, 0.0, 107)
    scale = image.scale_x * 107 / 300
    for x0, y0, x1, y1 in leaders[:2]:  # the dotted ones
        area = image.grey[round(y0 * scale):round(y1 * scale), round(x0 * scale):round(x1 * scale)]
        assert (area < 128).mean() < 0.002, "the leader is still there"


def test_small_print_on_a_card_is_not_taken_for_leader_dots():
    """On a card at 300 dpi the print is so small that its small letters (o, a, e) are no
    bigger than a leader's dots, and as evenly spaced; they have holes, dots do not."""
    page = Image.new("L", (1011, 638), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 22)
    rows = ["Họ, chữ đệm và tên / Full name:", "Nơi thường trú / Place of residence:",
            "Quê quán / Place of origin: Tân Lập, Mỏ Cày Nam", "Ngày sinh / Date of birth:"]
    for i, text in enumerate(rows * 3):
        draw.text((40, 30 + 48 * i), text, font=font, fill=30)
    pixels = np.asarray(page)
    image = prepare.prepare(pixels, 0.0, 300)
    before = (pixels < 128).sum()
    after = (cv2.resize(image.grey, pixels.shape[::-1]) < 128).sum()
    assert after > 0.97 * before, f"{before - after} of {before} pixels of print erased"


def test_leaders_go_on_guilloche_paper():
    """A guilloche's pale waves join a leader's dots into larger blobs, no longer dots;
    at a darker threshold the print stands alone and its dots are found."""
    pixels, leaders = _form_page(50, False)
    waves = np.full_like(pixels, 255)
    xs = np.arange(0, pixels.shape[1])
    for k in range(0, pixels.shape[0], 9):  # dense pale waves, as on a certificate
        ys = (k + 14 * np.sin(xs / 23.0 + k)).astype(np.int32)
        cv2.polylines(waves, [np.stack([xs, ys], axis=1)], False, 200, 1)
    pixels = np.minimum(pixels, waves)
    image = prepare.prepare(pixels, 0.0, 300)
    scale = image.scale_x
    for x0, y0, x1, y1 in leaders[:2]:  # the dotted ones
        area = image.grey[round(y0 * scale):round(y1 * scale), round(x0 * scale):round(x1 * scale)]
        assert (area < 128).mean() < 0.002, "the leader is still there"
    label = image.grey[round(150 * scale):round(200 * scale), round(150 * scale):round(400 * scale)]
    assert (label < 128).mean() > 0.05, "the label went with the leader"


@pytest.mark.parametrize("first", ["10?", "1⁄02", "/102"])
def test_a_number_read_with_signs_in_it_takes_its_cut_out_reading(first):
    """A handwritten number the page's reading gave with signs in it (a 2 read as "?", a 1
    as a slash): read again alone, all digits, that reading replaces it, flagged."""
    page = Image.new("L", (1200, 300), 255)
    draw = ImageDraw.Draw(page)
    draw.text((100, 100), "Số:", font=ImageFont.truetype(FONT, 44), fill=20)
    draw.text((220, 100), "102", font=ImageFont.truetype(FONT, 44), fill=20)
    box = ImageDraw.Draw(page).textbbox((220, 100), "102", font=ImageFont.truetype(FONT, 44))
    words = [Word("Số:", 100, 100, 100, 50, 96.0, 0),
             Word(first, box[0], box[1], box[2] - box[0], box[3] - box[1], 88.0, 0)]
    image = prepare.OcrImage(np.asarray(page), 300)
    got = ocr.recheck_digits(image, OcrOptions(), words)
    assert got[1].text == "102" and got[1].conf <= ocr.DISAGREED_CONF
    assert got[0] == words[0]
    assert ocr.recheck_digits(image, OcrOptions(), [replace(words[1], text="102")])[0].text == "102"


HAND = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf"


def _written(text: str) -> tuple[prepare.OcrImage, tuple[int, int, int, int]]:
    """`text` slanted, as a clerk's ballpoint fills a blank, after a printed "Số:"; the OCR
    copy and the written text's box."""
    page = Image.new("L", (900, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 80), "Số:", font=ImageFont.truetype(FONT, 40), fill=20)
    draw.text((170, 74), text, font=ImageFont.truetype(HAND, 46), fill=60)
    return prepare.OcrImage(np.asarray(page), 300), draw.textbbox((170, 74), text, font=ImageFont.truetype(HAND, 46))


@pytest.mark.parametrize(("written", "tesseract_read", "conf"), [
    ("195", "?", 34.0),  # garbled into a sign
    ("118", "]1lạ", 5.0),  # digits and stray letters
    ("325", "32", 67.0),  # a digit lost
    ("37913", "379/3", 70.0),  # a 1 read as a slash
    ("18/07/2018", "/9/07/2018", 35.0),  # a date that is none
    ("22/11/2016", "22/71/2016", 58.0),
])
def test_a_number_written_by_hand_takes_the_other_engines_reading(written, tesseract_read, conf):
    """Tesseract reads handwritten numbers badly; the unsure reading is read again by the
    other engine (PP-OCR), whose clean number replaces it, flagged for a person."""
    image, (x0, y0, x1, y1) = _written(written)
    words = [Word("Số:", 60, 80, 70, 45, 96.0, 0), Word(tesseract_read, x0, y0, x1 - x0, y1 - y0, conf, 0)]
    got = ocr.recheck_digits(image, OcrOptions(), words)
    assert got[1].text == written and got[1].conf <= ocr.DISAGREED_CONF
    assert got[0] == words[0]
    # read as one word with its label, the label is kept and comes apart from the number
    joined = Word("Số:" + tesseract_read, 60, min(80, y0), x1 - 60, max(125, y1) - min(80, y0), conf, 0)
    label, number = ocr.recheck_digits(image, OcrOptions(), [joined])
    assert (label.text, number.text) == ("Số:", written) and number.conf <= ocr.DISAGREED_CONF
    assert label.left + label.width <= number.left


def test_a_date_is_not_given_up_for_a_reading_that_is_no_date():
    assert not ocr._takes_second("10/06/1961", "100/06/1961", 25.0, 0.99)
    assert ocr._takes_second("/9/07/2018", "19/07/2018", 35.0, 0.9)


def test_the_second_look_leaves_a_number_it_reads_shorter_to_the_digits_recheck():
    """A plain-text reading of a line made "Số⁄185" "185" (the label lost) and "10.1961"
    "101%": a number the second look reads with fewer letters and digits is left for
    recheck_digits' other engine; one it reads whole is replaced."""
    page = Image.new("L", (900, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 80), "Số 185 ngày 12", font=ImageFont.truetype(FONT, 40), fill=20)
    x0, y0, x1, y1 = draw.textbbox((60, 80), "Số 185", font=ImageFont.truetype(FONT, 40))
    image = prepare.prepare(np.asarray(page), 0.0, 300)
    unsure = Word("Số⁄185", x0, y0, x1 - x0, y1 - y0, 26.0, 0)
    whole = [w.text for w in ocr.second_look(image, OcrOptions(), [unsure])]
    assert whole[:2] == ["Số", "185"]
    longer = replace(unsure, text="Số⁄1851")  # more than the second look finds there
    got = ocr.second_look(image, OcrOptions(), [longer])
    assert longer in got and not any(w.text == "185" for w in got)
    assert any(w.text == "ngày" for w in got)  # the rest of the line is read as before


@pytest.mark.parametrize(("label", "read_as", "conf"), [
    ("Số:", "Số:", 55.0), ("ngày", "ngàyl?", 55.0),
    ("tháng", "tháng?", 96.0),  # read surely, but no printed word ends in "?"
])
def test_a_number_swallowed_into_its_labels_box_is_read_out_of_it(label, read_as, conf):
    """Tesseract gave the label and the number written after it as one unsure word, the
    number lost ("Số:" three letters' width over "Số: 195") or read as signs ("ngàyl?"):
    the other engine reads the word, and the number comes out of it, flagged."""
    page = Image.new("L", (900, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 80), label, font=ImageFont.truetype(FONT, 40), fill=20)
    right = draw.textbbox((60, 80), label, font=ImageFont.truetype(FONT, 40))[2]
    draw.text((right + 12, 74), "195", font=ImageFont.truetype(HAND, 46), fill=60)
    x1 = draw.textbbox((right + 12, 74), "195", font=ImageFont.truetype(HAND, 46))[2]
    image = prepare.OcrImage(np.asarray(page), 300)
    word = Word(read_as, 60, 76, x1 - 60, 50, conf, 0)
    got = ocr.recheck_digits(image, OcrOptions(), [word])
    assert [w.text for w in got] == [label, "195"] and got[1].conf <= ocr.DISAGREED_CONF
    # the label alone, its box no wider than its letters, is not read again
    bare = Word("Số:", 60, 76, 62, 50, 55.0, 0)
    assert ocr.recheck_digits(image, OcrOptions(), [bare]) == [bare]


@pytest.mark.parametrize("read_as", ["C/", "C$", "©$"])
def test_a_land_books_code_read_as_a_capital_and_signs_takes_the_other_engines_capitals(read_as):
    image, (x0, y0, x1, y1) = _written("CH")
    word = Word(read_as, x0, y0, x1 - x0, y1 - y0, 60.0, 0)
    got = ocr.recheck_digits(image, OcrOptions(), [word])
    assert [(w.text, w.conf <= ocr.DISAGREED_CONF) for w in got] == [("CH", True)]
    image, (x0, y0, x1, y1) = _written("KT.")  # an abbreviation's dot is no sign
    word = Word("KT.", x0, y0, x1 - x0, y1 - y0, 60.0, 0)
    assert ocr.recheck_digits(image, OcrOptions(), [word]) == [word]


def _blank_row(written: str) -> tuple[prepare.OcrImage, list[Word]]:
    """A printed row "Số: ____ Quyển số: 01/2021" with `written` in the blank, and the
    words Tesseract gave for it: all but the written ones."""
    page = Image.new("L", (1200, 200), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 40)
    words = []
    for x, text in ((60, "Số:"), (600, "Quyển"), (740, "số:"), (830, "01/2021")):
        draw.text((x, 80), text, font=font, fill=20)
        x0, y0, x1, y1 = draw.textbbox((x, 80), text, font=font)
        words.append(Word(text, x0, y0, x1 - x0, y1 - y0, 95.0, 0))
    draw.text((230, 70), written, font=ImageFont.truetype(HAND, 46), fill=90)
    return prepare.OcrImage(np.asarray(page), 300), words


def test_a_number_written_in_a_blank_and_not_read_at_all_is_found():
    """Tesseract often leaves a number written by hand out altogether ("Số: Quyển số:"):
    the ink in the blank after a word is read by the other engine, and the number joins
    the row, flagged for a person."""
    image, words = _blank_row("34")
    got = blanks.read_blanks(image, words)
    assert got[:4] == words and [w.text for w in got[4:]] == ["34"]
    found = got[4]
    assert found.conf == blanks.WRITTEN_CONF and 150 < found.left < 330 and found.line == 0
    for empty in ("", "~"):  # a blank left blank, or struck through, adds nothing
        image, words = _blank_row(empty)
        assert blanks.read_blanks(image, words) == words


def test_a_sign_that_is_a_sign_stays_and_a_sure_number_is_left_as_read():
    image, (x0, y0, x1, y1) = _written("?")
    sign = Word("?", x0, y0, x1 - x0, y1 - y0, 40.0, 0)
    assert ocr.recheck_digits(image, OcrOptions(), [sign]) == [sign]
    image, (x0, y0, x1, y1) = _written("207")
    sure = Word("207", x0, y0, x1 - x0, y1 - y0, 96.0, 0)
    assert ocr.recheck_digits(image, OcrOptions(), [sure]) == [sure]


def test_leaders_go_on_paper_whose_grain_joins_the_rows():
    """Dot-sized grain between the rows joins a leader's run to the rows above and below;
    looked at row by row, the leader's dots are still found."""
    pixels, leaders = _form_page(50, False)
    rng = np.random.default_rng(7)
    ys, xs = rng.integers(0, 1198, 5000), rng.integers(0, 2398, 5000)
    for dy in (0, 1):
        for dx in (0, 1):
            pixels[ys + dy, xs + dx] = np.minimum(pixels[ys + dy, xs + dx], 140)
    image = prepare.prepare(pixels, 0.0, 300)
    scale = image.scale_x
    for x0, y0, x1, y1 in leaders[:2]:  # the dotted ones
        area = image.grey[round(y0 * scale):round(y1 * scale), round(x0 * scale):round(x1 * scale)]
        dots = cv2.connectedComponentsWithStats((area < 128).view(np.uint8))[2][1:]
        assert (dots[:, 2] >= 5).sum() < 10, "the leader's dots are still there"


def test_a_line_runs_on_over_a_first_word_a_seal_ring_touches():
    """"Nguyễn" joined to a seal ring's pale remnant is one blob, no letter, so the line's
    letters began at "Đức": the line is run on through dark ink beside it, not across a
    wide gap nor over words already read, and only the part run on loses its pale marks."""
    grey = np.full((100, 700), 250, np.uint8)
    grey[40:60, 110:170] = 30  # "Nguyễn", touched by the ring
    grey[30:40, 90:180] = 215  # the ring's pale remnant
    grey[40:60, 180:300] = 30  # "Đức Tuấn": the letters found
    grey[40:60, 400:450] = 30  # another column, beyond a wide gap
    region = ocr._Region(180, 40, 300, 60, 20)
    (run_on,) = ocr._run_on(grey, [region], [])
    assert (run_on.x0, run_on.x1, run_on.run_on) == (110, 300, (70, 0))
    read_before = [Word("Nguyễn", 110, 40, 60, 20, 95.0, 0)]
    assert ocr._run_on(grey, [region], read_before)[0].x0 == 180
    crop = grey[30:62, 100:310].copy()
    crop[:, 150:160] = 215  # a pale stroke in the line's own letters
    cleaned = ocr._paper_beside(crop, run_on, 100, 1.0)
    assert cleaned[0:10, 0:80].min() == 255 and cleaned[:, 150:160].max() == 215
    assert crop[0:10, 0:80].max() == 215  # the page itself is not changed


def test_a_number_whose_box_is_wider_than_its_digits_is_not_sure():
    """A handwritten "22" whose digits touch was read "2" at 94: its box (28 px wide, 28
    tall) holds more than one digit, so the reading is not trusted. Printed digits are at
    most 0.92 of their height wide."""
    run_together = Word("2", 325, 411, 28, 28, 94.0, 0)
    printed = [Word("02/2018", 1070, 413, 116, 25, 97.0, 0), Word("2018", 900, 413, 72, 25, 97.0, 0),
               Word("7", 800, 413, 17, 25, 96.0, 0)]
    doubted = ocr.doubt_numbers_cut_short([run_together, *printed])
    assert doubted[0].conf < LOW_CODE_CONFIDENCE and doubted[1:] == printed  # a person checks it


def test_a_number_two_engines_read_alike_is_sure_and_one_they_differ_on_is_not():
    """Tesseract is unsure of print it reads right on a photo ("207" at 75); the other
    engine reading the same digits near certain makes it sure. Where they read different
    digits, a person looks; a guess (under AGREEING_CONF) is never made sure."""
    image, (x0, y0, x1, y1) = _written("207")
    unsure = Word("207", x0, y0, x1 - x0, y1 - y0, 75.0, 0)
    assert ocr.recheck_digits(image, OcrOptions(), [unsure])[0].conf == ocr.AGREED_CONF
    wrong = replace(unsure, text="201")
    assert ocr.recheck_digits(image, OcrOptions(), [wrong])[0].conf <= ocr.DISAGREED_CONF
    guess = replace(unsure, conf=40.0)
    assert ocr.recheck_digits(image, OcrOptions(), [guess])[0].conf == 40.0


@pytest.mark.parametrize(("printed", "slip"), [
    ("25/12/1972", "29/12/1972"),  # a birth date on a card with no expiry to check it by
    ("068072057085", "068072057035"),  # a personal ID's last six digits: random, no check
])
def test_a_whole_date_or_id_read_surely_is_read_by_the_other_engine_too(printed, slip, monkeypatch):
    """Tesseract read a card's "25/12/1972" as "29/12/1972" at 92, and again so in the
    strip it reads sure numbers in: the same engine makes the same slip. A whole date or
    personal ID is read by the other engine as well; a digit they differ on is flagged,
    and one they agree on is left as read. (Fake: the strip's second Tesseract reading
    repeats the first, the slip seen on a photo that this clean drawing does not cause.)"""
    monkeypatch.setattr(ocr, "_read_in_strip", lambda image, options, targets: {
        id(w): w.text for w in targets})
    image, (x0, y0, x1, y1) = _written(printed)
    read = Word(slip, x0, y0, x1 - x0, y1 - y0, 92.0, 0)
    assert ocr.recheck_digits(image, OcrOptions(), [read])[0].conf <= ocr.DISAGREED_CONF
    right = replace(read, text=printed)
    assert ocr.recheck_digits(image, OcrOptions(), [right]) == [right]
