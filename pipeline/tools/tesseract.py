"""Tesseract: word boxes of a page (in process, tesserocr) and orientation (the CLI, OSD).

Word boxes come from libtesseract loaded once per thread (tesserocr) instead of a
`tesseract` process per call: starting the process and loading the model cost about a
third of a page's OCR (0.74 s by the CLI, 0.50 s in process, on the same 300-dpi page,
same words). Each thread keeps its own engine: an engine is not thread-safe. A page's
recognition is cancelled after OcrOptions.timeout_s (Tesseract's own deadline, checked
while it recognises), so one pathological page cannot hold a worker.

Errors become the tree's: an engine failure on a page is that page's OcrError; a missing
binary, library or language model is ToolMissing (the operator must install it; retrying
cannot help, so it is not an OSError a task queue would retry).
"""
from __future__ import annotations

import functools
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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


_TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left",
                "top", "width", "height", "conf", "text")
_engines = threading.local()


def image_to_data(grey: np.ndarray, options: OcrOptions, *, psm: int, dpi: float) -> dict:
    """Tesseract's TSV of a grey page as a dict of columns (pytesseract's Output.DICT)."""
    from PIL import Image

    engine = _engine(options, psm)
    try:
        engine.SetImage(Image.fromarray(grey))
        engine.SetSourceResolution(round(dpi))
        if not engine.Recognize(timeout=max(1, round(options.timeout_s * 1000))):
            raise _timed_out(f"recognition cancelled after {options.timeout_s} s")
        tsv = engine.GetTSVText(0)
    except RuntimeError as exc:
        raise OcrError(detail=f"Tesseract failed: {exc}") from exc
    finally:
        engine.Clear()
    columns: dict[str, list] = {name: [] for name in _TSV_COLUMNS}
    for row in tsv.splitlines():
        cells = row.split("\t", len(_TSV_COLUMNS) - 1)
        if len(cells) < len(_TSV_COLUMNS) - 1:
            continue
        cells += [""] * (len(_TSV_COLUMNS) - len(cells))
        for name, cell in zip(_TSV_COLUMNS, cells):
            columns[name].append(cell if name == "text" else float(cell) if name == "conf"
                                 else int(cell))
    return columns


def _engine(options: OcrOptions, psm: int):  # -> tesserocr.PyTessBaseAPI
    """This thread's engine for the model, loaded on first use and kept."""
    import tesserocr

    engines = _engines.__dict__.setdefault("by_model", {})
    key = (options.language, options.tessdata_dir)
    if key not in engines:
        try:
            engines[key] = tesserocr.PyTessBaseAPI(path=_tessdata(options), lang=options.language)
        except RuntimeError as exc:
            raise ToolMissing(f"Máy chủ chưa cài mô hình ngôn ngữ '{options.language}' của "
                              "Tesseract.", "ocr_model_missing", detail=str(exc)) from None
    engine = engines[key]
    engine.SetPageSegMode(psm)
    return engine


def _tessdata(options: OcrOptions) -> str:
    """The models' folder: the configured one, else the one the installed Tesseract uses."""
    if options.tessdata_dir:
        return options.tessdata_dir.rstrip("/") + "/"
    return _default_tessdata()


# Where Debian's packages put the models, for a Tesseract whose listing names no folder (4.x).
_DEBIAN_TESSDATA = ("/usr/share/tesseract-ocr/5/tessdata/", "/usr/share/tesseract-ocr/4.00/tessdata/")


@functools.cache
def _default_tessdata() -> str:
    try:
        listing = subprocess.run([pytesseract.pytesseract.tesseract_cmd, "--list-langs"],
                                 capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:  # no binary: nothing to retry
        raise ToolMissing("Máy chủ chưa cài phần mềm nhận dạng chữ Tesseract.",
                          "tesseract_missing", detail=str(exc)) from None
    found = re.search(r'"(.+?)"', listing.stdout)
    if found:
        return found.group(1).rstrip("/") + "/"
    folder = next((d for d in _DEBIAN_TESSDATA if Path(d).is_dir()), None)
    if listing.returncode != 0 or folder is None:
        raise ToolMissing("Máy chủ chưa cài phần mềm nhận dạng chữ Tesseract.",
                          "tesseract_missing", detail=listing.stderr.strip())
    return folder


def image_to_osd(image_path: str, options: OcrOptions) -> dict:
    """Tesseract's orientation and script detection of one image file (the `tesseract`
    program, with the configured models' folder)."""
    config = "--psm 0"
    if options.tessdata_dir:
        config += f' --tessdata-dir "{options.tessdata_dir}"'
    try:
        return pytesseract.image_to_osd(image_path, config=config,
                                        output_type=pytesseract.Output.DICT,
                                        timeout=options.timeout_s)
    except Exception as exc:
        raise _error(exc, "osd") from exc


def _error(exc: Exception, model: str) -> Exception:
    # TesseractError is a RuntimeError too, and TesseractNotFoundError an OSError: test
    # the specific kinds first, or a missing model reads as a timeout.
    if isinstance(exc, pytesseract.TesseractNotFoundError):
        return ToolMissing("Máy chủ chưa cài phần mềm nhận dạng chữ Tesseract.",
                           "tesseract_missing", detail=str(exc))
    if isinstance(exc, pytesseract.TesseractError):
        if _MODEL_MISSING.search(str(exc.message)):
            return ToolMissing(f"Máy chủ chưa cài mô hình ngôn ngữ '{model}' của "
                               "Tesseract.", "ocr_model_missing", detail=str(exc.message))
        return OcrError(detail=f"Tesseract failed: {exc.message}")
    if isinstance(exc, RuntimeError) and str(exc) == _TIMEOUT:
        return _timed_out(str(exc))
    return exc


def _timed_out(detail: str) -> OcrError:
    return OcrError("Nhận dạng chữ (OCR) quá thời gian cho phép.", "ocr_timeout", detail=detail)


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
    if options.language in languages:
        import tesserocr

        # the library and the model load in process too (a throwaway engine: the page
        # threads keep their own)
        with tesserocr.PyTessBaseAPI(path=_tessdata(options), lang=options.language):
            pass
    else:
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
