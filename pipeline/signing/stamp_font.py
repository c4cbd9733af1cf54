"""The stamp font: Liberation Serif (metric-compatible with Times New Roman, with
Vietnamese glyphs), prepared once per process for pyHanko to embed and subset.

Signatures are made in parallel threads, so what is shared between documents (the
prepared font, the cache of subset programs) is read-only or behind a lock.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

from pipeline.core.errors import SigningError
from pipeline.pdf.fonts import REGULAR, FontError, font_path

FONT_SIZE = 10


@dataclass(frozen=True)
class _InMemoryGlyphAccumulatorFactory(GlyphAccumulatorFactory):
    """pyHanko's GlyphAccumulatorFactory, fed from bytes read once per process
    instead of opening the font file for every document."""

    font_bytes: bytes = field(default=b"", repr=False, compare=False)

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return _SubsetCachingAccumulator(
            self.font_bytes,
            writer=writer,
            font_handle=BytesIO(self.font_bytes),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


_SUBSETS: OrderedDict = OrderedDict()  # (font, glyph ids) -> subset font program
_SUBSETS_MAX = 256
_SUBSETS_LOCK = threading.Lock()  # documents are signed in parallel threads


class _SubsetCachingAccumulator(GlyphAccumulator):
    """GlyphAccumulator that subsets the font (fontTools: a third of a B-B signature's
    time) once per set of glyphs and process, not once per document: stamps repeat the
    same letters and digits."""

    def __init__(self, font_bytes: bytes, **kwargs):
        super().__init__(**kwargs)
        self._font_id = id(font_bytes)  # the bytes live as long as their (cached) factory

    def prepare_write(self):
        if not self._write_prepared:
            key = (self._font_id, frozenset(self._glyphs))
            with _SUBSETS_LOCK:
                program = _SUBSETS.get(key)
            if program is None:
                self._extract_subset()
                out = BytesIO()
                self.tt.save(out)
                program = out.getvalue()
                with _SUBSETS_LOCK:
                    _SUBSETS[key] = program
                    while len(_SUBSETS) > _SUBSETS_MAX:
                        _SUBSETS.popitem(last=False)
            self._subset_created = True  # the program above replaces pyHanko's subsetting
            self.cidfont_obj.set_font_file = functools.partial(
                _embed_program, self.cidfont_obj, program)
        super().prepare_write()


def _embed_program(cidfont, program: bytes, writer) -> generic.IndirectObject:
    """CIDFontType2.set_font_file, with a font program made before."""
    stream = generic.StreamObject(stream_data=program)
    stream.compress()
    ref = writer.add_object(stream)
    cidfont._font_descriptor[generic.pdf_name("/FontFile2")] = ref
    return ref


# What the everyday working copy of the font keeps: Latin, Vietnamese, punctuation.
_REPERTOIRE = (
    *range(0x20, 0x7F), *range(0xA0, 0x180), 0x1A0, 0x1A1, 0x1AF, 0x1B0,
    0x300, 0x301, 0x303, 0x309, 0x323, *range(0x1EA0, 0x1EFA),
    *range(0x2010, 0x2028), *range(0x2030, 0x203B), 0x20AB, 0x2116, 0x2212,
)


@dataclass(frozen=True, eq=False)
class FontVariant:
    """A working copy of the stamp font, ready for pyHanko to embed (and subset)."""

    codepoints: frozenset[int]
    factory: _InMemoryGlyphAccumulatorFactory
    hb_font: object  # uharfbuzz.Font over the same bytes, to measure lines

    def width(self, text: str) -> float:
        """Advance width of ``text`` in points at FONT_SIZE, kerning included."""
        import uharfbuzz as hb

        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(self.hb_font, buf)
        total = sum(pos.x_advance for pos in buf.glyph_positions or ())
        return total * FONT_SIZE / 1000  # working copies have 1000 units per em


def _working_copy(path: str, data: bytes, unicodes) -> FontVariant:
    """Prepare a copy of the font for pyHanko's GlyphAccumulator.

    * Its em is rescaled to 1000 units. pyHanko 0.38 writes the font's own units
      into the CID font's /W array, the TJ kerning adjustments and the
      FontDescriptor, which PDF reads as thousandths of an em; with Liberation's
      2048 units per em the text came out letter-spaced, and the /W widths
      disagreed with the embedded program (a PDF/A-2 rule, ISO 19005-2 6.2.11.5).
    * TrueType hinting is dropped (it cannot survive the rescale; PDF viewers do
      without it), and so are tables pyHanko's subsetter cannot handle (FFTM).
    * With ``unicodes`` given, it is cut down to them first: pyHanko subsets the
      font again for every document, and from ~450 glyphs instead of ~2600 that
      is several times faster.
    """
    import uharfbuzz as hb
    from fontTools import subset, ttLib
    from fontTools.ttLib.scaleUpem import scale_upem

    tt = ttLib.TTFont(BytesIO(data))
    options = subset.Options()
    options.drop_tables += ["FFTM"]
    options.hinting = False
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=unicodes if unicodes is not None else tt.getBestCmap())
    subsetter.subset(tt)
    if tt["head"].unitsPerEm != 1000:
        scale_upem(tt, 1000)
    out = BytesIO()
    tt.save(out)
    font_bytes = out.getvalue()
    factory = _InMemoryGlyphAccumulatorFactory(
        font_file=path,
        font_size=FONT_SIZE,
        ot_script_tag="latn",
        ot_language_tag="VIT ",
        bcp47_lang_code="vi",
        font_bytes=font_bytes,
    )
    return FontVariant(
        codepoints=frozenset(tt.getBestCmap()),
        factory=factory,
        hb_font=hb.Font(hb.Face(font_bytes)),
    )


@dataclass(frozen=True, eq=False)
class _StampFont:
    path: str
    data: bytes = field(repr=False)
    codepoints: frozenset[int]  # of the whole font
    small: FontVariant  # cut to _REPERTOIRE: what stamps normally need

    @functools.cached_property
    def full(self) -> FontVariant:
        """The whole font, prepared on first need (an odd character in a name)."""
        return _working_copy(self.path, self.data, None)

    def variant_for(self, text: str) -> FontVariant:
        chars = {ord(c) for c in text if c != "\n"}
        if chars <= self.small.codepoints:
            return self.small
        missing = chars - self.codepoints
        if missing:
            shown = "".join(sorted(map(chr, missing)))
            raise SigningError(
                f"Phông chữ của chữ ký không có ký tự {shown!r}.",
                "font_glyph_missing",
                detail=f"The stamp font {self.path} has no glyph for {shown!r} in the stamp text.",
            )
        return self.full


@functools.lru_cache(maxsize=1)
def stamp_font() -> _StampFont:
    """Read and prepare the stamp font (pipeline.pdf.fonts finds it), once per process."""
    from fontTools import ttLib

    try:
        path = font_path(REGULAR)
        with open(path, "rb") as f:
            data = f.read()
    except (FontError, OSError) as e:
        raise SigningError(detail=f"The stamp font cannot be read: {e}") from e
    try:
        codepoints = frozenset(ttLib.TTFont(BytesIO(data), lazy=True).getBestCmap() or ())
        small = _working_copy(path, data, _REPERTOIRE)
    except Exception as e:
        raise SigningError(detail=f"The stamp font {path} cannot be prepared ({e}).") from e
    return _StampFont(path=path, data=data, codepoints=codepoints, small=small)
