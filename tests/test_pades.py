"""PAdES levels, profiles, refusals and placed signatures (pipeline.signing.pades, pipeline.signing.sign)
against a real offline PKI on loopback: certomancer's CA, CRLs, OCSP responder and RFC 3161
TSA (tests/pki_fixtures.py). Unreachable services are real closed loopback ports."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import shutil
import subprocess

import pikepdf
import pikepdf.pdfa
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from test_signing import make_pdfa, pdfsig

from pipeline.core.errors import IdentityError, SigningError
from pipeline.signing.identity import load_pkcs12
from pipeline.signing.pades import PadesLevel, PkiServices, SigningProfile
from pipeline.signing.report import report_text
from pipeline.signing.sign import SignatureBox, sign_document, sign_pdf
from pipeline.signing.validation import verify_pdf

pytest_plugins = ["pki_fixtures"]
CM = 72 / 2.54


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_pdfa()


@pytest.fixture(scope="module")
def signer(pki):
    return pki.identity("signer-rsa")


@pytest.fixture(scope="module")
def by_level(pki, signer, pdf) -> dict[str, bytes]:
    """The same document signed at each level."""
    out = {}
    for level in PadesLevel:
        result = sign_document(pdf, signer, profile=pki.profile(level.value))
        assert result.level == level and not result.fell_back and result.fallback_reason is None
        out[level.value] = result.pdf
    return out


def _signature(signed: bytes):
    reader = PdfFileReader(io.BytesIO(signed))
    (sig,) = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
    return reader, sig


def test_b_lta_passes_pyhanko_long_term_validation_offline(by_level, pki):
    """The embedded evidence alone (DSS + document timestamp) proves the signature."""
    reader, sig = _signature(by_level["B-LTA"])
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[pki.root]),
            revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
        ),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
    ))
    result = asyncio.run(ades_lta_validation(sig, spec))
    assert isinstance(result.ades_subindic, AdESPassed), result.failure_msg
    status = result.api_status
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted
    assert result.oldest_evidence_record_timestamp is not None  # the document timestamp
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps and dss.crls  # signer's OCSP response, CA and TSA CRLs
    assert len(reader.embedded_timestamp_signatures) == 1


def test_levels_differ_as_etsi_says(by_level):
    for level, signed in by_level.items():
        reader, sig = _signature(signed)
        has_ts = sig.signer_info["unsigned_attrs"].native is not None
        has_dss = "/DSS" in reader.root
        doc_ts = len(reader.embedded_timestamp_signatures)
        assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
        assert (bool(has_ts), has_dss, doc_ts) == {
            "B-B": (False, False, 0), "B-T": (True, False, 0),
            "B-LT": (True, True, 0), "B-LTA": (True, True, 1),
        }[level], level


@pytest.mark.parametrize("level", ["B-B", "B-LTA"])
def test_pdfsig_agrees(by_level, level, tmp_path):
    path = tmp_path / f"{level}.pdf"
    path.write_bytes(by_level[level])
    first = pdfsig(path)[0]
    assert first["Signature Validation"] == "Signature is Valid."
    assert first["Signature Type"] == "ETSI.CAdES.detached"
    assert first["Signing Hash Algorithm"] == "SHA-256"


def test_signed_levels_keep_pdfa(by_level, pdf):
    for signed in by_level.values():
        assert signed.startswith(pdf)
        report = pikepdf.pdfa.validate_written(io.BytesIO(signed), "2b")
        assert not report.violations, report.violations


@pytest.mark.parametrize("label, pss", [("signer-ec", False), ("signer-rsa", True)])
def test_ecdsa_p256_and_rsa_pss_sign_b_lt(pki, pdf, label, pss):
    identity = pki.identity(label, prefer_pss=pss)
    profile = SigningProfile(level=PadesLevel.B_LT, services=pki.services(), md_algorithm="sha384")
    signed = sign_pdf(pdf, identity, profile=profile)
    _, sig = _signature(signed)
    algo = sig.signer_info["signature_algorithm"]["algorithm"].native
    assert algo == ("rsassa_pss" if pss else "sha384_ecdsa")
    assert sig.md_algorithm == "sha384"
    report = verify_pdf(signed, trust_roots=[pki.root])
    assert report.ok and report.signatures[0].revocation == "good", report_text(report)
    # still PDF 1.7: pyHanko would declare ISO 32002 for ECDSA and make it PDF 2.0
    assert not pikepdf.pdfa.validate_written(io.BytesIO(signed), "2b").violations
    root = pikepdf.open(io.BytesIO(signed)).Root
    assert str(root.get("/Version", "/1.7")) <= "/1.7"


@pytest.mark.parametrize("label, code, words", [
    ("signer-expired", "certificate_expired", "hết hạn"),
    ("signer-revoked", "certificate_revoked", "thu hồi"),
    ("signer-badku", "certificate_key_usage", "không cho phép"),
    ("signer-weak", "weak_key", "quá yếu"),
])
def test_bad_certificates_are_refused(pki, pdf, label, code, words, caplog):
    with caplog.at_level(logging.WARNING), pytest.raises(SigningError) as caught:
        sign_pdf(pdf, pki.identity(label), profile=pki.profile("B-LT"))
    assert caught.value.code == code
    assert words in caught.value.message and caught.value.message.endswith(".")
    assert f"signing refused [{code}]" in caplog.text  # English log line
    assert caught.value.detail in caplog.text


def test_wrong_passphrase_is_refused(pki):
    p12 = pki.p12("signer-rsa", b"right")
    with pytest.raises(SigningError) as caught:
        load_pkcs12(p12, b"wrong")
    assert isinstance(caught.value, IdentityError) and caught.value.code == "wrong_passphrase"
    assert caught.value.message.startswith("Sai mật khẩu")


def test_unreachable_tsa_is_retried_then_refused(pki, signer, pdf, caplog, dead_url):
    profile = pki.profile("B-T", services={"tsa_url": dead_url + "/tsa", "retries": 3})
    with caplog.at_level(logging.WARNING), pytest.raises(SigningError) as caught:
        sign_pdf(pdf, signer, profile=profile)
    assert caught.value.code == "tsa_unreachable"
    assert "dấu thời gian" in caught.value.message and "3 lần" in caught.value.message
    assert len(re.findall(r"TSA \S+ attempt \d/3 failed", caplog.text)) == 3


def test_unreachable_tsa_falls_back_where_the_profile_allows(pki, signer, pdf, dead_url):
    profile = pki.profile("B-LTA", min_level="B-B", services={"tsa_url": dead_url + "/tsa"})
    result = sign_document(pdf, signer, profile=profile)
    assert result.level == PadesLevel.B_B and result.requested_level == PadesLevel.B_LTA
    assert result.fell_back and "B-B thay cho B-LTA" in result.fallback_reason
    assert "dấu thời gian" in result.fallback_reason
    assert verify_pdf(result.pdf, trust_roots=[pki.root]).signatures[0].level == "B-B"


def test_unreachable_ocsp_is_refused_or_falls_back_to_b_t(pki, pdf, dead_url, caplog):
    # a certificate whose OCSP and CRL addresses are a closed port; the TSA works
    offline = pki.identity("signer-rsa", url_prefix=dead_url)
    with caplog.at_level(logging.WARNING), pytest.raises(SigningError) as caught:
        sign_pdf(pdf, offline, profile=pki.profile("B-LTA"))
    assert caught.value.code == "revocation_unreachable"
    assert "thu hồi" in caught.value.message
    assert len(re.findall(r"PAdES B-LTA attempt \d/3: revocation unavailable", caplog.text)) == 3
    result = sign_document(pdf, offline, profile=pki.profile("B-LTA", min_level="B-T"))
    assert result.level == PadesLevel.B_T and not result.revocation_checked
    assert "thu hồi" in result.fallback_reason


def _last_page_boxes(page_width: float) -> tuple[SignatureBox, SignatureBox]:
    # certifier on the left, agency on the right, 2 cm above the bottom of the last page
    w, h = round(8 * CM), round(2.5 * CM)
    certifier = SignatureBox("ChungThuc_CanBo", -1, (round(2 * CM), 57, round(2 * CM) + w, 57 + h))
    right = round(page_width - 2 * CM)
    agency = SignatureBox("ChungThuc_CoQuan", -1, (right - w, 57, right, 57 + h))
    return certifier, agency


def test_certified_copy_gets_two_signatures_on_the_last_page(pki, pdf, tmp_path):
    certifier_box, agency_box = _last_page_boxes(595)
    first = sign_pdf(
        pdf, pki.identity("signer-ec"), profile=pki.profile("B-LTA"), field=certifier_box,
        lines=["Người chứng thực: Nguyễn Thị Bình", "Công chức Tư pháp - Hộ tịch",
               "Ngày 24 tháng 11 năm 2026"],
    )
    second = sign_pdf(first, pki.identity("signer-rsa"), profile=pki.profile("B-T"),
                      field=agency_box, agency_name="UBND XÃ ĐẮK HÀ")
    assert second.startswith(first)
    report = verify_pdf(second, trust_roots=[pki.root])
    assert report.ok, report_text(report)
    fields = [s.field for s in report.signatures if s.kind == "signature"]
    assert fields == ["ChungThuc_CanBo", "ChungThuc_CoQuan"]
    certifier = report.signatures[0]
    assert certifier.level == "B-LTA" and certifier.modification_level == "form_filling"
    assert any("ChungThuc_CoQuan" in c for c in certifier.changes)
    # both widgets on the last page, where asked, each with its own embedded font
    doc = pikepdf.open(io.BytesIO(second))
    widgets = {str(a.T): a for a in doc.pages[-1].Annots
               if a.get("/FT") == "/Sig" and a.V.get("/Type") != "/DocTimeStamp"}
    assert set(widgets) == {"ChungThuc_CanBo", "ChungThuc_CoQuan"}
    for name, box in (("ChungThuc_CanBo", certifier_box), ("ChungThuc_CoQuan", agency_box)):
        assert [round(float(v)) for v in widgets[name].Rect] == list(box.rect)
        (font,) = widgets[name].AP.N.Resources.Font.values()
        assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor
    assert not pikepdf.pdfa.validate_written(io.BytesIO(second), "2b").violations
    if shutil.which("pdftotext"):
        path = tmp_path / "copy.pdf"
        path.write_bytes(second)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Người chứng thực: Nguyễn Thị Bình" in text and "Ký bởi: UBND XÃ ĐẮK HÀ" in text
    path = tmp_path / "copy-sig.pdf"
    path.write_bytes(second)
    sigs = [s for s in pdfsig(path) if s.get("Signature Type") == "ETSI.CAdES.detached"]
    assert [s["Signature Validation"] for s in sigs] == ["Signature is Valid."] * 2


def test_existing_empty_signature_fields_are_filled(pki, pdf, signer):
    # as the certified-copy statement page comes: two empty fields made with pyHanko
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    append_signature_field(writer, SigFieldSpec("KyDuyet", on_page=0, box=(100, 100, 300, 160)))
    append_signature_field(writer, SigFieldSpec("CoQuan", on_page=0, box=(320, 100, 520, 160)))
    out = io.BytesIO()
    writer.write(out)
    prepared = out.getvalue()
    signed = sign_pdf(prepared, signer, field=SignatureBox("KyDuyet"), lines=["Đã duyệt"])
    signed = sign_pdf(signed, pki.identity("signer-ec"), field=SignatureBox("CoQuan"),
                      profile=pki.profile("B-T"))
    report = verify_pdf(signed, trust_roots=[pki.root])
    assert report.ok, report_text(report)
    assert [s.field for s in report.signatures] == ["KyDuyet", "CoQuan"]
    assert report.signatures[0].modification_level == "form_filling"
    assert report.pdfa.passed  # the revision with the empty fields, and what signing added
    doc = pikepdf.open(io.BytesIO(signed))
    rects = {str(a.T): [float(v) for v in a.Rect] for a in doc.pages[0].Annots}
    assert rects == {"KyDuyet": [100, 100, 300, 160], "CoQuan": [320, 100, 520, 160]}
    with pytest.raises(SigningError) as caught:  # filled now
        sign_pdf(signed, signer, field=SignatureBox("KyDuyet"), lines=["lần hai"])
    assert caught.value.code == "field_signed"


def test_placement_errors_are_clear(pdf, signer):
    with pytest.raises(SigningError) as caught:
        sign_pdf(pdf, signer, field=SignatureBox("X", page_index=5, rect=(0, 0, 100, 50)))
    assert caught.value.code == "bad_page"
    with pytest.raises(SigningError) as caught:
        sign_pdf(pdf, signer, field=SignatureBox("X"))
    assert caught.value.code == "no_field"


def test_profile_validation():
    with pytest.raises(ValueError):
        SigningProfile(level=PadesLevel.B_T)  # no TSA
    with pytest.raises(ValueError):
        SigningProfile(md_algorithm="sha1")
    profile = SigningProfile(level="B-LTA", min_level="B-B",
                             services=PkiServices(tsa_url="http://127.0.0.1:1/tsa"))
    assert [lv.value for lv in profile.levels()] == ["B-LTA", "B-LT", "B-T", "B-B"]
