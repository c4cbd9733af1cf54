"""Tests of the unsigned certified electronic copy (pipeline.certification.statement, page, qr).

Real parts only: the original is a two-layer PDF/A-2b made by pipeline.pdf.pdfa, PDF/A is
checked by pikepdf's validator, text by Poppler's pdftotext, the QR code by rendering the
page with pdftoppm and reading it with OpenCV, the empty fields by signing them with pyHanko.
"""
from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pikepdf.pdfa
import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from pipeline.certification.original import original_from_file
from pipeline.certification.qr import new_copy_id, parse_code, verification_code
from pipeline.certification.statement import (
    AGENCY_FIELD,
    CERTIFIER_FIELD,
    SIGNATURE_RECTS,
    CertificationStatement,
    ConversionInfo,
    book_label,
    date_line,
    fee,
    make_certified_copy,
    signature_fields,
    statement_lines,
)
from pipeline.core.errors import CertificationError
from pipeline.core.model import Word
from pipeline.core.naming import VIETNAM
from pipeline.pdf.pdfa import DocumentInfo, PdfPage, build_pdfa
from pipeline.scan.archive_image import encode_page_image
from pipeline.signing.identity import identity_ca_cert_path, load_test_identity

AGENCY = "ỦY BAN NHÂN DÂN PHƯỜNG THẮNG LỢI"


def make_original(pages: int = 2) -> bytes:
    """A scan-like two-layer PDF/A: a grey page image with dark bars and OCR words."""
    built = []
    for i in range(pages):
        pixels = np.full((1169, 827), 250, np.uint8)
        pixels[100:140, 100:600] = 20
        pixels[200 + 30 * i:220 + 30 * i, 100:700] = 60
        words = [Word("GIẤY", 100, 100, 200, 40, 90.0, 0),
                 Word(f"KHAI SINH {i + 1}", 320, 100, 280, 40, 90.0, 0)]
        built.append(PdfPage(encode_page_image(pixels), 827, 1169, 100.0, words))
    return build_pdfa(built, DocumentInfo("Giấy khai sinh", datetime.now(VIETNAM)))


def statement(**changes) -> CertificationStatement:
    base = CertificationStatement(
        number=7, book="01/2026", date=date(2026, 3, 5),
        certifier_name="Nguyễn Thị Hồng Nhung", certifier_title="Phó Chủ tịch",
        agency_name=AGENCY, copy_id="7KQ2M9XH4RTD",
        public_base_url="https://chungthuc.example.gov.vn/",
        document_name="Giấy khai sinh của Nguyễn Văn An",
        original_id="H15.50.05.13-261008-0975.1",
        conversion=ConversionInfo(datetime(2026, 3, 1, 2, 12, tzinfo=UTC),
                                  "UBND phường Thắng Lợi — Trần Văn Bình"))
    return replace(base, **changes)


def first_revision(pdf: bytes) -> bytes:
    """The bytes up to the first %%EOF that ends a trailer ("startxref <offset>"), and its
    end of line: the PDF/A revision. A bare "%%EOF" may occur by chance inside a binary
    stream."""
    return re.match(rb"(?s).*?startxref\s+\d+\s+%%EOF\r?\n?", pdf).group(0)


def pdftotext(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def original() -> bytes:
    return make_original()


@pytest.fixture(scope="module")
def copy(original) -> bytes:
    return make_certified_copy(original, statement())


@pytest.fixture(scope="module")
def copy_path(copy, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("certify") / "copy.pdf"
    path.write_bytes(copy)
    return path


def test_statement_text_is_exactly_the_rule():
    assert statement_lines(statement()) == [
        "Chứng thực bản sao đúng với bản chính.",
        "Số chứng thực: 7  Quyển số: 01/2026-SCTĐT/BS",
        "Ngày 05 tháng 03 năm 2026",
    ]
    assert date_line(date(2026, 12, 25)) == "Ngày 25 tháng 12 năm 2026"
    assert book_label("02/2025") == "02/2025-SCTĐT/BS"
    assert statement_lines(statement(number=1234))[1].startswith("Số chứng thực: 1234  ")


def test_statement_is_on_the_new_last_page_and_extractable(copy_path):
    text = squash(pdftotext(copy_path, 3))
    for line in statement_lines(statement()):
        assert squash(line) in text
    for expected in ("Nguyễn Thị Hồng Nhung", "Phó Chủ tịch", AGENCY, "7KQ2-M9XH-4RTD",
                     "https://chungthuc.example.gov.vn/verify/7KQ2M9XH4RTD",
                     "Giấy khai sinh của Nguyễn Văn An", "Bản sao gồm 3 trang",
                     "ĐÃ CHUYỂN ĐỔI TỪ VĂN BẢN GIẤY",
                     "Thời điểm chuyển đổi: 2026-03-01T09:12:00+07:00",
                     "UBND phường Thắng Lợi — Trần Văn Bình"):
        assert expected in text
    assert "Chứng thực bản sao" not in pdftotext(copy_path, 2)


def test_copy_is_pdfa_2b(copy, tmp_path):
    base = tmp_path / "base.pdf"
    base.write_bytes(first_revision(copy))
    report = pikepdf.pdfa.validate_written(base, "2b")
    assert report.verdict == "pass", report.violations
    # The whole file adds only the two empty fields, which the validator leaves unchecked.
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(copy)
    report = pikepdf.pdfa.validate_written(whole, "2b")
    assert [f.kind for f in report.findings] == ["unsupported"]
    assert report.findings[0].where.endswith("(Catalog) /AcroForm")


def test_fonts_are_embedded_with_vietnamese_and_unicode_map(copy):
    with pikepdf.open(io.BytesIO(copy)) as pdf:
        fonts = pdf.pages[-1].Resources.Font
        for key in ("/F1", "/F2"):
            font = fonts[key]
            assert font.Subtype == "/Type0" and "/ToUnicode" in font
            descriptor = font.DescendantFonts[0].FontDescriptor
            assert re.match(r"^/[A-Z]{6}\+LiberationSerif", str(descriptor.FontName))
            assert len(descriptor.FontFile2.read_bytes()) > 1000


def test_original_pages_are_copied_unchanged(original, copy, copy_path, tmp_path):
    source = tmp_path / "original.pdf"
    source.write_bytes(original)
    with pikepdf.open(io.BytesIO(original)) as a, pikepdf.open(io.BytesIO(copy)) as b:
        assert len(b.pages) == len(a.pages) + 1
        for pa, pb in zip(a.pages, b.pages):
            assert pa.Contents.read_bytes() == pb.Contents.read_bytes()
            assert pa.Resources.XObject.Im0.read_raw_bytes() == \
                pb.Resources.XObject.Im0.read_raw_bytes()  # the scan's JPEG, not re-encoded
            assert list(pa.MediaBox) == list(pb.MediaBox)
    for page in (1, 2):  # the invisible OCR text layer still reads the same
        assert pdftotext(copy_path, page) == pdftotext(source, page)
        assert f"KHAI SINH {page}" in pdftotext(copy_path, page)


def test_qr_code_is_readable_and_points_to_the_copy(copy_path, tmp_path):
    subprocess.run(["pdftoppm", "-f", "3", "-l", "3", "-r", "150", "-gray", "-png",
                    str(copy_path), str(tmp_path / "page")], check=True)
    (image,) = tmp_path.glob("page*.png")
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(
        cv2.imread(str(image), cv2.IMREAD_GRAYSCALE))
    assert decoded == "https://chungthuc.example.gov.vn/verify/7KQ2M9XH4RTD"


def test_empty_signature_fields_on_the_last_page(copy):
    with pikepdf.open(io.BytesIO(copy)) as pdf:
        last = pdf.pages[-1]
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        assert set(fields) == {CERTIFIER_FIELD, AGENCY_FIELD}
        assert {str(a.T) for a in last.Annots} == set(fields)
        for name, f in fields.items():
            assert f.FT == "/Sig" and "/V" not in f
            assert [float(v) for v in f.Rect] == list(SIGNATURE_RECTS[name])
            assert int(f.F) & 4  # printed
            assert f.P.objgen == last.obj.objgen
    reserved = signature_fields(3)
    assert [(r.name, r.page_index, r.rect) for r in reserved] == [
        (CERTIFIER_FIELD, 2, SIGNATURE_RECTS[CERTIFIER_FIELD]),
        (AGENCY_FIELD, 2, SIGNATURE_RECTS[AGENCY_FIELD])]
    a, b = SIGNATURE_RECTS.values()
    assert a[2] <= b[0] or b[2] <= a[0]  # side by side, not overlapping


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    home = tmp_path_factory.mktemp("certify-home")
    return home, load_test_identity(home, AGENCY)


def _sign(pdf: bytes, identity, field: str, new_box=None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    spec = None if new_box is None else SigFieldSpec(field, on_page=0, box=new_box)
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field),
                           signer=identity.signer, new_field_spec=spec)
    return out.getvalue()


def test_fields_are_filled_by_pyhanko_in_turn(copy, identity):
    home, ident = identity
    signed = _sign(_sign(copy, ident, CERTIFIER_FIELD), ident, AGENCY_FIELD)
    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(identity_ca_cert_path(home, AGENCY))])
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert [s.field_name for s in embedded] == [CERTIFIER_FIELD, AGENCY_FIELD]
    for sig in embedded:
        status = validate_pdf_signature(sig, context)
        assert status.intact and status.valid and status.trusted
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        assert len(pdf.Root.AcroForm.Fields) == 2  # filled, not added


def test_signed_original_loses_its_signature_field_not_its_pages(original, identity):
    _, ident = identity
    signed_original = _sign(original, ident, "SoHoa", new_box=(300, 700, 500, 760))
    copy = make_certified_copy(signed_original, statement())
    with pikepdf.open(io.BytesIO(copy)) as pdf, pikepdf.open(io.BytesIO(original)) as a:
        assert {str(f.T) for f in pdf.Root.AcroForm.Fields} == {CERTIFIER_FIELD, AGENCY_FIELD}
        assert "/Annots" not in pdf.pages[0] or len(pdf.pages[0].Annots) == 0
        assert "/Perms" not in pdf.Root
        assert pdf.pages[0].Contents.read_bytes() == a.pages[0].Contents.read_bytes()


def test_born_electronic_original_has_no_conversion_mark(original, tmp_path):
    path = tmp_path / "copy.pdf"
    path.write_bytes(make_certified_copy(original, statement(conversion=None)))
    text = pdftotext(path, 3)
    assert "Chứng thực bản sao đúng với bản chính." in text
    assert "CHUYỂN ĐỔI" not in text


def test_long_texts_shrink_and_keep_the_signature_boxes_blank(original, tmp_path):
    long = statement(agency_name="ỦY BAN NHÂN DÂN XÃ ĐĂK PXI, HUYỆN ĐĂK HÀ, TỈNH KON TUM, "
                                 "NAY LÀ ỦY BAN NHÂN DÂN XÃ ĐĂK PXI, TỈNH QUẢNG NGÃI",
                     certifier_title="Phó Chủ tịch Ủy ban nhân dân xã, phụ trách lĩnh vực "
                                     "tư pháp - hộ tịch và chứng thực",
                     document_name="Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và "
                                   "tài sản khác gắn liền với đất số AB 123456, thửa 12, tờ 3")
    path = tmp_path / "long.pdf"
    path.write_bytes(make_certified_copy(original, long))
    text = squash(pdftotext(path, 3))
    assert "Chứng thực bản sao đúng với bản chính." in text and "QUẢNG NGÃI" in text
    subprocess.run(["pdftoppm", "-f", "3", "-l", "3", "-r", "72", "-gray", "-png",
                    str(path), str(tmp_path / "page")], check=True)
    (image,) = tmp_path.glob("page*.png")
    pixels = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
    height = pixels.shape[0]
    for x0, y0, x1, y1 in SIGNATURE_RECTS.values():  # 1 px = 1 pt; y grows downwards
        assert pixels[height - y1:height - y0, x0:x1].min() > 200


def test_text_too_long_for_the_page_is_refused(original):
    with pytest.raises(CertificationError, match="quá dài"):
        make_certified_copy(original, statement(agency_name="ỦY BAN NHÂN DÂN " * 20))


@pytest.mark.parametrize("changes", [
    {"number": 0}, {"book": "2026"}, {"book": "01/26"}, {"certifier_name": "  "},
    {"copy_id": "7KQ2-M9XH-4RTD"}, {"public_base_url": "ftp://x"},
    {"date": datetime(2026, 3, 5)},
    {"conversion": ConversionInfo(datetime(2026, 3, 1), "X")},
])
def test_bad_statement_is_refused(original, changes):
    with pytest.raises(CertificationError):
        make_certified_copy(original, statement(**changes))


def test_an_original_claiming_pdfa_that_breaks_it_is_refused_with_the_checkers_findings(
        tmp_path, caplog):
    with pikepdf.open(io.BytesIO(make_original(1))) as pdf:  # JavaScript: no PDF/A allows it
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
        pdf.save(tmp_path / "scripted.pdf")
    with pytest.raises(CertificationError) as refused:
        original_from_file(tmp_path / "scripted.pdf", "UBND", None)
    assert "không đạt chuẩn PDF/A" in refused.value.message  # the clerk's sentence
    assert "/OpenAction" in refused.value.detail  # the checker's finding, for the log
    assert "gave" not in caplog.text  # the two checks agreed


def test_unreadable_original_is_refused():
    with pytest.raises(CertificationError, match="Không đọc được"):
        make_certified_copy(b"not a pdf", statement())


@pytest.mark.parametrize("pages,copies,expected", [
    (1, 1, 2_000), (2, 1, 4_000), (3, 1, 5_000), (10, 1, 12_000), (197, 1, 199_000),
    (198, 1, 200_000), (250, 1, 200_000), (3, 2, 10_000), (250, 3, 600_000),
])
def test_fee(pages, copies, expected):
    assert fee(pages, copies) == expected


@pytest.mark.parametrize("pages,copies", [(0, 1), (1, 0), (-3, 1), (2.5, 1), (True, 1)])
def test_fee_refuses_nonsense(pages, copies):
    with pytest.raises(CertificationError):
        fee(pages, copies)


def test_copy_ids_and_codes():
    ids = {new_copy_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{12}", i) for i in ids)
    assert verification_code("7KQ2M9XH4RTD") == "7KQ2-M9XH-4RTD"
    assert parse_code(" 7kq2-m9xh 4rtd ") == "7KQ2M9XH4RTD"
    assert parse_code("ABCD-EFGH-OIL0") == "ABCDEFGH0110"  # read-alike letters forgiven
    for bad in ("7KQ2-M9XH", "7KQ2-M9XH-4RTU", ""):
        with pytest.raises(ValueError):
            parse_code(bad)
