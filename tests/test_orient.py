"""Orientation and deskew on generated pages: the right quarter turn on every page and a
residual skew of at most 0.2° (the issue's bar), across types, dpi and degradations."""
from __future__ import annotations

import random
import zlib

import numpy as np
import pytest

from pipeline.scan import orient
from samples import DOCUMENT_TYPES
from samples.degrade import degrade
from samples.render import render_document

CASES = [(t, r, s) for t in DOCUMENT_TYPES for r, s in ((0, -14.6), (90, 7.3), (180, -0.4), (270, 15.0))]


@pytest.mark.parametrize("doc_type,rotation,skew", CASES)
def test_turn_and_skew_are_found(doc_type, rotation, skew):
    rng = random.Random(zlib.crc32(f"{doc_type}:{rotation}".encode()))  # same cases every run
    dpi = 200 if rotation in (90, 270) else 300
    page = render_document(doc_type, rng, dpi=dpi).pages[0]
    effects = [["noise", "jpeg"], ["blur", "stain"], ["faint", "colour_paper"], ["grey_paper", "noise"]][rotation // 90]
    scan = np.asarray(degrade(page, rng, rotation=rotation, skew_deg=skew, effects=effects, dpi=dpi))
    found = orient.detect(scan)
    assert found.rotation == rotation
    assert abs(found.skew_deg - skew) <= 0.2


def test_blank_page_is_left_alone():
    blank = np.full((1200, 900), 245, np.uint8)
    found = orient.detect(blank)
    assert (found.rotation, found.skew_deg) == (0, 0.0)


def test_apply_turns_exactly():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert orient.apply(np.rot90(image, k=-1), 90, 0.0).tolist() == image.tolist()
    assert orient.apply(np.rot90(image, k=2), 180, 0.0).tolist() == image.tolist()
