"""Tesseract, through pytesseract: word boxes (TSV) and orientation (OSD) of an image file.

Errors become the tree's: a timeout or an engine failure on a page is that page's
OcrError; a missing binary or language model is ToolMissing (the operator must install
it; retrying cannot help, so it is not an OSError a task queue would retry).
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytesseract

from pipeline.core.errors import OcrError, ToolMissing
from pipeline.core.model import OcrOptions

MIN_VERSION = (4, 1)  # LSTM models and TSV output with confidences
_MODEL_MISSING = re.compile(r"Failed loading language|Error opening data file")
_TIMEOUT = "Tesseract process timeout"  # pytesseract's RuntimeError for a timeout


@dataclass(frozen=True)
class TesseractInfo:
    version: str
    languages: tuple[str, ...]


def image_to_data(image_path: str, options: OcrOptions, *, psm: int, dpi: float) -> dict:
    """Tesseract's TSV of one image file as pytesseract's dict of columns."""
    config = f"--psm {psm} --dpi {round(dpi)}"
    if options.tessdata_dir:
        config += f' --tessdata-dir "{options.tessdata_dir}"'
    try:
        return pytesseract.image_to_data(image_path, lang=options.language, config=config,
                                         output_type=pytesseract.Output.DICT,
                                         timeout=options.timeout_s)
    except Exception as exc:
        raise _error(exc, options) from exc


def image_to_osd(image_path: str, timeout_s: int = 60) -> dict:
    """Tesseract's orientation and script detection of one image file."""
    try:
        return pytesseract.image_to_osd(image_path, config="--psm 0",
                                        output_type=pytesseract.Output.DICT, timeout=timeout_s)
    except Exception as exc:
        raise _error(exc, None) from exc


def _error(exc: Exception, options: OcrOptions | None) -> Exception:
    # TesseractError is a RuntimeError too, and TesseractNotFoundError an OSError: test
    # the specific kinds first, or a missing model reads as a timeout.
    if isinstance(exc, pytesseract.TesseractNotFoundError):
        return ToolMissing("Máy chủ chưa cài phần mềm nhận dạng chữ Tesseract.",
                           "tesseract_missing", detail=str(exc))
    if isinstance(exc, pytesseract.TesseractError):
        if _MODEL_MISSING.search(str(exc.message)) and options is not None:
            return ToolMissing(f"Máy chủ chưa cài mô hình ngôn ngữ '{options.language}' của "
                               "Tesseract.", "ocr_model_missing", detail=str(exc.message))
        return OcrError(detail=f"Tesseract failed: {exc.message}")
    if isinstance(exc, RuntimeError) and str(exc) == _TIMEOUT:
        return OcrError("Nhận dạng chữ (OCR) quá thời gian cho phép.", "ocr_timeout",
                        detail=str(exc))
    return exc


def probe(options: OcrOptions) -> TesseractInfo:
    """Check at start-up that Tesseract runs, is recent enough and has the model."""
    try:
        version = pytesseract.get_tesseract_version()
        languages = _languages(options.tessdata_dir)
    except (pytesseract.TesseractNotFoundError, OSError, subprocess.SubprocessError) as exc:
        raise ToolMissing("Máy chủ chưa cài phần mềm nhận dạng chữ Tesseract.",
                          "tesseract_missing", detail=str(exc)) from None
    if (version.major, version.minor) < MIN_VERSION:
        raise ToolMissing(f"Tesseract {version} quá cũ; cần bản 4.1 trở lên.",
                          "tesseract_too_old", detail=f"Tesseract {version} < 4.1")
    if options.language not in languages:
        raise ToolMissing(f"Máy chủ chưa cài mô hình ngôn ngữ '{options.language}' của "
                          "Tesseract.", "ocr_model_missing",
                          detail=f"{options.language} not in {', '.join(languages)}")
    return TesseractInfo(str(version), languages)


def _languages(tessdata_dir: str | None) -> tuple[str, ...]:
    # pytesseract.get_languages drops capitalised names such as the script model
    # "Vietnamese"; the listing itself is one name a line after a heading.
    command = [pytesseract.pytesseract.tesseract_cmd, "--list-langs"]
    if tessdata_dir:
        command[1:1] = ["--tessdata-dir", tessdata_dir]
    listing = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    return tuple(line.strip() for line in listing.stdout.splitlines()[1:] if line.strip())
