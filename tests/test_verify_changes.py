"""What may follow a signature (pipeline.signing.validation, pipeline.signing.after_signing):
for sohoa's outputs only long-term validation data and later signatures in their own
fields. Every other change is named in Vietnamese and makes the verdict "not valid", and a
report never says valid above a problem it lists.

Every fixture is made here for real: a pipeline PDF/A signed with the project's test
identity, then altered as an attacker would, with pyHanko's incremental writer, pikepdf
or raw bytes. pyHanko's own anomaly files (pyhanko_tests/data/pdf in its source
repository) are not in the installed wheel and are not downloaded: the same kinds of
anomaly are reproduced below (signatures whose ByteRange leaves part of their revision
unsigned, objects freed or a signed appearance swapped after signing, long-term
validation updates that carry something else, bytes after the last %%EOF)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import os
import re
from datetime import UTC, datetime

import pikepdf
import pytest
from click.testing import CliRunner
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.xmp_xml import MetadataStream
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from signed_fixtures import AGENCY, make_document
from test_certify import make_original
from test_verify import _one, _update

from cli.verify import verify as verify_command
from pipeline.certification import issue
from pipeline.certification.original import Original
from pipeline.certification.statement import ConversionInfo
from pipeline.core.errors import CertificationError
from pipeline.core.naming import VIETNAM
from pipeline.core.settings import Settings
from pipeline.signing.identity import identity_ca_cert_path
from pipeline.signing.report import report_text
from pipeline.signing.sign import SignatureBox, sign_pdf
from pipeline.signing.validation import (
    PdfaCheck,
    SignatureReport,
    VerificationReport,
    verify_pdf,
)
from storage.cert_register import CertRegister

pytest_plugins = ["pki_fixtures", "signed_fixtures"]


def _verify(data: bytes, roots) -> VerificationReport:
    """verify_pdf, checking the report's invariant on the way: never valid above a problem."""
    report = verify_pdf(data, trust_roots=roots)
    for sig in report.signatures:
        assert not (sig.ok and sig.problems), report_text(report)
    listed = report.problems or any(s.problems for s in report.signatures)
    assert not (report.ok and listed), report_text(report)
    assert json.loads(report.to_json())["ok"] is report.ok
    return report


def _changed_after(report: VerificationReport, sentence: str):
    """The signature, not valid, whose changes hold ``sentence``; the file not valid."""
    sig = _one(report)
    text = report_text(report)
    assert not report.ok and not sig.ok and "KẾT LUẬN: KHÔNG HỢP LỆ." in text, text
    assert sig.intact and sig.trusted, text  # the signed bytes themselves are untouched
    assert any(sentence in c for c in sig.changes), sig.changes
    assert sentence in text and sig.modification_level == "other"
    assert "Tài liệu đã bị sửa đổi sau khi ký." in sig.problems
    assert not any("chỉ bổ sung dữ liệu xác thực dài hạn" in c for c in sig.changes)
    return sig


# ------------------------------------------------------------------ the invariant


def _signature_report(**changes) -> SignatureReport:
    good = dict(field="SoHoa", kind="signature", signer="x", signer_cert_sha256=None,
                signing_time=None, level="B-B", intact=True, valid=True, trusted=True)
    return SignatureReport(**{**good, **changes})


def test_a_report_never_says_valid_above_a_problem_it_lists():
    assert _signature_report().ok
    flagged = _signature_report(problems=["Tài liệu đã bị sửa đổi sau khi ký."])
    assert not flagged.ok  # intact, valid and trusted: the listed problem decides
    with pytest.raises(AttributeError):
        flagged.ok = True  # the verdict is derived, it cannot be set
    report = VerificationReport("a.pdf", "0" * 64, [_signature_report()], PdfaCheck(True))
    assert report.ok and json.loads(report.to_json())["ok"] is True
    report.problems.append("Bản tài liệu trước khi ký không đạt chuẩn PDF/A.")
    assert not report.ok and json.loads(report.to_json())["ok"] is False
    assert "KẾT LUẬN: KHÔNG HỢP LỆ." in report_text(report)
    report.problems.clear()
    report.signatures[0].problems.append("Chữ ký không hợp lệ về mặt mật mã.")
    data = json.loads(report.to_json())
    assert not report.ok and data["ok"] is False and data["signatures"][0]["ok"] is False
    assert not VerificationReport(None, "", [], PdfaCheck(False)).ok  # nothing signed


# ------------------------------------------------------------ the issue's four changes


def _white_box(writer, width: float, height: float):
    box = generic.ArrayObject(generic.FloatObject(v) for v in (0, 0, width, height))
    return writer.add_object(generic.StreamObject({
        generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
        generic.pdf_name("/BBox"): box,
    }, stream_data=f"1 1 1 rg 0 0 {width} {height} re f".encode()))


def _add_overlay_field(writer) -> None:
    """An unsigned signature field over the whole of page 1, its appearance a white box
    hiding the scan and the stamp."""
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    _, _, width, height = (float(v) for v in page["/MediaBox"])
    append_signature_field(writer, SigFieldSpec("Overlay", on_page=0, box=(0, 0, width, height)))
    field = writer.root["/AcroForm"]["/Fields"][-1].get_object()
    field["/AP"] = generic.DictionaryObject({generic.pdf_name("/N"): _white_box(writer, width,
                                                                                  height)})
    writer.update_container(field)


def test_new_unsigned_signature_field_over_page_1_is_named(signed, test_ca):
    tampered = _update(signed, _add_overlay_field)
    report = _verify(tampered, [test_ca])
    _changed_after(report, "Sau khi ký, tệp đã bị thêm trường chữ ký mới vẽ lên trang 1 "
                           "(trường «Overlay», chưa ký).")


def test_new_field_slipped_in_before_a_later_signature_is_still_named(signed, identity,
                                                                       test_ca):
    """A later signature covers the field, but the field is not that signature's own."""
    tampered = sign_pdf(_update(signed, _add_overlay_field), identity, agency_name=AGENCY,
                        field=SignatureBox("Second", 0, (10, 10, 120, 40)))
    report = _verify(tampered, [test_ca])
    first, second = report.signatures
    assert not report.ok and not first.ok and second.ok, report_text(report)
    assert any("trường chữ ký mới vẽ lên trang 1 (trường «Overlay»" in c for c in first.changes)
    assert not any("Second" in c and "trường chữ ký mới" in c for c in first.changes)


def test_xmp_metadata_replaced_is_named(identity, test_ca):
    """The archive metadata of Nghị định 30 lives in the XMP: its type and number changed."""
    document = make_document("H15.50.05.13-261008-0975.1")
    original = sign_pdf(document, identity, agency_name=AGENCY)
    with pikepdf.open(io.BytesIO(original)) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = "H15.50.05.13-261008-9999.1"
            meta["dc:type"] = ["Quyết định"]
        forged_xmp = pdf.Root.Metadata.read_bytes()

    def replace_xmp(writer):
        writer.root["/Metadata"] = writer.add_object(MetadataStream(stream_data=forged_xmp))
        writer.update_root()

    report = _verify(_update(original, replace_xmp), [test_ca])
    _changed_after(report, "Sau khi ký, siêu dữ liệu XMP (nơi ghi siêu dữ liệu lưu trữ theo "
                           "Nghị định 30/2020) đã bị thay thế hoặc sửa: dc:title, dc:type.")


def test_info_replaced_is_named(signed, test_ca):
    def replace_info(writer):
        writer.set_info(generic.DictionaryObject({
            generic.pdf_name("/Title"): generic.TextStringObject("H15.50.05.13-261008-9999.1"),
            generic.pdf_name("/Author"): generic.TextStringObject("Không rõ"),
        }))

    report = _verify(_update(signed, replace_info), [test_ca])
    sig = _changed_after(report, "Sau khi ký, thông tin mô tả tài liệu (từ điển /Info) đã bị "
                                 "thay thế hoặc sửa: /Author,")
    assert any("/Title" in c for c in sig.changes)


_STRANGE = "Sau khi ký, tệp đã bị nối thêm {n} byte dữ liệu lạ sau dấu kết thúc tệp %%EOF."
_UPDATE = "Sau khi ký, tệp đã bị nối thêm một bản cập nhật không đọc được ({n} byte sau dấu kết thúc tệp %%EOF)."


@pytest.mark.parametrize("appended, sentence", [
    (b"% a note after signing\n", _STRANGE),
    (b"\n\n  ", _STRANGE),
    (b"\x00" * 7 + b"\xff", _STRANGE),
    # pyHanko looks for %%EOF in the last 1024 bytes: this hides it, the file still reads
    (b"0123456789abcdef" * 100, _STRANGE),
    # objects without a cross-reference section: readers that rebuild it would see them
    (b"99 0 obj\n<< /Type /Annot >>\nendobj\n", _UPDATE),
    # an update whose startxref points nowhere: pyHanko cannot read the file as a whole
    (b"99 0 obj\n<< /Foo 1 >>\nendobj\nstartxref\n123\n%%EOF\n", _UPDATE),
], ids=["text", "whitespace", "binary", "long-garbage", "objects-no-xref", "broken-update"])
def test_bytes_after_the_last_eof_are_named(signed, test_ca, appended, sentence):
    report = _verify(signed + appended, [test_ca])
    sig = _changed_after(report, sentence.format(n=len(appended)))
    assert sig.coverage in ("entire_revision", "entire_file")  # the signature itself is fine
    assert report.pdfa.checked


def test_cli_says_not_valid_and_exits_1(signed, test_home, tmp_path, monkeypatch):
    path = tmp_path / "overlay.pdf"
    path.write_bytes(_update(signed, _add_overlay_field))
    monkeypatch.delenv("SOHOA_TRUST_ROOTS", raising=False)
    ca = str(identity_ca_cert_path(test_home, AGENCY))
    result = CliRunner().invoke(verify_command, [str(path), "--trust", ca])
    assert result.exit_code == 1, result.output
    assert "KẾT LUẬN: KHÔNG HỢP LỆ." in result.output
    assert "thêm trường chữ ký mới vẽ lên trang 1" in result.output
    result = CliRunner().invoke(verify_command, [str(path), "--trust", ca, "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["ok"] is False
    assert data["signatures"][0]["ok"] is False and data["signatures"][0]["problems"]


# a name that would clear the screen, retitle the terminal, restyle or reverse the text,
# and hold a byte that is not UTF-8
_HOSTILE = "a\x1b[2J\x1b]0;owned\x07[red]b[bold]\u202ec\x9b" + os.fsdecode(b"\xff") + ".pdf"


def test_cli_prints_hostile_names_inert(signed, test_home, tmp_path, monkeypatch):
    path = tmp_path / _HOSTILE
    path.write_bytes(signed)
    monkeypatch.delenv("SOHOA_TRUST_ROOTS", raising=False)
    ca = str(identity_ca_cert_path(test_home, AGENCY))
    text = CliRunner().invoke(verify_command, [str(path), "--trust", ca])
    assert text.exit_code == 0, text.output
    for raw in ("\x1b", "\x07", "\u202e", "\x9b", "\udcff"):
        assert raw not in text.output
    assert "a\\x1b[2J\\x1b]0;owned\\x07[red]b[bold]\\u202ec\\x9b\\udcff.pdf" in text.output
    assert "KẾT LUẬN: HỢP LỆ" in text.output  # Vietnamese and line ends untouched
    as_json = CliRunner().invoke(verify_command, [str(path), "--trust", ca, "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert not any(c in as_json.output for c in ("\x1b", "\x07", "\u202e", "\x9b", "\udcff"))
    assert json.loads(as_json.output)["file"] == str(path)  # the same JSON, escaped


# ------------------------------------------------------ what may follow stays valid


def test_later_signature_in_its_own_field_and_ltv_data_stay_valid(signed, identity, test_ca):
    second = sign_pdf(signed, identity, agency_name=AGENCY,
                      field=SignatureBox("Second", 0, (10, 10, 120, 40)))
    report = _verify(second, [test_ca])
    assert report.ok, report_text(report)
    assert report.signatures[0].changes == ["Sau khi ký có thêm chữ ký vào ô: Second."]

    def add_dss(writer):  # long-term validation data: the signer's certificate in a DSS
        cert = writer.add_object(generic.StreamObject(stream_data=identity.certificate.dump()))
        writer.root["/DSS"] = writer.add_object(generic.DictionaryObject(
            {generic.pdf_name("/Certs"): generic.ArrayObject([cert])}))
        writer.update_root()

    report = _verify(_update(signed, add_dss), [test_ca])
    assert report.ok, report_text(report)
    assert _one(report).modification_level == "lta_updates"
    assert _one(report).changes == ["Sau khi ký chỉ bổ sung dữ liệu xác thực dài hạn "
                                    "(chứng thư, thông tin thu hồi, dấu thời gian tài liệu)."]


def test_b_lta_certified_copy_layout_stays_valid(pki):
    """Two B-LTA signatures in new fields, each followed by DSS and a document timestamp
    (the certified copy's layout): every revision after each is allowed."""
    first = sign_pdf(make_document("lta"), pki.identity("signer-ec"),
                     profile=pki.profile("B-LTA"),
                     field=SignatureBox("ChungThuc_CanBo", -1, (40, 20, 140, 60)))
    both = sign_pdf(first, pki.identity("signer-rsa"), profile=pki.profile("B-LTA"),
                    field=SignatureBox("ChungThuc_CoQuan", -1, (160, 20, 260, 60)))
    report = _verify(both, [pki.root])
    assert report.ok, report_text(report)
    assert [s.kind for s in report.signatures] == ["signature", "document_timestamp"] * 2
    assert report.signatures[0].changes == ["Sau khi ký có thêm chữ ký vào ô: "
                                            "ChungThuc_CoQuan."]
    levels = [s.modification_level for s in report.signatures]
    assert levels == ["form_filling", "form_filling", "lta_updates", "lta_updates"], levels
    # and the same file with its XMP replaced at the very end: every signature names it
    with pikepdf.open(io.BytesIO(both)) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:publisher"] = ["UBND XÃ KHÁC"]
        forged = pdf.Root.Metadata.read_bytes()

    def replace_xmp(writer):
        writer.root["/Metadata"] = writer.add_object(MetadataStream(stream_data=forged))
        writer.update_root()

    report = _verify(_update(both, replace_xmp), [pki.root])
    assert not report.ok and not any(s.ok for s in report.signatures)
    assert all(any("dc:publisher" in c for c in s.changes) for s in report.signatures)


# ---------------------------------------- pyHanko's anomaly kinds, reproduced here


def _resign_with_byte_range(data: bytes, identity, byte_range: list[int]) -> bytes:
    """The file's one signature made again over ``byte_range`` (a real CMS signature by
    the identity over exactly those bytes): intact, yet covering what the range says."""
    (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    _, start, stop, _ = sig.byte_range  # where <hex> of /Contents lies
    match = re.search(rb"/ByteRange\s*\[([^\]]*)\]", data)
    text = " ".join(map(str, byte_range)).encode()
    assert len(text) <= len(match.group(1))
    data = data[:match.start(1)] + text.ljust(len(match.group(1))) + data[match.end(1):]
    pairs = zip(byte_range[::2], byte_range[1::2])
    digest = hashlib.sha256(b"".join(data[o:o + n] for o, n in pairs)).digest()
    cms = asyncio.run(identity.signer.async_sign(digest, "sha256", use_pades=True)).dump()
    hexed = cms.hex().encode()
    assert len(hexed) <= stop - start - 2
    return data[:start + 1] + hexed.ljust(stop - start - 2, b"0") + data[stop - 1:]


def _coverage_anomaly(signed: bytes, identity, kind: str) -> bytes:
    (sig,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    _, start, stop, rest = sig.byte_range
    if kind == "revision-tail-unsigned":  # its xref section and trailer left out
        xref_at = int(re.findall(rb"startxref\s+(\d+)", signed)[-1])
        return _resign_with_byte_range(signed, identity, [0, start, stop, xref_at - stop])
    if kind == "gap-after-contents":  # a byte after /Contents left out
        return _resign_with_byte_range(signed, identity, [0, start, stop + 1, rest - 1])
    return _resign_with_byte_range(signed, identity, [1, start - 1, stop, rest])  # not from 0


@pytest.mark.parametrize("kind, coverage", [
    ("revision-tail-unsigned", "partial"),
    ("gap-after-contents", "unclear"),
    ("not-from-byte-0", "unclear"),
])
def test_coverage_anomalies_are_not_valid(signed, identity, test_ca, kind, coverage):
    report = _verify(_coverage_anomaly(signed, identity, kind), [test_ca])
    sig = _one(report)
    assert sig.intact and sig.coverage == coverage, report_text(report)  # a real signature
    assert not sig.ok and not report.ok
    assert sig.problems == ["Chữ ký không bảo vệ trọn phần tệp mà nó ký: phần không được ký "
                            "có thể đã bị sửa."]
    expected = ("Chữ ký không phủ trọn phiên bản" if coverage == "partial"
                else "Vùng dữ liệu được ký (ByteRange) bất thường")
    assert any(c.startswith(expected) for c in sig.changes), sig.changes


def _append_xref_update(data: bytes, entries: bytes, size: int) -> bytes:
    """A classic cross-reference section appended by hand (no body): pyHanko's writer
    cannot free objects, an attacker's editor can."""
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    trailer = b"trailer\n<< /Size %d /Root 2 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, prev, len(data))
    return data + b"xref\n" + entries + trailer


def _page_content_ref(signed: bytes) -> int:
    page = PdfFileReader(io.BytesIO(signed)).root["/Pages"]["/Kids"][0]
    return page.get_object().raw_get("/Contents").reference.idnum


def test_sneaky_object_freed_after_signing(signed, test_ca):
    content = _page_content_ref(signed)
    size = int(PdfFileReader(io.BytesIO(signed)).trailer["/Size"])
    freed = _append_xref_update(signed, b"0 1\n0000000000 65535 f \n%d 1\n0000000000 00001 f \n"
                                % content, size)
    report = _verify(freed, [test_ca])
    sig = _changed_after(report, "Sau khi ký, một số đối tượng của bản đã ký đã bị xóa khỏi tệp.")
    assert "freed" in sig.diff_detail  # pyHanko's English, for technicians


def test_sneaky_signed_appearance_swapped(signed, test_ca):
    def swap(writer):
        field = writer.root["/AcroForm"]["/Fields"][0].get_object()
        field["/AP"] = generic.DictionaryObject({generic.pdf_name("/N"): _white_box(writer, 50, 20)})
        writer.update_container(field)

    report = _verify(_update(signed, swap), [test_ca])
    _changed_after(report, "Tài liệu đã bị sửa đổi nội dung sau khi ký")


def _dss_update(identity, extra_key: str | None = None, blank_page: bool = False):
    """A long-term validation update (a DSS with the signer's certificate), with a key the
    DSS may not hold, or carrying a blanked page along."""
    def change(writer):
        cert = writer.add_object(generic.StreamObject(stream_data=identity.certificate.dump()))
        dss = generic.DictionaryObject({generic.pdf_name("/Certs"): generic.ArrayObject([cert])})
        if extra_key:
            dss[generic.pdf_name(extra_key)] = generic.NumberObject(1)
        writer.root["/DSS"] = writer.add_object(dss)
        writer.update_root()
        if blank_page:
            page = writer.root["/Pages"]["/Kids"][0].get_object()
            page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"q Q"))
            writer.update_container(page)
    return change


def test_ltv_update_with_a_foreign_dss_key(signed, identity, test_ca):
    report = _verify(_update(signed, _dss_update(identity, extra_key="/Note")), [test_ca])
    _changed_after(report, "kho dữ liệu xác thực dài hạn (DSS) bị thêm mục lạ")


def test_ltv_update_carrying_a_page_change(signed, identity, test_ca):
    report = _verify(_update(signed, _dss_update(identity, blank_page=True)), [test_ca])
    _changed_after(report, "Tài liệu đã bị sửa đổi nội dung sau khi ký")


_INSERTED = "Sau khi ký, tệp đã bị chèn dữ liệu lạ vào giữa các phiên bản của tệp (trước phiên bản 3)"


def _update_after(data: bytes, inserted: bytes, change) -> bytes:
    """An incremental update written after ``data`` + ``inserted``: its cross-reference
    section is right (offsets, /Prev), so the file reads as two clean revisions with the
    inserted bytes between the first one's %%EOF and the update's first object."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data + inserted))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(data + inserted)
    return out.getvalue()


@pytest.mark.parametrize("inserted", [
    b"% a note slipped in after signing\n",
    b"GARBAGE\x00\xff between two revisions\n",
    # an object no cross-reference section lists: a reader that rebuilds the table sees it
    b"99 0 obj\n<< /Type /Annot /Subtype /Text /Rect [0 0 500 500] /Contents (forged) >>\nendobj\n",
], ids=["comment", "garbage", "unlisted-object"])
def test_bytes_inserted_between_revisions_are_named(signed, identity, test_ca, inserted):
    """Between the signed revision's %%EOF and an allowed update (long-term validation
    data), nothing: the update alone stays valid, with the bytes in front it does not."""
    assert _verify(_update_after(signed, b"", _dss_update(identity)), [test_ca]).ok
    report = _verify(_update_after(signed, inserted, _dss_update(identity)), [test_ca])
    sig = _changed_after(report, _INSERTED)
    assert f"{len(inserted.strip())} byte không thuộc đối tượng nào" in " ".join(sig.changes)
    assert sig.coverage == "entire_revision"  # the signature itself is fine


def test_bytes_inserted_before_a_later_signature_are_named(signed, identity, test_ca):
    """A later signature in its own field is allowed; garbage in front of it is not. The
    later signature covers the garbage (it signs the whole file before it): it stays
    valid, the first one does not."""
    second = sign_pdf(signed + b"junk\n", identity, agency_name=AGENCY,
                      field=SignatureBox("Second", 0, (10, 10, 120, 40)))
    report = _verify(second, [test_ca])
    first = next(s for s in report.signatures if s.field != "Second")
    assert not report.ok and not first.ok
    assert any(_INSERTED in c for c in first.changes), first.changes
    assert next(s for s in report.signatures if s.field == "Second").ok


def test_unreadable_update_still_shows_the_signature_underneath(signed, test_ca):
    """pyHanko refuses a file whose last update is broken; the revisions before it are
    verified and the update named, rather than 'cannot read the file'."""
    broken = signed + b"99 0 obj\n<< /Foo 1 >>\nendobj\nstartxref\n123\n%%EOF\n"
    with pytest.raises(Exception):  # noqa: B017  (whatever pyHanko raises)
        PdfFileReader(io.BytesIO(broken), strict=False)
    report = _verify(broken, [test_ca])
    assert not report.problems and report.pdfa.passed  # the PDF/A before it is fine
    assert _one(report).signer and AGENCY in _one(report).signer


# ------------------------------------------------- the certified-copy path refuses


def _certify(tmp_path, monkeypatch, register: CertRegister, after_agency: bytes) -> dict:
    """certify() with test identities, ``after_agency`` appended to the agency's signed
    copy (as a faulty signer or a tampering store would hand it back)."""
    signed_for_real, calls = issue.sign_document, []

    def sign_document(pdf, who, **options):
        result = signed_for_real(pdf, who, **options)
        calls.append(who)
        if len(calls) == 2:  # the agency signs last
            return dataclasses.replace(result, pdf=result.pdf + after_agency)
        return result

    monkeypatch.setattr(issue, "sign_document", sign_document)
    for name in [n for n in os.environ if n.startswith("SOHOA_")]:
        monkeypatch.delenv(name)
    settings = Settings(home=tmp_path / "home", agency_name=AGENCY)
    original = Original(make_original(1), "H15.50.05.13-261008-0975.1", "Giấy khai sinh", 1,
                        ConversionInfo(datetime(2026, 3, 1, tzinfo=UTC), AGENCY), None)
    request = issue.CertifyRequest(source="H15.50.05.13-261008-0975.1", requester="Trần Văn Minh",
                                   certifier_name="Nguyễn Thị Hồng Nhung",
                                   certifier_title="Phó Chủ tịch")
    return issue.certify(request, original, register, tmp_path / "out", settings)


def test_certified_copy_that_fails_verification_is_not_handed_out(tmp_path, monkeypatch):
    """pipeline.certification verifies each copy before handing it out: one followed by
    bytes after the agency's signature is refused with the verifier's reason."""
    with CertRegister(f"sqlite:///{tmp_path / 'register.sqlite'}") as register:
        summary = _certify(tmp_path / "good", monkeypatch, register, b"")
        assert (tmp_path / "good" / "out" / summary["copies"][0]["file"]).is_file()
        with pytest.raises(CertificationError) as refused:
            _certify(tmp_path / "bad", monkeypatch, register, b"% after the agency\n")
        refused_entry = register.entries(datetime.now(VIETNAM).year)[-1]
    assert "không qua kiểm tra chữ ký số" in refused.value.message
    assert "Tài liệu đã bị sửa đổi sau khi ký." in refused.value.message
    assert not (tmp_path / "bad" / "out" / "certified").exists()
    assert "Không cấp được bản sao" in refused_entry.notes  # the number stays, with why
