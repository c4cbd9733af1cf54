"""poppler's pdftoppm, through pdf2image: one page of a PDF rendered to pixels."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from PIL import Image

from pipeline.core.errors import InputError, ToolMissing

RENDER_TIMEOUT_S = 180


def render_page(path: Path, index: int, dpi: float) -> Image.Image:
    """Page `index` (0-based) of the PDF at `dpi`; InputError if poppler cannot draw it."""
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

    try:
        images = convert_from_path(path, dpi=dpi, first_page=index + 1, last_page=index + 1,
                                   thread_count=1, timeout=RENDER_TIMEOUT_S)
    except PDFInfoNotInstalledError as exc:
        raise _missing(str(exc)) from exc
    except (PDFPageCountError, PDFSyntaxError, OSError, ValueError) as exc:
        raise InputError(f"Không dựng được trang {index + 1} của tệp PDF (tệp bị hỏng).",
                         "corrupt_pdf", detail=str(exc)) from exc
    if not images:
        raise InputError(f"Trang {index + 1} của tệp PDF trống.", "corrupt_pdf")
    return images[0]


def probe() -> str:
    """pdftoppm's version; ToolMissing if poppler-utils is not installed."""
    binary = shutil.which("pdftoppm")
    if binary is None:
        raise _missing("pdftoppm not on PATH")
    run = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=30)
    found = re.search(r"version (\S+)", run.stderr + run.stdout)
    if found is None:
        raise _missing(f"pdftoppm -v said {run.stderr.strip()!r}")
    return found.group(1)


def _missing(detail: str) -> ToolMissing:
    return ToolMissing("Máy chủ chưa cài poppler-utils (pdftoppm) để đọc tệp PDF.",
                       "pdftoppm_missing", detail=detail)
