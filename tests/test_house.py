"""The house rules: one error tree, typed results checked against their schema, one
configuration, wrappers over external programs with a start-up probe."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys

import cv2
import numpy as np
import pytesseract
import pytest

from pipeline.core import errors
from pipeline.core.errors import (
    ConfigurationError,
    InternalError,
    OcrError,
    SohoaError,
    ToolMissing,
)
from pipeline.core.model import OcrOptions, PageResult
from pipeline.core.result import DocumentResult, document_result, failed_result
from pipeline.core.settings import load_settings
from pipeline.scan import ocr
from pipeline.tools import tesseract
from pipeline.tools.probe import probe_tools
from storage.transient import is_transient

SHA = "a" * 64


def test_every_error_class_is_in_the_tree_and_survives_pickling():
    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, Exception)]
    assert len(classes) >= 10 and all(issubclass(c, SohoaError) for c in classes)
    for cls in classes:
        sent = cls("Một câu tiếng Việt.", "some_code", detail="English detail")
        back = pickle.loads(pickle.dumps(sent))
        assert type(back) is cls
        assert (back.message, back.code, back.detail) == ("Một câu tiếng Việt.", "some_code",
                                                          "English detail")
        assert str(back) == "English detail"
        default = cls()
        assert default.message == cls.default_message and default.code == cls.default_code


def test_a_missing_language_model_is_named_not_a_timeout():
    grey = np.full((60, 200), 255, np.uint8)
    with pytest.raises(ToolMissing) as caught:
        ocr._tesseract(grey, 300, OcrOptions(language="khongco"), psm=6)
    assert caught.value.code == "ocr_model_missing"
    assert "khongco" in caught.value.message and "thời gian" not in caught.value.message


def test_a_missing_tesseract_is_a_configuration_error_celery_does_not_retry(monkeypatch, tmp_path):
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    image = tmp_path / "page.png"
    cv2.imwrite(str(image), np.full((60, 200), 255, np.uint8))
    with pytest.raises(ToolMissing) as caught:
        tesseract.image_to_osd(str(image), OcrOptions())
    assert caught.value.code == "tesseract_missing"
    assert isinstance(caught.value, ConfigurationError)
    assert not is_transient(caught.value)  # a retry would not install Tesseract
    with pytest.raises(ToolMissing):
        probe_tools(OcrOptions())


def test_a_tesseract_timeout_is_that_pages_ocr_error():
    error = tesseract._error(RuntimeError("Tesseract process timeout"), "Vietnamese")
    assert isinstance(error, OcrError) and error.code == "ocr_timeout"
    assert "quá thời gian" in error.message


def test_a_page_past_its_ocr_deadline_is_cancelled_by_tesseract():
    """A real page and a real deadline (1 ms): Tesseract itself cancels the recognition."""
    page = np.full((1200, 1600), 255, np.uint8)
    for row in range(40):
        cv2.putText(page, "NGUYEN VAN AN 0123456789 " * 3, (20, 30 + 29 * row),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1)
    with pytest.raises(OcrError) as caught:
        tesseract.image_to_data(page, OcrOptions(timeout_s=0.001), psm=3, dpi=300)
    assert caught.value.code == "ocr_timeout"
    assert tesseract.image_to_data(page, OcrOptions(), psm=3, dpi=300)["text"]  # engine reusable


def test_probe_finds_the_installed_programs_and_refuses_an_absent_model():
    found = probe_tools(OcrOptions())
    assert found["tesseract"].startswith(("4.", "5.")) and found["pdftoppm"]
    assert found["ppocr"] == "ch_PP-OCRv4_rec_infer"
    with pytest.raises(ToolMissing, match="khongco"):
        probe_tools(OcrOptions(language="khongco"))


def test_process_stops_before_work_when_the_model_is_missing(run_sohoa, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    run = run_sohoa("process", batch, "--out", tmp_path / "out",
                    env={"SOHOA_OCR_LANGUAGE": "khongco"})
    assert run.returncode == 2, run.stderr
    assert "khongco" in run.stderr and not (tmp_path / "out").exists()


def test_a_bad_setting_names_its_variable(monkeypatch):
    monkeypatch.setenv("SOHOA_SIGNING_LEVEL", "B-XYZ")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "SOHOA_SIGNING_LEVEL" in caught.value.message


def test_importing_the_pipeline_leaves_pillows_bomb_guard_and_openmp_alone():
    code = ("import os, PIL.Image as I; d = I.MAX_IMAGE_PIXELS; "
            "import pipeline.scan.load, pipeline.scan.ocr, workers.graph, cli.main; "
            "print(I.MAX_IMAGE_PIXELS == d and d is not None, 'OMP_THREAD_LIMIT' in os.environ)")
    env = {k: v for k, v in __import__("os").environ.items() if k != "OMP_THREAD_LIMIT"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out == ["True", "False"]


def _page(**kw) -> PageResult:
    base = dict(index=0, rotation=90, skew_deg=-2.345, width=100, height=100, dpi=300,
                ocr_confidence=91.5, words=[], text="xin chào")
    return PageResult(**{**base, **kw})


def test_result_json_keeps_the_contracts_key_order_and_round_trips():
    result = document_result(dossier_id="H00-261203-0001", document_id="H00-261203-0001.1",
                             source="a/b.png", pages=[_page()],
                             sha256={"original": SHA, "pdfa": SHA, "signed": SHA},
                             artifacts={"pdfa": "x.unsigned.pdf", "signed": "x.pdf"},
                             document_type="giay_khai_sinh", fields={"ho_ten": "AN", "nam": 1992},
                             errors=[])
    text = result.to_json()
    data = json.loads(text)
    assert list(data) == ["dossier_id", "document_id", "source", "status", "document_type",
                          "fields", "validation", "pages", "text", "sha256", "artifacts"]
    assert data["status"] == "needs_review"  # the page has no words
    assert data["pages"] == [{"index": 0, "rotation": 90, "skew_deg": -2.35,
                              "ocr_confidence": 91.5}]
    assert DocumentResult.from_json(text) == result
    failed = json.loads(failed_result(dossier_id="d", document_id="d.1", source="s",
                                      error="Tệp hỏng.").to_json())
    assert list(failed)[:5] == ["dossier_id", "document_id", "source", "status", "error"]


def test_a_result_that_breaks_the_schema_is_refused_when_written():
    bad = failed_result(dossier_id="d", document_id="d.1", source="s", error="Tệp hỏng.",
                        sha256={"original": "not-a-sha"})
    with pytest.raises(InternalError, match="sha256"):
        bad.to_json()
