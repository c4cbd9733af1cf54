"""A tiny embedded font with one blank glyph, for the invisible OCR text layer.

Every character code (the UTF-16 value of the letter) maps to that one glyph, and a
ToUnicode map gives the letters back, so viewers can select, search and copy Vietnamese
text while nothing is drawn over the scan. Embedding it keeps PDF/A's font rules simple.
"""
from __future__ import annotations

import io
import zlib
from functools import lru_cache

import pikepdf
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

UNITS_PER_EM = 1000
ADVANCE = 500  # every glyph is half an em wide; the text layer scales words to fit


@lru_cache(maxsize=1)
def font_program() -> bytes:
    builder = FontBuilder(UNITS_PER_EM, isTTF=True)
    builder.setupGlyphOrder([".notdef", "blank"])
    builder.setupCharacterMap({0x20: "blank"})
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "blank": empty})
    builder.setupHorizontalMetrics({".notdef": (ADVANCE, 0), "blank": (ADVANCE, 0)})
    builder.setupHorizontalHeader(ascent=1000, descent=0)
    builder.setupNameTable({"familyName": "SohoaGlyphless", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=1000, sTypoDescender=0, usWinAscent=1000, usWinDescent=0)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


@lru_cache(maxsize=1)
def _to_unicode_cmap() -> bytes:
    ranges = "\n".join(f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256))
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"256 beginbfrange\n{ranges}\nendbfrange\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def add_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """Add the font to `pdf` once and return its indirect font dictionary."""
    program = pikepdf.Stream(pdf, zlib.compress(font_program()))
    program.Filter = pikepdf.Name.FlateDecode
    program.Length1 = len(font_program())
    # CID = UTF-16 code unit; every CID draws glyph 1 (the blank one).
    cid_to_gid = pikepdf.Stream(pdf, zlib.compress(b"\x00\x01" * 65536, 9))
    cid_to_gid.Filter = pikepdf.Name.FlateDecode
    descriptor = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name.SohoaGlyphless,
        Flags=4, FontBBox=[0, 0, ADVANCE, UNITS_PER_EM], ItalicAngle=0,
        Ascent=UNITS_PER_EM, Descent=0, CapHeight=UNITS_PER_EM, StemV=80,
        FontFile2=program,
    ))
    cid_font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name.SohoaGlyphless,
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=descriptor, DW=ADVANCE, CIDToGIDMap=cid_to_gid,
    ))
    to_unicode = pikepdf.Stream(pdf, zlib.compress(_to_unicode_cmap()))
    to_unicode.Filter = pikepdf.Name.FlateDecode
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name.SohoaGlyphless, Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[cid_font], ToUnicode=to_unicode,
    ))
