"""Visible Vietnamese text that sohoa draws itself (certified-copy statement page, the
printed certification register), in Liberation Serif 2 (Debian fonts-liberation2: Times New
Roman metrics WITH Vietnamese glyphs; 1.x lacks them).

PDF/A-2b wants every font embedded with widths that agree with the program (ISO 19005-2
6.2.11) and text that maps back to Unicode. Each font is written as a Type0 / CIDFontType2
font whose CIDs are the glyph ids of the whole font (Identity), subset by fontTools to the
glyphs the document used while keeping their ids, with a /W array and a ToUnicode map of
exactly those glyphs. Every Vietnamese letter has a precomposed glyph in NFC, so no shaping
is needed (kerning is left out, as Word does for Times New Roman by default).
"""
from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache

import pikepdf
from fontTools import subset, ttLib

from pipeline.core.text import wrap_words

FONT_DIR_ENV_VAR = "SOHOA_TEXT_FONT_DIR"
_FONT_DIR = "/usr/share/fonts/truetype/liberation2"
REGULAR = "LiberationSerif-Regular.ttf"
BOLD = "LiberationSerif-Bold.ttf"


class FontError(Exception):
    """The text font is missing, or lacks a glyph for the text."""


@dataclass(frozen=True, eq=False)
class _Face:
    path: str
    data: bytes
    cmap: dict[int, str]  # code point -> glyph name
    gid: dict[str, int]  # glyph name -> glyph id
    advances: list[int]  # by glyph id, font units
    units_per_em: int
    ps_name: str
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    italic_angle: float


@lru_cache(maxsize=4)
def _face(file_name: str) -> _Face:
    path = os.path.join(os.environ.get(FONT_DIR_ENV_VAR) or _FONT_DIR, file_name)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        tt = ttLib.TTFont(io.BytesIO(data))
    except Exception as exc:
        raise FontError(f"Cannot read the text font {path} ({exc}); install Debian's "
                        "fonts-liberation2 (scripts/install.sh does).") from exc
    if ord("ơ") not in tt.getBestCmap() or ord("ự") not in tt.getBestCmap():
        raise FontError(f"The text font {path} has no Vietnamese glyphs (Liberation 1.x?).")
    order = tt.getGlyphOrder()
    head, os2 = tt["head"], tt["OS/2"]
    return _Face(
        path=path, data=data, cmap=dict(tt.getBestCmap()),
        gid={name: i for i, name in enumerate(order)},
        advances=[tt["hmtx"][name][0] for name in order],
        units_per_em=head.unitsPerEm,
        ps_name=tt["name"].getDebugName(6) or "LiberationSerif",
        bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
        ascent=tt["hhea"].ascent, descent=tt["hhea"].descent,
        cap_height=getattr(os2, "sCapHeight", 0) or tt["hhea"].ascent,
        italic_angle=float(tt["post"].italicAngle),
    )


class TextFont:
    """One font as used by one PDF document: measures and encodes text, remembers the
    glyphs used, and embeds their subset at the end (`embed`)."""

    def __init__(self, file_name: str = REGULAR):
        self.face = _face(file_name)
        self._used: dict[int, str] = {}  # glyph id -> the character it shows

    def _gids(self, text: str) -> list[int]:
        text = unicodedata.normalize("NFC", text)
        missing = sorted({c for c in text if ord(c) not in self.face.cmap})
        if missing:
            raise FontError(f"The font {self.face.path} has no glyph for {''.join(missing)!r}.")
        return [self.face.gid[self.face.cmap[ord(c)]] for c in text]

    def width(self, text: str, size: float) -> float:
        """Advance width of `text` in points at `size`."""
        units = sum(self.face.advances[g] for g in self._gids(text))
        return units * size / self.face.units_per_em

    def show(self, text: str) -> str:
        """The string operand for Tj: glyph ids as 2-byte hex (Identity-H)."""
        text = unicodedata.normalize("NFC", text)
        gids = self._gids(text)
        for g, c in zip(gids, text):
            self._used.setdefault(g, c)
        return "<" + "".join(f"{g:04X}" for g in gids) + ">"

    def wrap(self, text: str, size: float, max_width: float) -> list[str]:
        """Lines of `text` no wider than `max_width`, broken at spaces (a word wider than
        the line stays whole: names are never cut)."""
        return [line for paragraph in text.split("\n")
                for line in wrap_words(paragraph.split(), lambda s: self.width(s, size), max_width)]

    def embed(self, pdf: pikepdf.Pdf) -> pikepdf.Object:
        """Add the subset of the glyphs used so far to `pdf`; return the font dictionary."""
        face, used = self.face, dict(sorted(self._used.items()))
        program = _subset_program(face.data, tuple(used))
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(program).digest()[:6])
        name = pikepdf.Name(f"/{tag}+{face.ps_name}")
        scale = 1000 / face.units_per_em
        stream = pikepdf.Stream(pdf, zlib.compress(program, 9))
        stream.Filter, stream.Length1 = pikepdf.Name.FlateDecode, len(program)
        descriptor = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor, FontName=name,
            Flags=32 | 2,  # nonsymbolic, serif
            FontBBox=[round(v * scale) for v in face.bbox], ItalicAngle=face.italic_angle,
            Ascent=round(face.ascent * scale), Descent=round(face.descent * scale),
            CapHeight=round(face.cap_height * scale), StemV=80, FontFile2=stream,
        ))
        widths = pikepdf.Array()
        for g in used:
            widths.extend([g, [round(face.advances[g] * scale, 3)]])
        cid_font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2, BaseFont=name,
            CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity",
                                             Supplement=0),
            FontDescriptor=descriptor, DW=round(face.advances[0] * scale, 3), W=widths,
            CIDToGIDMap=pikepdf.Name.Identity,
        ))
        to_unicode = pikepdf.Stream(pdf, zlib.compress(_to_unicode(used)))
        to_unicode.Filter = pikepdf.Name.FlateDecode
        return pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=name,
            Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=[cid_font],
            ToUnicode=to_unicode,
        ))


@lru_cache(maxsize=32)
def _subset_program(data: bytes, gids: tuple[int, ...]) -> bytes:
    tt = ttLib.TTFont(io.BytesIO(data))
    options = subset.Options()
    options.retain_gids = True  # CID = glyph id of the whole font
    options.notdef_outline = True
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]
    options.recalc_timestamp = False
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=list(gids))
    subsetter.subset(tt)
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue()


def _to_unicode(used: dict[int, str]) -> bytes:
    def utf16(c: str) -> str:
        return c.encode("utf-16-be").hex().upper()

    items = list(used.items())
    blocks = []
    for start in range(0, len(items), 100):  # at most 100 entries per block
        chunk = items[start:start + 100]
        body = "\n".join(f"<{g:04X}> <{utf16(c)}>" for g, c in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{body}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")
