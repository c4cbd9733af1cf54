"""Stage 4, PDF/A-2b "two layers" (Thông tư 05/2025/TT-BNV Điều 8): each page is the scan
image with an invisible OCR text layer whose words sit on the printed words.

The image is a 24-bit colour JPEG (the circular asks for at least 24-bit colour depth; a grey
scan costs almost nothing extra because the chroma planes are flat). pikepdf's PDF/A support
writes the sRGB output intent and the XMP, then validates the bytes it wrote.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import datetime

import pikepdf
import pikepdf.pdfa

from pipeline.core.errors import InternalError
from pipeline.core.model import Word
from pipeline.core.reading import reading_lines
from pipeline.pdf.glyphless import ADVANCE, UNITS_PER_EM, add_font


@dataclass
class PdfPage:
    jpeg: bytes
    width: int  # pixels
    height: int
    dpi: float
    words: list[Word] = field(default_factory=list)
    skew_deg: float = 0.0  # drawn turned back by this much, so the scan's pixels stay as scanned


@dataclass
class DocumentInfo:
    title: str
    created: datetime
    producer: str = "sohoa"
    subject: str = ""
    keywords: str = ""
    language: str = "vi-VN"
    # Archive metadata (Nghị định 30/2020 Phụ lục VI), written as Dublin Core so the file
    # stays PDF/A without an XMP extension schema.
    archive: dict = field(default_factory=dict)


# A6 (105 × 148 mm) in square points. A smaller page is a card, a slip or a cropped line:
# its content fills it, so a stamp drawn over it would cover what it certifies and be
# hard to read itself.
SMALLEST_STAMPED_AREA_PT2 = (105 / 25.4 * 72) * (148 / 25.4 * 72)


def build_pdfa(pages: list[PdfPage], info: DocumentInfo,
               stamp_room: tuple[float, float] | None = None) -> bytes:
    """The PDF/A-2b of `pages`. `stamp_room` (width, height in points: a visible
    signature's box with its margins) is kept clear at the top right of page 1: when page 1
    cannot hold it over its own margin (too narrow or short, or smaller than A6), the page
    grows a blank band above the image, and as wide as the room, where the signature goes;
    the image and its text layer are drawn unchanged below it."""
    pdf = pikepdf.new()
    font = add_font(pdf)
    for i, page in enumerate(pages):
        _add_page(pdf, page, font, stamp_room if i == 0 else None)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = info.title
        meta["dc:language"] = [info.language]
        if info.subject:
            meta["dc:description"] = info.subject
        if info.keywords:
            meta["pdf:Keywords"] = info.keywords
        meta["pdf:Producer"] = info.producer
        meta["xmp:CreatorTool"] = info.producer
        meta["xmp:CreateDate"] = info.created.isoformat()
        meta["xmp:ModifyDate"] = info.created.isoformat()
        _archive_xmp(meta, info.archive)
    out = io.BytesIO()
    try:
        pikepdf.pdfa.save(pdf, out, "2b", output_intent="sRGB", deterministic_id=True)
    except pikepdf.pdfa.PdfaError as exc:
        raise InternalError(detail=f"PDF/A-2b validation failed: {exc.report.summary()}") from exc
    return out.getvalue()


ARCHIVE_DC = {"TypeName": "dc:type", "CodeNumber": "dc:identifier", "IssuedDate": "dc:date",
              "OrganName": "dc:publisher", "Subject": "dc:description"}


def _archive_xmp(meta, archive: dict) -> None:
    for name, key in ARCHIVE_DC.items():
        if archive.get(name):
            value = str(archive[name])
            meta[key] = value if key in ("dc:description", "dc:identifier") else [value]
    if archive:
        meta["pdf:Keywords"] = "; ".join(f"{k}: {v}" for k, v in archive.items())


def band_layout(width_pt: float, height_pt: float,
                room: tuple[float, float] | None) -> tuple[float, float, float, float]:
    """(page width, page height, x, y of the image's lower left corner) in points: the
    image alone, or under a band holding `room` when the image cannot (see build_pdfa)."""
    if room is None:
        return width_pt, height_pt, 0.0, 0.0
    room_w, room_h = room
    if width_pt >= room_w and height_pt >= room_h \
            and width_pt * height_pt >= SMALLEST_STAMPED_AREA_PT2:
        return width_pt, height_pt, 0.0, 0.0
    page_w = max(width_pt, room_w)
    return page_w, height_pt + room_h, (page_w - width_pt) / 2, 0.0


def _add_page(pdf: pikepdf.Pdf, page: PdfPage, font: pikepdf.Object,
              stamp_room: tuple[float, float] | None = None) -> None:
    scale = 72.0 / page.dpi
    width_pt, height_pt = page.width * scale, page.height * scale
    page_w, page_h, dx, dy = band_layout(width_pt, height_pt, stamp_room)
    image = pikepdf.Stream(pdf, page.jpeg)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = page.width, page.height
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.DCTDecode
    content = f"q {image_matrix(width_pt, height_pt, page.skew_deg)} cm /Im0 Do Q\n".encode()
    content += text_layer(page.words, scale, page.height)
    if (dx, dy) != (0.0, 0.0):  # under a band: image and text moved together, pixels untouched
        content = f"q 1 0 0 1 {dx:.4f} {dy:.4f} cm\n".encode() + content + b"Q\n"
    pdf_page = pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, round(page_w, 3), round(page_h, 3)],
        Resources=pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Im0=image), Font=pikepdf.Dictionary(F0=font)),
        Contents=pikepdf.Stream(pdf, content),
    ))
    pdf.pages.append(pdf_page)


def image_matrix(width: float, height: float, skew_deg: float) -> str:
    """Place the image on the page, turned clockwise by `skew_deg` about the page centre
    (undoing a counter-clockwise skew) - the same turn the OCR copy was given."""
    t = math.radians(-skew_deg)
    cos, sin = math.cos(t), math.sin(t)
    cx, cy = width / 2, height / 2
    e, f = cx - (cos * cx - sin * cy), cy - (sin * cx + cos * cy)
    return " ".join(f"{v:.4f}" for v in (width * cos, width * sin, -height * sin, height * cos, e, f))


def text_layer(words: list[Word], scale: float, page_height_px: int) -> bytes:
    """Invisible text (render mode 3), one line at a time on its baseline, in reading order
    (pipeline.core.reading: two-column blocks column by column), as result.json's text.

    Each word, with the space after it, is stretched (Tz) to reach the next word's start,
    so a selection in a viewer covers the printed word and copy-paste keeps the spaces.
    """
    ops = ["BT 3 Tr"]
    for line_words in reading_lines(words):
        top = min(w.top for w in line_words)
        bottom = max(w.top + w.height for w in line_words)
        size = max(1.0, (bottom - top) * scale)
        baseline = (page_height_px - bottom) * scale
        ops.append(f"/F0 {size:.2f} Tf")
        for i, word in enumerate(line_words):
            last = i == len(line_words) - 1
            text = word.text if last else word.text + " "
            span_px = word.width if last else max(word.width, line_words[i + 1].left - word.left)
            natural = len(text) * size * ADVANCE / UNITS_PER_EM
            stretch = 100.0 * span_px * scale / natural if natural else 100.0
            ops.append(f"{stretch:.1f} Tz 1 0 0 1 {word.left * scale:.2f} {baseline:.2f} Tm "
                       f"<{text.encode('utf-16-be').hex()}> Tj")
    ops.append("ET\n")
    return "\n".join(ops).encode("ascii")
