"""Fixtures: one pipeline PDF/A signed by the project's test identity, as `sohoa process`
signs it, for the verifier's tests. Test modules use them with
``pytest_plugins = ["signed_fixtures"]``."""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from pyhanko.keys import load_cert_from_pemder

from pipeline.core.model import Word
from pipeline.pdf.pdfa import DocumentInfo, PdfPage, build_pdfa
from pipeline.scan.archive_image import encode_page_image
from pipeline.signing.identity import identity_ca_cert_path, load_test_identity
from pipeline.signing.sign import sign_pdf

AGENCY = "UBND TỈNH KON TUM"
WORDS = ["GIẤY", "CHỨNG", "NHẬN", "Nguyễn", "Văn", "An"]


def make_document(title: str, pages: int = 1) -> bytes:
    """A pipeline PDF/A: a grey A5-ish scan at 100 dpi with an invisible text layer."""
    pixels = np.full((600, 420, 3), 235, np.uint8)
    words = [Word(text=t, left=40 + 60 * i, top=80, width=55, height=20, conf=95.0, line=0)
             for i, t in enumerate(WORDS)]
    page = PdfPage(encode_page_image(pixels), 420, 600, 100.0, words)
    return build_pdfa([page] * pages, DocumentInfo(title=title, created=datetime.now(UTC)))


@pytest.fixture(scope="module")
def test_home(tmp_path_factory):
    return tmp_path_factory.mktemp("sohoa-home")


@pytest.fixture(scope="module")
def identity(test_home):
    return load_test_identity(test_home, AGENCY)


@pytest.fixture(scope="module")
def test_ca(test_home, identity):
    return load_cert_from_pemder(identity_ca_cert_path(test_home, AGENCY))


@pytest.fixture(scope="module")
def signed(identity) -> bytes:
    """A pipeline PDF/A signed by the test identity, as `sohoa process` signs it."""
    return sign_pdf(make_document("H15.50.05.13-261008-0975.1"), identity, agency_name=AGENCY)


