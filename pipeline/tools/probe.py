"""The start-up probe of the commands that process pages: every external program and model
they will need, checked before the first document, so a missing one stops the run with one
sentence instead of failing every page."""
from __future__ import annotations

from pipeline.core.model import OcrOptions
from pipeline.tools import poppler, ppocr, tesseract


def probe_tools(ocr: OcrOptions) -> dict[str, str]:
    """{program: version}; raises ToolMissing for the first one that is not usable."""
    info = tesseract.probe(ocr)
    return {"tesseract": info.version, "pdftoppm": poppler.probe(), "ppocr": ppocr.probe()}
