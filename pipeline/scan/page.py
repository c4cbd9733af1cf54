"""One page, from the scan file to its OCR reading and archive image: load, orient,
deskew, OCR, encode. The stage graph stores what this returns; bench/cer_probe.py
measures it alone."""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from pipeline.core.model import Limits, OcrOptions, PageResult
from pipeline.scan import ocr, orient, prepare as ocr_image
from pipeline.scan.archive_image import encode_page_image
from pipeline.scan.load import load_page


def read_page(source: Path, kind: str, index: int, limits: Limits, options: OcrOptions,
              decode_permit: AbstractContextManager = nullcontext(),  # noqa: B008 (stateless)
              ) -> tuple[PageResult, bytes]:
    """The page's record and its archive JPEG. `decode_permit` is held while the page is
    decoded at full resolution and cleaned for OCR (~100 MB for a 300-dpi colour page, for
    a fraction of a second); Tesseract, the long part, runs outside it."""
    with decode_permit:
        loaded = load_page(source, kind, index, limits)
        found = orient.detect(loaded.pixels, osd=lambda grey: ocr.osd_rotation(grey, options))
        # The archive keeps the scan's own pixels, only turned; the PDF draws it deskewed.
        turned = orient.turn(loaded.pixels, found.rotation)
        height, width, colour = turned.shape[0], turned.shape[1], turned.ndim == 3
        jpeg = encode_page_image(turned)  # kept once the page's way up is sure
        del loaded.pixels
        # Tesseract reads a cleaned copy: seals painted out, deskewed, leaders erased, ...
        grey = ocr_image.ocr_grey(turned, dpi := loaded.dpi)
        del turned  # the colour page is three times the grey one: gone before the big steps
        ocr_input = ocr_image.prepare(grey, found.skew_deg, dpi)
        del grey  # only the (smaller) OCR copy stays alive while Tesseract runs
    read, turned_over = ocr.read_upright(ocr_input, options)
    del ocr_input
    rotation = found.rotation
    if turned_over:  # rare: the archive image is turned too, from a fresh decode
        rotation = (rotation + 180) % 360
        with decode_permit:
            again = load_page(source, kind, index, limits)
            jpeg = encode_page_image(orient.turn(again.pixels, rotation))
    record = PageResult(index=index, rotation=rotation, skew_deg=found.skew_deg,
                        width=width, height=height, dpi=dpi, ocr_confidence=read.confidence,
                        words=read.words, text=read.text, colour=colour)
    return record, jpeg
