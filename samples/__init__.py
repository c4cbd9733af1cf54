"""Synthetic scans of the seven document types, with ground truth (sohoa-samples).

Used by the tests, the benchmarks and the accuracy evaluation; nothing is downloaded.
`generate_batch` writes a batch folder plus truth.json; `render_document` gives one clean
document; `degrade` damages a page like a real scan.
"""

from .degrade import choose_effects, choose_geometry, degrade
from .generate import generate_batch
from .render import DOCUMENT_TYPES, FIELD_KEYS, RenderedDocument, page_size_px, render_document

__all__ = ["DOCUMENT_TYPES", "FIELD_KEYS", "RenderedDocument", "choose_effects", "choose_geometry",
           "degrade", "generate_batch", "page_size_px", "render_document"]
