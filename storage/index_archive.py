"""Document-level archive metadata (Nghị định 30/2020 Phụ lục VI, Thông tư 05/2025) and the
reuse record (Nghị định 45/2020 Điều 16), derived from a result where the caller gave none.

The caller's `archive` dict always wins key by key; what is derived here is only a default
read from the extracted fields of the document's own type (../shared/spec/documents.md).
"""
from __future__ import annotations

import re

#: Mức độ tin cậy 02: digitized from paper (Nghị định 30/2020 Phụ lục VI).
CONFIDENCE_DIGITIZED = "02"

#: Tên giấy tờ (TenGiayTo) of each document type.
TYPE_NAMES = {
    "giay_khai_sinh": "Giấy khai sinh",
    "giay_chung_nhan_ket_hon": "Giấy chứng nhận kết hôn",
    "trich_luc_khai_tu": "Trích lục khai tử",
    "xac_nhan_tinh_trang_hon_nhan": "Giấy xác nhận tình trạng hôn nhân",
    "can_cuoc": "Căn cước",
    "van_ban_hanh_chinh": "Văn bản hành chính",
    "giay_chung_nhan_qsdd": "Giấy chứng nhận quyền sử dụng đất",
}
# Which field holds what, first present wins. Only the keys of the document's own type exist.
_CODE = ("so_ky_hieu", "so_phat_hanh", "so")
_ISSUED = ("ngay_ban_hanh", "ngay_dang_ky", "ngay_cap")
_ORGAN = ("co_quan_ban_hanh", "co_quan_cap", "noi_dang_ky")
_VALID_UNTIL = ("co_gia_tri_den", "thoi_han_su_dung")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _first(fields: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if fields.get(key) not in (None, ""):
            return str(fields[key])
    return None


def document_archive(result: dict, archive: dict | None) -> dict:
    """Archive metadata of one document: defaults from `result`, overridden by `archive`."""
    fields = result.get("fields") or {}
    derived: dict = {
        "TypeName": (fields.get("loai_van_ban") if result.get("document_type") == "van_ban_hanh_chinh"
                     else None) or TYPE_NAMES.get(result.get("document_type") or ""),
        "IssuedDate": _first(fields, _ISSUED),
        "OrganName": _first(fields, _ORGAN),
        "Subject": fields.get("trich_yeu"),
        "PageAmount": len(result.get("pages") or []),
        "ConfidenceLevel": CONFIDENCE_DIGITIZED,
        "ValidUntil": _first(fields, _VALID_UNTIL),
    }
    code = _first(fields, _CODE)
    if code and "/" in code:  # "511/QĐ-UBND": số 511, ký hiệu QĐ-UBND
        derived["CodeNumber"], derived["CodeNotation"] = (p.strip() for p in code.split("/", 1))
    else:
        derived["CodeNumber"] = code
    merged = {**derived, **{k: v for k, v in (archive or {}).items() if v is not None}}
    if merged.get("IssuedDate") and not _ISO_DATE.match(str(merged["IssuedDate"])):
        merged["IssuedDate"] = None  # StartDate/EndDate compare ISO strings; keep them sortable
    return {k: v for k, v in merged.items() if v is not None}


def code_text(archive: dict) -> str | None:
    """Số ký hiệu as printed: "511/QĐ-UBND", or the number alone."""
    parts = [archive.get("CodeNumber"), archive.get("CodeNotation")]
    return "/".join(str(p) for p in parts if p) or None
