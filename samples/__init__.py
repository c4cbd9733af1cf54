"""Synthetic scans of the seven document types, with ground truth (sohoa-samples).

Used by the tests, the benchmarks and the accuracy evaluation; nothing is downloaded.
`samples.generate.generate_batch` writes a batch folder plus truth.json;
`samples.render.render_document` gives one clean document; `samples.degrade.degrade`
damages a page like a real scan; `samples.accuracy` scores an output folder against a
batch's truth.json (`sohoa eval`).
"""

from .render import DOCUMENT_TYPES, FIELD_KEYS, RenderedDocument, page_size_px, render_document

__all__ = ["DOCUMENT_TYPES", "FIELD_KEYS", "RenderedDocument", "generate_batch", "page_size_px",
           "render_document"]


def __getattr__(name: str):
    # lazy, so that `python -m samples.generate` does not import the module twice
    if name == "generate_batch":
        from .generate import generate_batch
        return generate_batch
    raise AttributeError(f"module 'samples' has no attribute {name!r}")
