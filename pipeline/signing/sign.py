"""The digitizing agency's signature on each digitized document.

Rules (see ``/work/shared/spec/rules.md``):

* Nghị định 30/2020/NĐ-CP, Phụ lục I: the agency's signature appearance sits at the
  **top right of page 1** and shows the agency name and the signing time in ISO 8601,
  Vietnam time (``+07:00``); Times New Roman 10 pt, black, **no seal image**. Liberation
  Serif (metric-compatible with Times New Roman, with Vietnamese glyphs) stands in for it.
* Thông tư 15/2025/TT-BKHCN, Phụ lục I: PDF signatures are PAdES (ETSI EN 319 142-1),
  baseline B-B by default (``/SubFilter /ETSI.CAdES.detached``), SHA-256; B-T, B-LT and
  B-LTA by :class:`~pipeline.signing.pades.SigningProfile` (see ``pipeline/signing/pades.py``).
* Sign last (Thông tư 15/2025/TT-BKHCN; Thông tư 05/2025/TT-BNV Điều 8 for the PDF/A):
  the signature is an incremental update, so every byte of the PDF/A-2b revision the
  caller made stays as it was, and what the update adds keeps to PDF/A-2b (widget with
  the Print flag, embedded font subset with ToUnicode, no transparency, no images).

The stamp is 7 cm × 1.8 cm, 1 cm from the top and right edges of page 1 as displayed
(crop box and ``/Rotate`` taken into account; on a rotated page the appearance is
turned so that it reads upright). A :class:`SignatureBox` places a signature elsewhere
(e.g. the certifier's and the agency's signatures on the last page of a certified copy,
Nghị định 23/2015), or fills an empty signature field already in the document; a later
signature never invalidates an earlier one (each is its own incremental update).
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import (
    AxisAlignment,
    BoxConstraints,
    InnerScaling,
    Margins,
    SimpleBoxLayoutRule,
)
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.signers import PdfSignatureMetadata
from pyhanko.stamp import TextStamp, TextStampStyle

from pipeline.core.errors import SigningError
from pipeline.core.naming import VIETNAM
from pipeline.core.text import wrap_words
from pipeline.signing.identity import SigningIdentity
from pipeline.signing.pades import DEFAULT_PROFILE, SigningProfile, SigningResult, sign_with_profile
from pipeline.signing.stamp_font import FONT_SIZE, FontVariant, stamp_font

__all__ = [
    "SignatureBox", "sign_document", "sign_pdf", "stamp_lines",
]

log = logging.getLogger(__name__)

#: Vietnam time. Fixed offset: Vietnam has no daylight saving time (since 1975), and a
#: fixed offset needs no tz database and ignores the machine's time zone.

_PT_PER_CM = 72 / 2.54
# whole points: pyHanko sizes the appearance's /BBox in whole points, so the widget
# /Rect is too (no rescaling of the appearance)
STAMP_WIDTH = round(7.0 * _PT_PER_CM)  # 198 pt
STAMP_HEIGHT = round(1.8 * _PT_PER_CM)  # 51 pt
STAMP_MARGIN = 1.0 * _PT_PER_CM  # from the page's top and right edges
#: (width, height) in points the stamp needs at the top right of page 1 with a margin all
#: round: what pipeline.pdf.pdfa keeps clear there (a band above a too small page's image)
STAMP_ROOM = (STAMP_WIDTH + 2 * STAMP_MARGIN, STAMP_HEIGHT + 2 * STAMP_MARGIN)
_LEADING = 11
_PADDING = 3.0  # inside the stamp, around the text

# -------------------------------------------------------------------------- stamp

# Rotation of the appearance (form XObject /Matrix) that makes it read upright on a
# page displayed with /Rotate r.
_ROTATION_MATRIX = {
    90: (0, 1, -1, 0, 0, 0),
    180: (-1, 0, 0, -1, 0, 0),
    270: (0, -1, 1, 0, 0, 0),
}


class _DigitizationStamp(TextStamp):
    def as_form_xobject(self) -> generic.StreamObject:
        xobj = super().as_form_xobject()
        matrix = _ROTATION_MATRIX.get(self.style.rotation)
        if matrix is not None:
            xobj["/Matrix"] = generic.ArrayObject(generic.NumberObject(v) for v in matrix)
        return xobj


@dataclass(frozen=True)
class _DigitizationStampStyle(TextStampStyle):
    """Text-only stamp (no border, no background), optionally turned for /Rotate."""

    rotation: int = 0

    def create_stamp(self, writer, box, text_params) -> _DigitizationStamp:
        if self.rotation in (90, 270):
            # pyHanko sizes the box from the widget /Rect (user space); lay the text out
            # in the box as displayed.
            box = BoxConstraints(width=box.height, height=box.width)
        return _DigitizationStamp(writer=writer, style=self, box=box, text_params=text_params)


@functools.lru_cache(maxsize=8)
def _stamp_style(rotation: int, variant: FontVariant) -> _DigitizationStampStyle:
    return _DigitizationStampStyle(
        rotation=rotation,
        border_width=0,
        background=None,
        stamp_text="%(sohoa_stamp)s",
        text_box_style=TextBoxStyle(
            font=variant.factory,
            font_size=FONT_SIZE,
            leading=_LEADING,
            border_width=0,
            text_color=None,  # default fill colour: black
            box_layout_rule=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN,
                y_align=AxisAlignment.ALIGN_MAX,
                margins=Margins(),
                inner_content_scaling=InnerScaling.NO_SCALING,
            ),
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(_PADDING),
            # only if an agency name is too long even for wrapped lines
            inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
        ),
    )


def _vietnam_time(signing_time: datetime) -> datetime:
    if not isinstance(signing_time, datetime):
        raise SigningError(detail="The signing time must be a datetime.")
    if signing_time.tzinfo is None or signing_time.utcoffset() is None:
        raise SigningError(
            "Thời gian ký phải kèm múi giờ.",
            "bad_signing_time",
            detail="The signing time must be timezone-aware, so that it can be shown in "
            "Vietnam time.",
        )
    return signing_time.astimezone(VIETNAM).replace(microsecond=0)


def _wrap(words: list[str], first_prefix: str, width_of, max_width: float) -> list[str]:
    return wrap_words(words, width_of, max_width, start=first_prefix.rstrip())


def stamp_lines(agency_name: str, signing_time: datetime) -> list[str]:
    """The stamp's text lines: ``Ký bởi: <agency>`` (wrapped at word boundaries when
    too long for 7 cm at 10 pt) and ``Thời gian ký: <ISO 8601, +07:00>``."""
    when = _vietnam_time(signing_time)
    if not isinstance(agency_name, str) or not agency_name.strip():
        raise SigningError(
            "Tên cơ quan hiển thị trên chữ ký không được để trống.",
            "empty_agency_name",
            detail="The agency name shown in the signature must not be empty.",
        )
    agency = " ".join(unicodedata.normalize("NFC", agency_name).split())
    time_line = f"Thời gian ký: {when.isoformat(timespec='seconds')}"
    prefix = "Ký bởi:"
    variant = stamp_font().variant_for(f"{prefix} {agency}\n{time_line}")
    max_width = STAMP_WIDTH - 2 * _PADDING
    signed_by = _wrap(agency.split(" "), prefix, variant.width, max_width)
    return [*signed_by, time_line]


# ----------------------------------------------------------------------- placement


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature goes: the empty signature field ``field_name`` if the document
    has one, else a new field on page ``page_index`` (negative: from the end) at
    ``rect`` = (x0, y0, x1, y1) in PDF points (user space; whole points avoid rescaling
    the appearance)."""

    field_name: str
    page_index: int = -1
    rect: tuple[float, float, float, float] | None = None


def _refuse(detail: str, message: str, code: str) -> SigningError:
    return SigningError(message, code, detail=detail)


def _rotation_of(page) -> int:
    rotate = find_inherited_value_in_tree(page, "/Rotate", "/Parent") or 0
    if int(rotate) % 90:
        raise _refuse(f"Page has an invalid /Rotate value {int(rotate)}.",
                      "Trang PDF có góc xoay không hợp lệ.", "bad_page")
    return int(rotate) % 360


def _page_geometry(writer: IncrementalPdfFileWriter, page_index: int):
    """Visible area (crop box clipped to the media box), rotation and index of a page."""
    try:
        count = int(writer.root["/Pages"]["/Count"])
        index = page_index + count if page_index < 0 else page_index
        if not 0 <= index < count:
            raise _refuse(f"The PDF has no page {page_index} ({count} pages).",
                          "Tài liệu không có trang được chọn để đặt chữ ký.", "bad_page")
        page = writer.find_page_for_modification(index)[0].get_object()
        media_box = find_inherited_value_in_tree(page, "/MediaBox", "/Parent")
        crop_box = find_inherited_value_in_tree(page, "/CropBox", "/Parent") or media_box
        mx0, my0, mx1, my1 = (float(v) for v in media_box)
        cx0, cy0, cx1, cy1 = (float(v) for v in crop_box)
    except SigningError:
        raise
    except Exception as e:
        raise _refuse(f"Page {page_index + 1} of the PDF has no usable page box ({e}).",
                      "Trang PDF không có khung trang hợp lệ.", "bad_page") from None
    visible = (max(min(mx0, mx1), min(cx0, cx1)), max(min(my0, my1), min(cy0, cy1)),
               min(max(mx0, mx1), max(cx0, cx1)), min(max(my0, my1), max(cy0, cy1)))
    return visible, _rotation_of(page), index


def _top_right_rect(visible, rotation: int) -> tuple[float, ...]:
    """The stamp's widget /Rect (user space) at the top right of the page as displayed."""
    x0, y0, x1, y1 = visible
    w, h, m = STAMP_WIDTH, STAMP_HEIGHT, STAMP_MARGIN
    shown_w, shown_h = (x1 - x0, y1 - y0) if rotation in (0, 180) else (y1 - y0, x1 - x0)
    if shown_w < w + m or shown_h < h + m:
        raise _refuse(
            f"Page 1 ({shown_w / _PT_PER_CM:.1f} × {shown_h / _PT_PER_CM:.1f} cm) is too "
            "small for the 7 × 1.8 cm signature stamp.",
            "Trang 1 quá nhỏ để đặt ô chữ ký 7 × 1,8 cm.", "page_too_small",
        )
    if rotation == 0:  # displayed top right = user-space (x1, y1)
        return (x1 - m - w, y1 - m - h, x1 - m, y1 - m)
    if rotation == 90:  # shown turned clockwise: top right = (x0, y1)
        return (x0 + m, y1 - m - w, x0 + m + h, y1 - m)
    if rotation == 180:  # top right = (x0, y0)
        return (x0 + m, y0 + m, x0 + m + w, y0 + m + h)
    return (x1 - m - h, y0 + m, x1 - m, y0 + m + w)  # 270: top right = (x1, y0)


def _existing_field(writer: IncrementalPdfFileWriter, name: str):
    """(signed?, widget /Rect, rotation of its page) of the signature field ``name``,
    or None if the document has no such field."""
    for field_name, value, field_ref in enumerate_sig_fields(writer):
        if field_name != name:
            continue
        field_obj = field_ref.get_object()
        widget = field_obj if "/Rect" in field_obj else field_obj["/Kids"][0].get_object()
        page = widget.get("/P")
        rotation = _rotation_of(page.get_object()) if page is not None else 0
        return value is not None, tuple(float(v) for v in widget["/Rect"]), rotation
    return None


def _box_text(lines: list[str], shown_width: float) -> str:
    """``lines`` (NFC, spaces collapsed), each wrapped at word boundaries to fit."""
    lines = [" ".join(unicodedata.normalize("NFC", str(line)).split()) for line in lines]
    if not any(lines):
        raise _refuse("The signature appearance text is empty.",
                      "Nội dung hiển thị của chữ ký không được để trống.", "empty_lines")
    variant = stamp_font().variant_for("\n".join(lines))
    wrapped = []
    for line in lines:
        wrapped += _wrap(line.split(" "), "", variant.width, shown_width - 2 * _PADDING)
    return "\n".join(wrapped)


def _organization(identity: SigningIdentity) -> str:
    subject = identity.certificate.subject.native
    name = subject.get("organization_name") or subject.get("common_name") or ""
    return " ".join(name) if isinstance(name, list) else name


# -------------------------------------------------------------------------- signing


def sign_document(
    pdf: bytes,
    identity: SigningIdentity,
    *,
    agency_name: str | None = None,
    signing_time: datetime | None = None,
    profile: SigningProfile | None = None,
    field: SignatureBox | None = None,
    lines: list[str] | None = None,
    field_name: str = "SoHoa",
    reason: str | None = None,
    location: str | None = None,
) -> SigningResult:
    """:func:`sign_pdf`, returning the :class:`~pipeline.signing.pades.SigningResult` (the
    signed bytes, the PAdES level reached and, after a fallback, why, in Vietnamese)."""
    try:
        return _sign_document(pdf, identity, agency_name, signing_time, profile, field,
                              lines, field_name, reason, location)
    except SigningError as e:
        log.warning("signing refused [%s]: %s", e.code, e.detail)
        raise


def _sign_document(pdf, identity, agency_name, signing_time, profile, field, lines,
                   field_name, reason, location) -> SigningResult:
    if not isinstance(pdf, (bytes, bytearray, memoryview)):
        raise _refuse("The PDF to sign must be given as bytes.",
                      "Dữ liệu cần ký không phải tệp PDF.", "bad_input")
    if not isinstance(identity, SigningIdentity):
        raise _refuse("The signing identity must be a SigningIdentity.",
                      "Chưa có khóa ký số hợp lệ.", "bad_identity")
    when = _vietnam_time(signing_time if signing_time is not None else datetime.now(VIETNAM))
    pdf = bytes(pdf)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
    except Exception as e:
        raise _refuse(f"The PDF cannot be read for signing ({e}).",
                      "Tệp PDF bị hỏng hoặc không đọc được nên không ký được.", "bad_pdf") from e
    if writer.security_handler is not None:
        raise _refuse("The PDF is encrypted, and an archival PDF/A must not be.",
                      "Tệp PDF bị mã hóa, không phải PDF/A lưu trữ.", "encrypted_pdf")
    name = field.field_name if field is not None else field_name
    try:
        existing = _existing_field(writer, name)
    except SigningError:
        raise
    except Exception as e:
        raise _refuse(f"The PDF's form fields cannot be read ({e}).",
                      "Không đọc được các trường biểu mẫu của tệp PDF.", "bad_pdf") from e
    field_spec = None
    if existing is not None:
        signed, rect, rotation = existing
        if signed:
            raise _refuse(f"The signature field {name!r} is already signed.",
                          f"Ô chữ ký {name!r} đã được ký.", "field_signed")
    elif field is None:  # the digitization stamp, top right of page 1
        visible, rotation, index = _page_geometry(writer, 0)
        rect = _top_right_rect(visible, rotation)
        field_spec = SigFieldSpec(sig_field_name=name, on_page=index, box=rect)
    else:
        if field.rect is None or len(field.rect) != 4:
            raise _refuse(f"No signature field {name!r} in the PDF, and no rect to make one.",
                          f"Tài liệu không có ô chữ ký {name!r}.", "no_field")
        _, rotation, index = _page_geometry(writer, field.page_index)
        x0, y0, x1, y1 = (float(v) for v in field.rect)
        rect = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        field_spec = SigFieldSpec(sig_field_name=name, on_page=index, box=rect)
    shown_width = abs(rect[2] - rect[0]) if rotation in (0, 180) else abs(rect[3] - rect[1])
    if lines is None:
        agency = agency_name if agency_name is not None else _organization(identity)
        lines = stamp_lines(agency, when)  # validates the name, wraps for 7 cm
    text = _box_text(lines, shown_width)

    meta = PdfSignatureMetadata(field_name=name, subfilter=SigSeedSubFilter.PADES,
                                reason=reason, location=location)
    signer_kwargs = {"stamp_style": _stamp_style(rotation, stamp_font().variant_for(text)),
                     "new_field_spec": field_spec}
    try:
        return sign_with_profile(
            pdf, meta, identity.signer, profile=profile or DEFAULT_PROFILE, when=when,
            signer_kwargs=signer_kwargs, text_params={"sohoa_stamp": text},
            existing_fields_only=existing is not None,
        )
    except SigningError:
        raise
    except Exception as e:  # pyHanko, the PDF, or the token (e.g. pulled out): a refusal
        raise _refuse(f"The PDF cannot be signed ({type(e).__name__}: {e}).",
                      "Không ký số được tài liệu này.", "signing_failed") from e


def sign_pdf(pdf: bytes, identity: SigningIdentity, **options) -> bytes:
    """Sign ``pdf`` and return the signed file (an incremental update: the returned
    bytes start with ``pdf`` unchanged).

    By default: PAdES B-B (ETSI.CAdES.detached, SHA-256) with the digitization stamp at
    the top right of page 1 showing ``agency_name`` (default: the certificate's
    organization) and ``signing_time`` (default: now) in Vietnam time (ISO 8601,
    ``+07:00``); ``options`` are :func:`sign_document`'s keywords. ``signing_time`` must be timezone-aware and is also the signature's
    ``/M``. ``profile`` chooses the PAdES level and PKI services; ``field`` places the
    signature elsewhere or fills an empty signature field; ``lines`` is the appearance
    text (wrapped to the box). Raises :class:`SigningError` (Vietnamese ``.message``,
    English ``str()``) when the PDF cannot be signed or signing is refused.
    """
    return sign_document(pdf, identity, **options).pdf
