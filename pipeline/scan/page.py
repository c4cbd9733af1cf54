"""One page, from the scan file to its OCR reading and archive image: load, orient,
deskew, OCR, encode. The stage graph stores what this returns; bench/cer_probe.py
measures it alone."""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.model import Limits, OcrOptions, PageResult
from pipeline.scan import ocr, orient, photo, prepare
from pipeline.scan.archive_image import encode_page_image
from pipeline.scan.load import LoadedPage, load_page

log = logging.getLogger(__name__)


@dataclass
class _View:
    """The page turned one way, as the archive keeps it."""

    rotation: int
    skew_deg: float
    jpeg: bytes
    width: int
    height: int
    colour: bool
    dpi: float


def read_page(source: Path, kind: str, index: int, limits: Limits, options: OcrOptions,
              decode_permit: AbstractContextManager = nullcontext(),  # noqa: B008 (stateless)
              archive_image_made: Callable[[bytes], object] | None = None,
              ) -> tuple[PageResult, bytes]:
    """The page's record and its archive JPEG. `decode_permit` is held while the page is
    decoded at full resolution and cleaned for OCR (~100 MB for a 300-dpi colour page, for
    a fraction of a second); Tesseract, the long part, runs outside it.

    `archive_image_made` is given the archive JPEG as soon as it is made, before OCR, so
    the caller can store it meanwhile. It is almost always the one returned; when OCR shows
    the page was turned wrong (rare), another is made and returned, and the first is unused."""
    with decode_permit:
        loaded = _load(source, kind, index, limits)
        found = orient.detect(loaded.pixels, osd=lambda grey: ocr.osd_rotation(grey, options))
        view, ocr_input = _view(loaded, found.rotation, found.skew_deg)
    if archive_image_made is not None:
        archive_image_made(view.jpeg)
    read, turned_over = ocr.read_upright(ocr_input, options)
    del ocr_input
    rotation = (view.rotation + 180) % 360 if turned_over else view.rotation
    other = ocr.other_turn(read, rotation)
    if other is not None:  # rare: OCR says orient was fooled; read the page that way too
        log.info("%s page %d: read at %d° (confidence %.1f) against OCR's evidence; reading "
                 "it at %d° too", source.name, index + 1, rotation, read.confidence, other)
        with decode_permit:
            again = _load(source, kind, index, limits)
            skew = orient.detect(again.pixels, quarter=other).skew_deg
            alternative, ocr_input = _view(again, other, skew)
        second, second_over = ocr.read_upright(ocr_input, options)
        del ocr_input
        if ocr.reads_better(second, read):
            read, view, turned_over = second, alternative, second_over
            rotation = (view.rotation + 180) % 360 if turned_over else view.rotation
    jpeg = view.jpeg
    if turned_over:  # rare: the archive image is turned too, from a fresh decode
        with decode_permit:
            again = _load(source, kind, index, limits)
            jpeg = encode_page_image(orient.turn(again.pixels, rotation))
    record = PageResult(index=index, rotation=rotation, skew_deg=view.skew_deg,
                        width=view.width, height=view.height, dpi=view.dpi,
                        ocr_confidence=read.confidence, words=read.words, text=read.text,
                        colour=view.colour)
    return record, jpeg


def _load(source: Path, kind: str, index: int, limits: Limits) -> LoadedPage:
    """The page decoded; a photo's page found in it, rectified and evenly lit."""
    return photo.as_scan(load_page(source, kind, index, limits))


def _view(loaded: LoadedPage, rotation: int, skew_deg: float) -> tuple[_View, prepare.OcrImage]:
    """The page turned by `rotation`: its archive JPEG (the scan's own pixels, only turned;
    the PDF draws it deskewed) and the cleaned copy Tesseract reads (seals painted out,
    deskewed, leaders erased, ...). Frees `loaded.pixels` as soon as it can."""
    turned = orient.turn(loaded.pixels, rotation)
    height, width, colour = turned.shape[0], turned.shape[1], turned.ndim == 3
    jpeg = encode_page_image(turned)  # kept once the page's way up is sure
    del loaded.pixels
    grey = prepare.ocr_grey(turned, loaded.dpi)
    del turned  # the colour page is three times the grey one: gone before the big steps
    ocr_input = prepare.prepare(grey, skew_deg, loaded.dpi, enlarge=loaded.photo)
    del grey  # only the (smaller) OCR copy stays alive while Tesseract runs
    return _View(rotation, skew_deg, jpeg, width, height, colour, loaded.dpi), ocr_input
