"""Verification (pipeline.signing.validation, `sohoa verify`): valid files pass; tampered ones are
caught: a flipped byte, a page appended and text replaced by incremental updates, a
signature copied from another file. Documents are real pipeline PDF/As (pipeline.pdf.pdfa)
with an OCR text layer; signatures are real (test identity, certomancer PKI)."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from signed_fixtures import AGENCY, make_document

from cli.verify import verify as verify_command
from pipeline.signing.identity import identity_ca_cert_path
from pipeline.signing.report import report_text
from pipeline.signing.sign import sign_pdf
from pipeline.signing.validation import verify_pdf

pytest_plugins = ["pki_fixtures", "signed_fixtures"]
def _update(signed: bytes, change) -> bytes:
    """Apply ``change(writer)`` as an incremental update after the signature."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(signed)
    return out.getvalue()


def _one(report):
    (sig,) = [s for s in report.signatures if s.kind == "signature"]
    return sig


def test_valid_file_is_reported_valid(signed, test_ca):
    report = verify_pdf(signed, trust_roots=[test_ca], name="a.pdf")
    sig = _one(report)
    assert report.ok and sig.ok, report_text(report)
    assert sig.intact and sig.valid and sig.trusted and sig.level == "B-B"
    assert sig.coverage == "entire_file" and sig.modification_level == "none"
    assert sig.revocation == "not_applicable"  # the test CA runs no OCSP or CRL
    assert sig.signing_time.endswith("+07:00") and AGENCY in sig.signer
    assert len(sig.chain) == 2 and "root CA" in sig.chain[-1]
    assert report.pdfa.checked and report.pdfa.passed, report.pdfa
    assert any("THỬ NGHIỆM" in w for w in sig.warnings)  # the development identity
    data = json.loads(report.to_json())
    assert data["ok"] is True and data["signatures"][0]["field"] == "SoHoa"
    text = report_text(report)
    assert "KẾT LUẬN: HỢP LỆ" in text and "Không có thay đổi nào sau khi ký." in text


def test_untrusted_root_is_not_valid(signed, pki):
    report = verify_pdf(signed, trust_roots=[pki.root])
    assert not report.ok and not _one(report).trusted and _one(report).intact


def test_flipped_byte_is_caught(signed, test_ca):
    pos = signed.index(b"/Im0")  # inside the signed range: the page's image name
    tampered = bytearray(signed)
    tampered[pos + 3] ^= 0x01  # /Im0 -> /Im1
    report = verify_pdf(bytes(tampered), trust_roots=[test_ca])
    assert not report.ok
    sig = _one(report)
    assert not sig.intact and not sig.ok
    assert any("không còn khớp" in p for p in sig.problems)


def test_page_appended_by_incremental_update_is_caught(signed, test_ca):
    def append_page(writer):
        content = writer.add_object(generic.StreamObject(stream_data=b"q Q"))
        writer.insert_page(generic.DictionaryObject({
            generic.pdf_name("/Type"): generic.pdf_name("/Page"),
            generic.pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(0), generic.NumberObject(0),
                 generic.NumberObject(300), generic.NumberObject(400)]),
            generic.pdf_name("/Resources"): generic.DictionaryObject(),
            generic.pdf_name("/Contents"): content,
        }))

    tampered = _update(signed, append_page)
    assert len(PdfFileReader(io.BytesIO(tampered)).root["/Pages"]["/Kids"]) == 2
    report = verify_pdf(tampered, trust_roots=[test_ca])
    sig = _one(report)
    assert sig.intact  # the signed bytes are untouched ...
    assert not sig.ok and not report.ok  # ... but the document was changed after
    assert sig.modification_level == "other" and sig.coverage == "entire_revision"
    assert any("sửa đổi nội dung" in c for c in sig.changes)


def test_text_replaced_by_incremental_update_is_caught(signed, test_ca):
    old = f"<{'Nguyễn'.encode('utf-16-be').hex()}".encode()  # the word, then its space
    new = f"<{'Trần'.encode('utf-16-be').hex()}".encode()

    def replace_text(writer):
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        data = page["/Contents"].get_object().data
        assert old in data
        page["/Contents"] = writer.add_object(
            generic.StreamObject(stream_data=data.replace(old, new)))
        writer.update_container(page)

    report = verify_pdf(_update(signed, replace_text), trust_roots=[test_ca])
    sig = _one(report)
    assert sig.intact and not sig.ok and not report.ok
    assert sig.modification_level == "other"


def test_signature_copied_from_another_file_is_caught(signed, identity, test_ca):
    other = sign_pdf(make_document("H15.50.05.13-261008-0976.1"), identity, agency_name=AGENCY)
    assert verify_pdf(other, trust_roots=[test_ca]).ok

    def contents_span(data: bytes) -> tuple[int, int]:
        (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
        _, end1, start2, _ = sig.byte_range
        return end1, start2  # the hex string <...> between the two signed ranges

    a0, a1 = contents_span(signed)
    b0, b1 = contents_span(other)
    assert a1 - a0 == b1 - b0  # same signer, same reserved size
    forged = other[:b0] + signed[a0:a1] + other[b1:]
    report = verify_pdf(forged, trust_roots=[test_ca])
    sig = _one(report)
    assert not sig.intact and not report.ok


def test_b_lta_report_and_revoked_signer(pki):
    document = make_document("lta")
    signed = sign_pdf(document, pki.identity("signer-rsa"), profile=pki.profile("B-LTA"))
    report = verify_pdf(signed, trust_roots=[pki.root])
    assert report.ok, report_text(report)
    sig, doc_ts = report.signatures
    assert sig.level == "B-LTA" and sig.revocation == "good" and sig.indication == "PASSED"
    assert sig.timestamp.trusted and "Time Stamping" in sig.timestamp.tsa
    assert sig.modification_level == "lta_updates"
    assert doc_ts.kind == "document_timestamp" and doc_ts.ok
    # a revoked signer, signed without a revocation check (B-B): found when online
    revoked = sign_pdf(document, pki.identity("signer-revoked"), profile=pki.profile("B-B"))
    offline = _one(verify_pdf(revoked, trust_roots=[pki.root]))
    assert offline.revocation == "unknown" and offline.warnings
    online = verify_pdf(revoked, trust_roots=[pki.root], online=True)
    assert not online.ok and _one(online).revocation == "revoked"
    assert _one(online).revoked_since.startswith("2024-06-01")


def test_not_a_signed_pdf(identity):
    assert not verify_pdf(make_document("unsigned")).ok
    report = verify_pdf(b"%PDF-1.7 garbage")
    assert not report.ok and report.problems


def test_cli_verify_exit_codes_json_and_trust(signed, test_home, tmp_path, monkeypatch):
    good = tmp_path / "good.pdf"
    good.write_bytes(signed)
    bad = tmp_path / "bad.pdf"
    flipped = bytearray(signed)
    flipped[signed.index(b"/Im0") + 3] ^= 1
    bad.write_bytes(bytes(flipped))
    ca = str(identity_ca_cert_path(test_home, AGENCY))
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "empty-home"))  # no test CA there
    monkeypatch.delenv("SOHOA_TRUST_ROOTS", raising=False)
    runner = CliRunner()

    result = runner.invoke(verify_command, [str(good), "--trust", ca])
    assert result.exit_code == 0, result.output
    assert "KẾT LUẬN: HỢP LỆ" in result.output
    result = runner.invoke(verify_command, [str(good), "--json"])  # nothing trusted
    assert result.exit_code == 1 and json.loads(result.output)["ok"] is False
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", ca)
    result = runner.invoke(verify_command, [str(good), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["signatures"][0]["trusted"]
    monkeypatch.setenv("SOHOA_HOME", str(test_home))  # the test identity's own CA
    monkeypatch.setenv("SOHOA_AGENCY_NAME", AGENCY)
    monkeypatch.delenv("SOHOA_TRUST_ROOTS")
    assert runner.invoke(verify_command, [str(good)]).exit_code == 0
    result = runner.invoke(verify_command, [str(bad)])
    assert result.exit_code == 1 and "KHÔNG HỢP LỆ" in result.output
    assert runner.invoke(verify_command, [str(tmp_path / "missing.pdf")]).exit_code == 2
