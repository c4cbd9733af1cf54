"""Tests of the digitizing agency's signature (pipeline.signing.sign, pipeline.signing.identity).

Everything is real: a PDF/A-2b made with pikepdf, a test PKI made in a temporary
directory, signatures checked by pyHanko's validator and by Poppler's pdfsig.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from pipeline.core.errors import SigningError
from pipeline.signing.identity import (
    IdentityError,
    SigningIdentity,
    describe_pkcs12,
    ensure_test_identity,
    identity_ca_cert_path,
    load_pkcs12,
    load_test_identity,
    stored_test_identity,
)
from pipeline.signing.sign import sign_pdf, stamp_lines

AGENCY = "UBND TỈNH KON TUM"
A4 = (595.28, 841.89)
CM = 72 / 2.54
ISO_VN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")


# ------------------------------------------------------------------------ helpers


def make_pdfa(rotate: int = 0) -> bytes:
    """One A4 page showing a small RGB image scaled to the page, saved as PDF/A-2b."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=A4)
    w = h = 8
    pixels = bytes(c for y in range(h) for x in range(w) for c in (x * 30, y * 30, 200))
    image = pikepdf.Stream(pdf, zlib.compress(pixels))
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = w, h
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.FlateDecode
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q %g 0 0 %g 0 0 cm /Im0 Do Q" % A4)
    if rotate:
        page.Rotate = rotate
    out = io.BytesIO()
    report = pikepdf.pdfa.save(pdf, out, "2b")
    assert report.passed, report.findings
    return out.getvalue()


def validate(signed: bytes, ca_path: Path):
    reader = PdfFileReader(io.BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(ca_path)])
    return embedded, validate_pdf_signature(embedded, context)


def pdfsig(path: Path) -> list[dict[str, str]]:
    """Run Poppler's pdfsig; one dict per signature: '- Key: value' lines, plus the
    bare lines (e.g. 'Total document signed') as keys with an empty value."""
    if shutil.which("pdfsig") is None:
        pytest.fail("poppler-utils' pdfsig is not installed (scripts/install.sh installs it)")
    run = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    signatures: list[dict[str, str]] = []
    for line in run.stdout.splitlines():
        if re.match(r"^Signature #\d+:", line):
            signatures.append({})
        elif signatures and line.strip().startswith("- "):
            key, _, value = line.strip()[2:].partition(": ")
            signatures[-1][key.strip()] = value.strip()
    assert signatures, run.stdout + run.stderr
    return signatures


def widget(signed: bytes):
    pdf = pikepdf.open(io.BytesIO(signed))
    (annot,) = [a for a in pdf.pages[0].Annots if a.get("/FT") == "/Sig"]
    return pdf, annot


# ----------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sohoa-home")


@pytest.fixture(scope="module")
def identity(home) -> SigningIdentity:
    return load_test_identity(home, AGENCY)


@pytest.fixture(scope="module")
def ca_path(home, identity) -> Path:
    return identity_ca_cert_path(home, AGENCY)


@pytest.fixture(scope="module")
def input_pdf() -> bytes:
    return make_pdfa()


@pytest.fixture(scope="module")
def signing_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def signed(input_pdf, identity, signing_time) -> bytes:
    return sign_pdf(
        input_pdf, identity, agency_name=AGENCY, signing_time=signing_time,
        reason="Số hóa hồ sơ", location="Kon Tum",
    )


@pytest.fixture(scope="module")
def signed_path(signed, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("signed") / "H15.50.05.13-261008-0975.1.pdf"
    path.write_bytes(signed)
    return path


# -------------------------------------------------------------------------- tests


def test_pyhanko_reports_intact_valid_trusted_whole_file(signed, ca_path, signing_time):
    embedded, status = validate(signed, ca_path)
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    assert status.bottom_line
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert embedded.field_name == "SoHoa"
    # /M is the caller's signing time, in Vietnam time
    assert status.signer_reported_dt == signing_time
    assert status.signer_reported_dt.utcoffset() == timedelta(hours=7)
    assert embedded.sig_object["/Reason"] == "Số hóa hồ sơ"


def test_pdfsig_reports_valid_and_total_document_signed(signed_path):
    (sig,) = pdfsig(signed_path)
    assert sig["Signature Validation"] == "Signature is Valid."
    assert "Total document signed" in sig
    assert sig["Signature Type"] == "ETSI.CAdES.detached"
    assert sig["Signing Hash Algorithm"] == "SHA-256"
    assert "TEST" in sig["Signer Certificate Common Name"]


def test_stamp_text_shows_agency_and_vietnam_time(signed_path, signing_time):
    if shutil.which("pdftotext") is None:
        pytest.fail("poppler-utils' pdftotext is not installed (scripts/install.sh installs it)")
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(signed_path), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    assert f"Ký bởi: {AGENCY}" in text
    stamps = ISO_VN.findall(text)
    assert stamps == [signing_time.astimezone(timezone(timedelta(hours=7))).isoformat()]
    assert f"Thời gian ký: {stamps[0]}" in text


def test_stamp_is_top_right_and_keeps_to_pdfa(signed):
    pdf, annot = widget(signed)
    x0, y0, x1, y1 = (float(v) for v in annot.Rect)
    page_w, page_h = A4
    # in the top-right quarter of page 1 ...
    assert x0 >= page_w / 2 and y0 >= page_h / 2
    assert x1 <= page_w and y1 <= page_h
    # ... 7 cm × 1.8 cm, 1 cm from the top and right edges (to within 1 mm)
    assert abs((x1 - x0) - 7 * CM) < 0.1 * CM
    assert abs((y1 - y0) - 1.8 * CM) < 0.1 * CM
    assert abs((page_w - x1) - CM) < 0.1 * CM
    assert abs((page_h - y1) - CM) < 0.1 * CM
    # widget: Print flag, normal appearance only
    assert int(annot.F) & 4
    assert set(annot.AP.keys()) == {"/N"}
    appearance = annot.AP.N
    assert "/Group" not in appearance  # no transparency group
    content = appearance.read_bytes()
    assert b" Do" not in content and b" gs" not in content  # no image, no ExtGState
    assert "/XObject" not in appearance.Resources
    # the font is embedded (TrueType program), with a ToUnicode map
    (font,) = appearance.Resources.Font.values()
    descendant = font.DescendantFonts[0]
    assert "/FontFile2" in descendant.FontDescriptor
    assert "/ToUnicode" in font
    assert "LiberationSerif" in str(descendant.BaseFont)
    # /W in thousandths of an em (not the font's 2048 units): the digit 0 of a
    # Times-metric font is 500 wide
    assert 480 <= _width_of_glyph_for(pdf, font, "0") <= 520
    # 10 pt
    assert b"/F1 10 Tf" in content


def _width_of_glyph_for(pdf, font, char: str) -> float:
    """The /W width of the CID that the font's ToUnicode map gives for ``char``."""
    cmap = font.ToUnicode.read_bytes().decode("ascii")
    target = char.encode("utf-16-be").hex().lower()
    cid = None
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<(\w+)>\s*<(\w+)>", block):
            if dst.lower() == target:
                cid = int(src, 16)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, rest in re.findall(r"<(\w+)>\s*<(\w+)>\s*(\[[^\]]*\]|<\w+>)", block):
            lo, hi = int(lo, 16), int(hi, 16)
            dsts = re.findall(r"<(\w+)>", rest)
            if rest.startswith("["):
                for offset, dst in enumerate(dsts):
                    if dst.lower() == target:
                        cid = lo + offset
            elif 0 <= int(target, 16) - int(dsts[0], 16) <= hi - lo:
                cid = lo + int(target, 16) - int(dsts[0], 16)
    assert cid is not None, cmap
    widths = list(font.DescendantFonts[0].W)
    i = 0
    while i < len(widths):
        first = int(widths[i])
        if isinstance(widths[i + 1], pikepdf.Array):
            arr = list(widths[i + 1])
            if first <= cid < first + len(arr):
                return float(arr[cid - first])
            i += 2
        else:
            last, w = int(widths[i + 1]), float(widths[i + 2])
            if first <= cid <= last:
                return w
            i += 3
    raise AssertionError(f"no width for CID {cid}")


def test_final_revision_has_no_pdfa_violation(signed):
    # pikepdf's PDF/A checker does not check interactive forms, so a signed file is
    # 'not_checked'; everything else it checks (metadata, fonts, annotations'
    # appearance resources, ...) must pass.
    report = pikepdf.pdfa.validate_written(io.BytesIO(signed), "2b")
    assert not report.violations, report.violations
    assert all("/AcroForm" in f.where for f in report.unsupported), report.unsupported


def test_first_revision_is_byte_identical(input_pdf, signed):
    assert signed[: len(input_pdf)] == input_pdf
    assert len(signed) > len(input_pdf)
    reader = PdfFileReader(io.BytesIO(signed))
    assert reader.xrefs.total_revisions == 2
    (embedded,) = reader.embedded_signatures
    assert embedded.signed_revision == 1  # the signature is the second revision
    assert embedded.byte_range[0] == 0
    assert embedded.byte_range[2] + embedded.byte_range[3] == len(signed)


def test_flipped_byte_makes_signature_not_intact(signed, ca_path):
    # a byte of the binary comment after the header: inside the signed range,
    # harmless to parsing
    pos = signed.index(b"\n%") + 2
    assert signed[pos] >= 0x80
    tampered = bytearray(signed)
    tampered[pos] ^= 0x01
    _, status = validate(bytes(tampered), ca_path)
    assert not status.intact
    assert not status.bottom_line


def test_rotated_page_gets_stamp_at_displayed_top_right(identity, ca_path):
    signed = sign_pdf(
        make_pdfa(rotate=90), identity, agency_name=AGENCY,
        signing_time=datetime.now(UTC),
    )
    _, status = validate(signed, ca_path)
    assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    _, annot = widget(signed)
    x0, y0, x1, y1 = (float(v) for v in annot.Rect)
    # /Rotate 90 shows the page turned clockwise: its top right is user space (0, top)
    assert abs(x0 - CM) < 0.1 * CM and abs((A4[1] - y1) - CM) < 0.1 * CM
    assert abs((x1 - x0) - 1.8 * CM) < 0.1 * CM and abs((y1 - y0) - 7 * CM) < 0.1 * CM
    assert [int(v) for v in annot.AP.N.Matrix] == [0, 1, -1, 0, 0, 0]


def test_stamp_time_is_vietnam_time_whatever_the_machine_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        utc = datetime(2026, 11, 24, 2, 15, 2, 123456, tzinfo=UTC)
        lines = stamp_lines(AGENCY, utc)
        assert lines == [f"Ký bởi: {AGENCY}", "Thời gian ký: 2026-11-24T09:15:02+07:00"]
        paris = utc.astimezone(timezone(timedelta(hours=1)))
        assert stamp_lines(AGENCY, paris) == lines
    finally:
        monkeypatch.undo()
        time.tzset()


def test_long_agency_name_wraps_and_keeps_time_line():
    name = "Văn phòng Đăng ký đất đai tỉnh Kon Tum - Chi nhánh huyện Đắk Hà"
    lines = stamp_lines(name, datetime(2026, 11, 24, 2, 15, 2, tzinfo=UTC))
    assert len(lines) == 3
    assert " ".join(lines[:-1]) == f"Ký bởi: {name}"
    assert ISO_VN.search(lines[-1])


def test_signing_errors_are_clear(input_pdf, signed, identity):
    now = datetime.now(UTC)
    with pytest.raises(SigningError, match="timezone-aware"):
        sign_pdf(input_pdf, identity, agency_name=AGENCY, signing_time=datetime.now())
    with pytest.raises(SigningError, match="cannot be read"):
        sign_pdf(b"not a pdf at all", identity, agency_name=AGENCY, signing_time=now)
    with pytest.raises(SigningError, match="not valid at the signing time"):
        sign_pdf(input_pdf, identity, agency_name=AGENCY, signing_time=now - timedelta(days=2))
    with pytest.raises(SigningError):  # the field is signed already
        sign_pdf(signed, identity, agency_name=AGENCY, signing_time=now)
    with pytest.raises(SigningError, match="must not be empty"):
        sign_pdf(input_pdf, identity, agency_name="  ", signing_time=now)


@pytest.mark.parametrize("load", [load_pkcs12, describe_pkcs12])
def test_load_pkcs12_errors(home, tmp_path, load):
    p12 = ensure_test_identity(home, AGENCY)
    with pytest.raises(IdentityError, match="Wrong passphrase"):
        load(p12, b"not the passphrase")
    with pytest.raises(IdentityError, match="does not exist"):
        load(tmp_path / "missing.p12", None)
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot pkcs12\n")
    with pytest.raises(IdentityError, match="not a PKCS#12"):
        load(junk, b"x")


def test_describe_pkcs12_tells_what_load_pkcs12_loads(home):
    p12, passphrase = stored_test_identity(home, AGENCY)
    identity = load_pkcs12(p12, passphrase)
    assert describe_pkcs12(p12, passphrase) == (identity.subject, True)


def test_identity_repr_has_no_key_material(identity):
    key_der = identity.signer.signing_key.dump()
    for text in (repr(identity), str(identity), repr(identity.signer), f"{identity}"):
        assert "PRIVATE" not in text.upper()
        assert key_der.hex()[:40] not in text.lower()
    assert identity.is_test
    assert "TEST" in identity.subject and AGENCY in identity.subject


def test_ensure_test_identity_is_idempotent(tmp_path):
    home = tmp_path / "home"
    first = ensure_test_identity(home, AGENCY)
    p12_bytes = first.read_bytes()
    ca_bytes = identity_ca_cert_path(home, AGENCY).read_bytes()
    second = ensure_test_identity(home, AGENCY)
    assert second == first
    assert second.read_bytes() == p12_bytes
    assert identity_ca_cert_path(home, AGENCY).read_bytes() == ca_bytes
    a, b = load_test_identity(home, AGENCY), load_test_identity(home, AGENCY)
    assert a.certificate.dump() == b.certificate.dump()
    assert "TEST" in a.subject and "NOT VALID FOR PRODUCTION" in a.subject
    # private files
    assert (first.stat().st_mode & 0o777) == 0o600
    assert ((first.parent / "signer.passphrase").stat().st_mode & 0o777) == 0o600
    # key usage digitalSignature + nonRepudiation, 10 years, RSA-2048
    cert = a.certificate
    assert set(cert.key_usage_value.native) == {"digital_signature", "non_repudiation"}
    assert cert.public_key.bit_size == 2048
    validity = cert.not_valid_after - cert.not_valid_before
    assert timedelta(days=3650) <= validity <= timedelta(days=3654)
    # the test CA is the issuer, and is a CA
    ca = load_cert_from_pemder(identity_ca_cert_path(home, AGENCY))
    assert cert.issuer == ca.subject and ca.ca


def test_ensure_test_identity_is_safe_under_concurrency(tmp_path):
    home = tmp_path / "home"
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(lambda _: ensure_test_identity(home, AGENCY), range(4)))
    assert len(set(paths)) == 1
    siblings = os.listdir(paths[0].parent.parent)
    assert siblings == [paths[0].parent.name]  # no temporary directory left behind
    load_test_identity(home, AGENCY)


def test_one_identity_signs_many_documents_at_once(home, input_pdf, signing_time):
    """Documents of a batch are signed from several threads with one identity. asn1crypto
    parses a certificate lazily and not thread-safely; on a fresh identity, two first
    signatures at once failed about 1 run in 4 here with a thread switch every microsecond
    ("KeyError: No field numbered 1 ..."). Fresh identities, four threads let go together."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a race shows in a few runs
    try:
        for _ in range(30):
            fresh = load_test_identity(home, AGENCY)
            start = threading.Barrier(4)

            def sign(_: int, identity: SigningIdentity = fresh,
                     start: threading.Barrier = start) -> bytes:
                start.wait()
                return sign_pdf(input_pdf, identity, agency_name=AGENCY,
                                signing_time=signing_time)

            with ThreadPoolExecutor(max_workers=4) as pool:
                signed = list(pool.map(sign, range(4)))
            assert all(s.startswith(input_pdf) for s in signed)
    finally:
        sys.setswitchinterval(switch)


def test_identity_home_inside_repository_is_refused():
    repo = Path(__file__).resolve().parents[1]
    with pytest.raises(IdentityError, match="outside the repository"):
        ensure_test_identity(repo / "tmp-identity", AGENCY)
    assert not (repo / "tmp-identity").exists()


def test_report_sign_pdf_time_per_call(input_pdf, identity, capsys, record_property):
    """Not a timed test: measures and reports the time of one warm sign_pdf call on a
    one-page A4 document."""
    now = datetime.now(UTC)
    for _ in range(3):  # warm-up: font preparation, size estimate, imports
        sign_pdf(input_pdf, identity, agency_name=AGENCY, signing_time=now)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        sign_pdf(input_pdf, identity, agency_name=AGENCY, signing_time=now)
        times.append(time.perf_counter() - start)
    times.sort()
    median, best = times[len(times) // 2], times[0]
    record_property("sign_pdf_median_ms", round(median * 1000, 1))
    with capsys.disabled():
        print(
            f"\nsign_pdf, 1-page A4, warm: median {median * 1000:.1f} ms, "
            f"best {best * 1000:.1f} ms over {len(times)} calls"
        )
