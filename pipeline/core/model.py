"""The small typed data model the stages pass between them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Guards against hostile or absurd input; every value is configurable."""

    max_file_bytes: int = 2 * 1024**3
    max_pages: int = 500
    # An A3 page at 600 dpi is ~70 MP; anything far beyond is a bomb, not a scan.
    max_page_pixels: int = 120_000_000
    min_page_pixels: int = 64 * 64


@dataclass(frozen=True)
class OcrOptions:
    language: str = "Vietnamese"
    tessdata_dir: str | None = None
    psm: int = 3
    timeout_s: float = 60  # per Tesseract call: a page's recognition, orientation detection


@dataclass(frozen=True)
class Word:
    """One OCR word; the box is in pixels of the corrected (upright, deskewed) page."""

    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    line: int  # running line number on the page, for layout and the text layer


@dataclass
class PageResult:
    """What the per-page stages learned about one page."""

    index: int
    rotation: int  # clockwise turn undone: 0/90/180/270
    skew_deg: float  # residual angle undone after it, counter-clockwise positive
    width: int  # corrected image size in pixels
    height: int
    dpi: float
    ocr_confidence: float
    words: list[Word] = field(default_factory=list)
    text: str = ""
    colour: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageResult:
        words = [Word(**w) for w in data.get("words", [])]
        return cls(**{**data, "words": words})
