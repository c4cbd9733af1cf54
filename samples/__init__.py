"""Synthetic scans of the seven document types, with ground truth (sohoa-samples).

Used by the tests, the benchmarks and the accuracy evaluation; nothing is downloaded.
`generate_batch` writes a batch folder plus truth.json; `render_document` gives one clean
document; `degrade` damages a page like a real scan.
"""

from .render import DOCUMENT_TYPES, FIELD_KEYS, RenderedDocument, render_document

__all__ = ["DOCUMENT_TYPES", "FIELD_KEYS", "RenderedDocument", "render_document"]
