"""Signing with keys on a real PKCS#11 token: SoftHSM2 (Debian softhsm2), initialised in a
temporary folder, holding the test PKI's official keys (RSA-2048 and ECDSA P-256)
imported with python-pkcs11, as a CA would issue them onto an official's USB token."""

from __future__ import annotations

import io
import secrets
import subprocess
from datetime import UTC, datetime

import pkcs11
import pytest
from asn1crypto import keys as asn1_keys
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from test_signing import make_pdfa

from pipeline.core.errors import IdentityError, SigningError
from pipeline.signing.pkcs11 import load_pkcs11
from pipeline.signing.report import report_text
from pipeline.signing.sign import sign_document, sign_pdf
from pipeline.signing.validation import verify_pdf

pytest_plugins = ["pki_fixtures"]

TOKEN = "sohoa-test-token"
OFFICIALS = {"official-rsa": b"\x01", "official-ec": b"\x02"}  # label -> CKA_ID


def _import_key(session, pki, label: str, key_id: bytes) -> None:
    info = asn1_keys.PrivateKeyInfo.load(pki.key_der(label))
    common = {
        Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False, Attribute.SIGN: True, Attribute.LABEL: label,
        Attribute.ID: key_id,
    }
    if info.algorithm == "rsa":
        attrs = decode_rsa_private_key(info["private_key"].parsed.dump())
        attrs.update({Attribute.DECRYPT: False, Attribute.UNWRAP: False})
    else:  # EC: the curve from the PKCS#8 wrapper, the scalar from the key
        attrs = {
            Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.KEY_TYPE: KeyType.EC,
            Attribute.EC_PARAMS: info["private_key_algorithm"]["parameters"].dump(),
            Attribute.VALUE: info["private_key"].parsed["private_key"].contents,
        }
    attrs.update(common)
    session.create_object(attrs)
    cert = decode_x509_certificate(pki.cert(label).dump())
    cert.update({Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id})
    session.create_object(cert)


@pytest.fixture(scope="module")
def token(softhsm_conf, pki):
    """(module path, PIN) of an initialised token holding the officials' keys."""
    pin, so_pin = secrets.token_hex(4), secrets.token_hex(8)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN,
                    "--so-pin", so_pin, "--pin", pin], check=True, capture_output=True,
                   timeout=60)
    lib = pkcs11.lib(softhsm_conf)
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=pin) as session:
        for label, key_id in OFFICIALS.items():
            _import_key(session, pki, label, key_id)
        for ca in ("interm", "root"):  # the chain, as CAs put it on officials' tokens
            cert = decode_x509_certificate(pki.cert(ca).dump())
            cert.update({Attribute.TOKEN: True, Attribute.LABEL: f"ca-{ca}"})
            session.create_object(cert)
    return softhsm_conf, pin


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_pdfa()


def _status(signed: bytes, root):
    (embedded,) = [s for s in PdfFileReader(io.BytesIO(signed)).embedded_signatures
                   if s.sig_object_type == "/Sig"]
    return embedded, validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))


def test_rsa_pss_key_on_token_signs_valid_pades(token, pki, pdf):
    module, pin = token
    with load_pkcs11(module, pin=pin, token_label=TOKEN, key_label="official-rsa",
                     prefer_pss=True) as identity:
        assert "Nguyễn Thị Bình" in identity.subject
        signed = sign_pdf(pdf, identity, agency_name="UBND XÃ ĐẮK HÀ",
                          signing_time=datetime.now(UTC))
    embedded, status = _status(signed, pki.root)
    assert status.intact and status.valid and status.trusted
    mechanism = embedded.signer_info["signature_algorithm"]["algorithm"].native
    assert mechanism == "rsassa_pss"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signed.startswith(pdf)


def test_ecdsa_key_on_token_signs_b_lta(token, pki, pdf):
    module, pin = token
    with load_pkcs11(module, pin=pin, token_label=TOKEN,
                     key_id=OFFICIALS["official-ec"]) as identity:
        result = sign_document(pdf, identity, profile=pki.profile("B-LTA"))
    assert result.level.value == "B-LTA" and not result.fell_back
    embedded, status = _status(result.pdf, pki.root)
    assert status.intact and status.valid and status.trusted
    assert embedded.signer_info["signature_algorithm"]["algorithm"].native.endswith("ecdsa")
    assert embedded.signer_cert.public_key.curve[1] == "secp256r1"
    report = verify_pdf(result.pdf, trust_roots=[pki.root])
    assert report.ok, report_text(report)
    assert report.pdfa.passed and not report.pdfa.signed_violations  # ECDSA, still PDF 1.7
    assert report.signatures[0].level == "B-LTA" and report.signatures[0].revocation == "good"


def test_wrong_pin_is_refused_in_vietnamese(token, caplog):
    module, pin = token
    with pytest.raises(IdentityError) as caught:
        load_pkcs11(module, pin="0" * len(pin), token_label=TOKEN, key_label="official-rsa")
    assert isinstance(caught.value, SigningError)
    assert caught.value.code == "wrong_pin"
    assert caught.value.message == "Sai mã PIN của thiết bị ký số (token/HSM)."
    assert "PinIncorrect" in str(caught.value)  # English detail for the log
    assert pin not in str(caught.value) and pin not in caplog.text


def test_missing_key_and_token_are_refused(token):
    module, pin = token
    with pytest.raises(IdentityError) as caught:
        load_pkcs11(module, pin=pin, token_label=TOKEN, key_label="nobody")
    assert caught.value.code == "token_key_missing"
    with pytest.raises(IdentityError) as caught:
        load_pkcs11(module, pin=pin, token_label="no-such-token", key_label="official-rsa")
    assert caught.value.code == "token_not_found"


def test_identity_closes_its_session(token, pdf):
    module, pin = token
    identity = load_pkcs11(module, pin=pin, token_label=TOKEN, key_label="official-rsa")
    identity.close()
    identity.close()  # idempotent
    with pytest.raises(SigningError):
        sign_pdf(pdf, identity, agency_name="UBND XÃ ĐẮK HÀ")
