"""Clean, upright renders of the seven document types, with their ground truth.

`render_document` is the entry point for tests that want one clean page; the batch
generator degrades and writes what it returns.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from .form_admin import admin_document
from .form_id_card import CARD_MM, id_card
from .form_land import land_certificate
from .form_marriage import marriage_certificate
from .forms_civil import birth_certificate, death_extract, marital_status
from .sheet import A4_MM, Sheet, clean

BUILDERS: dict[str, Callable[[random.Random, int], tuple[dict, list[Sheet]]]] = {
    "giay_khai_sinh": birth_certificate,
    "giay_chung_nhan_ket_hon": marriage_certificate,
    "trich_luc_khai_tu": death_extract,
    "xac_nhan_tinh_trang_hon_nhan": marital_status,
    "can_cuoc": id_card,
    "van_ban_hanh_chinh": admin_document,
    "giay_chung_nhan_qsdd": land_certificate,
}
DOCUMENT_TYPES: tuple[str, ...] = tuple(BUILDERS)

# Field keys per type, in the spec's order (docs/spec documents.md).
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "giay_khai_sinh": ("so", "quyen_so", "ho_ten", "ngay_sinh", "gioi_tinh", "dan_toc", "quoc_tich",
                       "noi_sinh", "que_quan", "so_dinh_danh", "me_ho_ten", "me_nam_sinh", "cha_ho_ten",
                       "cha_nam_sinh", "noi_dang_ky", "ngay_dang_ky"),
    "giay_chung_nhan_ket_hon": ("chong_ho_ten", "chong_ngay_sinh", "chong_dan_toc", "chong_quoc_tich",
                                "chong_so_dinh_danh", "vo_ho_ten", "vo_ngay_sinh", "vo_dan_toc",
                                "vo_quoc_tich", "vo_so_dinh_danh", "noi_dang_ky", "ngay_dang_ky", "so",
                                "quyen_so"),
    "trich_luc_khai_tu": ("ho_ten", "ngay_sinh", "gioi_tinh", "dan_toc", "quoc_tich", "so_dinh_danh",
                          "ngay_chet", "noi_chet", "nguyen_nhan_chet", "so", "quyen_so", "noi_dang_ky",
                          "ngay_dang_ky"),
    "xac_nhan_tinh_trang_hon_nhan": ("ho_ten", "ngay_sinh", "gioi_tinh", "dan_toc", "quoc_tich",
                                     "so_dinh_danh", "noi_cu_tru", "tinh_trang_hon_nhan",
                                     "muc_dich_su_dung", "so", "ngay_cap", "co_gia_tri_den"),
    "can_cuoc": ("so", "ho_ten", "ngay_sinh", "gioi_tinh", "quoc_tich", "que_quan", "noi_thuong_tru",
                 "co_gia_tri_den"),
    "van_ban_hanh_chinh": ("co_quan_ban_hanh", "so_ky_hieu", "dia_danh", "ngay_ban_hanh", "loai_van_ban",
                           "trich_yeu", "chuc_vu_nguoi_ky", "nguoi_ky"),
    "giay_chung_nhan_qsdd": ("so_phat_hanh", "so_vao_so", "nguoi_su_dung", "thua_dat_so", "to_ban_do_so",
                             "dia_chi_thua_dat", "dien_tich_m2", "hinh_thuc_su_dung", "muc_dich_su_dung",
                             "thoi_han_su_dung", "nguon_goc_su_dung", "ngay_cap", "co_quan_cap"),
}


def page_size_mm(doc_type: str) -> tuple[float, float]:
    return CARD_MM if doc_type == "can_cuoc" else A4_MM


def page_size_px(doc_type: str, dpi: int) -> tuple[int, int]:
    """Pixel size of a clean upright page (what skew and rotation start from)."""
    w, h = page_size_mm(doc_type)
    return round(w * dpi / 25.4), round(h * dpi / 25.4)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass
class RenderedDocument:
    doc_type: str
    fields: dict
    pages: list[Image.Image] = field(default_factory=list)  # RGB, upright, clean
    page_texts: list[str] = field(default_factory=list)     # lines joined by "\n", NFC, no leaders


def render_document(doc_type: str, rng: random.Random, dpi: int = 300) -> RenderedDocument:
    if doc_type not in BUILDERS:
        raise ValueError(f"unknown document type {doc_type!r}; expected one of {DOCUMENT_TYPES}")
    fields, sheets = BUILDERS[doc_type](rng, dpi)
    fields = {k: nfc(clean(v)) if isinstance(v, str) else v for k, v in fields.items()}
    if set(fields) != set(FIELD_KEYS[doc_type]):  # a layout bug, not a caller error
        raise RuntimeError(f"{doc_type}: fields {sorted(fields)} differ from the spec's keys")
    fields = {k: fields[k] for k in FIELD_KEYS[doc_type]}
    return RenderedDocument(doc_type, fields, [s.img for s in sheets],
                            [nfc("\n".join(s.lines)) for s in sheets])
