"""Administrative documents (Nghị định 30/2020) with the spec's field conventions:

- ``cong_van``: a Công văn under a two-level header (parent UBND over the Sở/Phòng that
  issues it): no type title, its "V/v …" subject under the number; `loai_van_ban` is
  "Công văn" (the spec's wording; nothing of the sort is printed);
- ``two_level``: another type (Quyết định, Thông báo, …) under a two-level header;
- ``ubnd``: a type issued by an Ủy ban nhân dân itself (one-level header).

`chuc_vu_nguoi_ky` is the signer's own title, the line directly above the signature,
without the authority line (TM./KT. …): the spec's rule, as in the standard family.
"""

from __future__ import annotations

import random

from ..admin_text import DOC_TYPES
from ..form_admin import admin_document
from ..sheet import Sheet

VARIANTS = ("cong_van", "two_level", "ubnd")
CONG_VAN = "Công văn"


def admin_variant(rng: random.Random, dpi: int, variant: str) -> tuple[dict, list[Sheet]]:
    if variant not in VARIANTS:
        raise ValueError(f"unknown administrative document variant {variant!r}")
    typed = [c for _, c, _ in DOC_TYPES if c]
    code = "" if variant == "cong_van" else rng.choice(typed)
    f, sheets = admin_document(rng, dpi, code=code, two_level=variant != "ubnd")
    lines = sheets[0].lines
    if lines[-1] != f["nguoi_ky"]:  # the signer's block is drawn last: a layout change broke that
        raise RuntimeError("the signer's name is not the page's last line")
    f["chuc_vu_nguoi_ky"] = lines[-2]
    if not code:
        f["loai_van_ban"] = CONG_VAN
    return f, sheets
