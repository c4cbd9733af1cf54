"""A generated batch through the real command: every document ends as a valid PDF/A with a
text layer, a signature pyHanko and pdfsig accept, and a result.json of the contract."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import jsonschema
import pikepdf
import pikepdf.pdfa
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

import schemas
from samples.accuracy import char_errors
from tests.conftest import SOHOA, read_results


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    from samples.generate import generate_batch
    batch = tmp_path_factory.mktemp("e2e") / "batch"
    generate_batch(batch, per_type=1, seed=4)
    return batch


@pytest.fixture(scope="module")
def truth(batch) -> dict[str, dict]:
    return {d["source"]: d for d in json.loads((batch / "truth.json").read_text("utf-8"))["documents"]}


@pytest.fixture(scope="module")
def processed(batch, run_sohoa):
    out = batch.parent / "out"
    proc = run_sohoa("process", batch, "--out", out)
    return proc, out, read_results(out)


def test_every_document_is_digitized(processed, truth):
    proc, _, results = processed
    assert proc.returncode == 0, proc.stderr
    assert set(results) == set(truth)
    schema = schemas.load("result")
    for result in results.values():
        jsonschema.validate(result, schema)
        assert result["status"] in ("done", "needs_review")
        assert result["document_type"] == truth[result["source"]]["document_type"], result["source"]


def test_fields_are_read_and_checked(processed, truth):
    """Fields keep to their type's schema, and most are read exactly (a regression guard;
    `sohoa eval` measures accuracy on larger batches)."""
    from pipeline.understand.doctypes import load_types
    from samples.accuracy import compare_fields

    _, _, results = processed
    right = total = 0
    for source, result in results.items():
        doc_type = load_types()[result["document_type"]]
        assert set(result["fields"]) <= set(doc_type.schema["properties"]), source
        compared = compare_fields(truth[source]["fields"], result["fields"], result["document_type"])
        right += sum(compared.values())
        total += len(compared)
        if result["validation"]["errors"]:
            assert result["status"] == "needs_review"
    assert right / total >= 0.85, f"only {right}/{total} fields read exactly"


def test_pages_are_turned_upright_and_deskewed(processed, truth):
    _, _, results = processed
    for source, result in results.items():
        expected = truth[source]["pages"]
        assert len(result["pages"]) == len(expected)
        for got, want in zip(result["pages"], expected):
            assert got["rotation"] == want["rotation"], source
            assert abs(got["skew_deg"] - want["skew_deg"]) <= 0.2, source


def test_ocr_text_matches_the_printed_text(processed, truth):
    _, _, results = processed
    errors = length = 0
    for source, result in results.items():
        for page, text in zip(truth[source]["pages"], result["text"].split("\f")):
            if not page["degraded"]:
                d, n = char_errors(page["text"], text)
                errors, length = errors + d, length + n
    assert length > 1000
    assert errors / length < 0.06  # a regression guard; bench/run.py reports the figure


def test_pdfa_is_valid_and_searchable(processed):
    _, out, results = processed
    for result in results.values():
        pdfa_path = out / result["artifacts"]["pdfa"]
        report = pikepdf.pdfa.validate_written(pdfa_path, "2b")
        assert report.passed, report.summary
        with pikepdf.open(pdfa_path) as pdf:
            assert len(pdf.pages) == len(result["pages"])
            assert "/OutputIntents" in pdf.Root
            image = next(iter(pdf.pages[0].get_images().values()))
            assert image.ColorSpace == "/DeviceRGB" and image.BitsPerComponent == 8
        first_line = next(line for line in result["text"].splitlines() if len(line) > 12)
        extracted = subprocess.run(["pdftotext", str(pdfa_path), "-"], capture_output=True,
                                   text=True, check=True).stdout
        assert first_line.split()[0] in extracted


def test_signed_copy_verifies_with_pyhanko_and_pdfsig(processed):
    _, out, results = processed
    for result in results.values():
        signed = out / result["artifacts"]["signed"]
        assert signed.name == f"{result['document_id']}.pdf"
        with signed.open("rb") as fh:
            status = validate_pdf_signature(PdfFileReader(fh).embedded_signatures[0])
        assert status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"
        report = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in report and "Total document signed" in report
        pdfa_bytes = (out / result["artifacts"]["pdfa"]).read_bytes()
        assert signed.read_bytes().startswith(pdfa_bytes)  # signed last, incrementally


def test_rerun_skips_everything(processed, batch, run_sohoa):
    _, out, _ = processed
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = run_sohoa("process", batch, "--out", out)
    assert again.returncode == 0
    assert "đã xong từ lần chạy trước" in again.stderr
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_killed_run_resumes_without_loss(batch, sohoa_env, run_sohoa, truth):
    out = batch.parent / "out-killed"
    proc = subprocess.Popen([SOHOA, "process", str(batch), "--out", str(out)], env=sohoa_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list(out.rglob("*.result.json")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole tree, as a power cut would
    proc.wait()
    partial = read_results(out)
    assert len(partial) < len(truth)
    resumed = run_sohoa("process", batch, "--out", out)
    assert resumed.returncode == 0, resumed.stderr
    results = read_results(out)
    assert set(results) == set(truth)
    assert len({r["document_id"] for r in results.values()}) == len(results)
    for source, result in partial.items():
        assert results[source]["sha256"] == result["sha256"]


def test_ctrl_c_stops_soon_and_says_how_to_go_on(batch, sohoa_env):
    out = batch.parent / "out-interrupted"
    proc = subprocess.Popen([SOHOA, "process", str(batch), "--out", str(out)], env=sohoa_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / ".sohoa").rglob("pages/*/*.json")):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)  # pages already started finish; no new ones
    assert proc.returncode == 130
    assert "chạy lại đúng lệnh này" in stderr
    # nothing half-written left behind: result.json temporaries, object-store temporaries
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp-")]
