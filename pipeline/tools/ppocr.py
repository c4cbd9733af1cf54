"""A second OCR engine for short cut-outs: the PP-OCRv4 text recogniser (PaddleOCR's model,
shipped inside the rapidocr-onnxruntime wheel, run by ONNX Runtime).

Tesseract reads print well and numbers written by hand badly: a ballpoint "195" after
"Số:" came out as "/93", "118" as "]1lạ", "9" as "?". This recogniser, trained on far more
varied lines, reads such cut-outs better: on 11 cut from the tuning batches' photos it read
6 right; Tesseract with a digits-only whitelist, 1 (sohoa's model) or 3 (`eng`). It costs
20-30 ms a word on one core, so only unsure words go to it (pipeline.scan.ocr.recheck_digits),
where it is also the independent second reading of the number: two engines that agree are
worth more than one engine twice. Only recognition is used (no detection): sohoa gives it
word boxes.

One session per process, created on first use; ONNX Runtime's `run` is thread-safe. One
thread per session: pages are already worked on in parallel.
"""
from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.errors import ToolMissing

_lock = threading.Lock()
_recogniser = None


def read_words(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """(text, score 0-1) of each grey or colour cut-out holding one word or a short line."""
    if not crops:
        return []
    images = [cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) if c.ndim == 2 else c for c in crops]
    readings, _ = _engine()(images)
    return [(str(text), float(score)) for text, score in readings]


def probe() -> str:
    """Check at start-up that the recogniser loads; its model's name."""
    _engine()
    return Path(_model_path()).stem


def _model_path() -> str:
    try:
        import rapidocr_onnxruntime
    except ImportError as exc:
        raise ToolMissing("Máy chủ chưa cài bộ nhận dạng chữ số viết tay (rapidocr-onnxruntime).",
                          "ppocr_missing", detail=str(exc)) from None
    return str(Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx")


def _engine():  # -> rapidocr_onnxruntime.ch_ppocr_rec.TextRecognizer
    global _recogniser
    with _lock:
        if _recogniser is None:
            model = _model_path()
            if not Path(model).is_file():
                raise ToolMissing("Máy chủ thiếu mô hình nhận dạng chữ số viết tay.",
                                  "ppocr_model_missing", detail=f"{model} not found")
            from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer

            _recogniser = TextRecognizer({
                "model_path": model, "use_cuda": False, "use_dml": False,
                "intra_op_num_threads": 1, "inter_op_num_threads": 1,
                "rec_img_shape": [3, 48, 320], "rec_batch_num": 6})
        return _recogniser
