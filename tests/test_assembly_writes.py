"""The assembly stores while it works: a network store's answer takes milliseconds (tens
of them across a data centre), so the evidence is stored while the PDF/A is built and the
PDF/A while it is signed, and the result naming them is stored only after both.

Run in process on the local store, whose writes are held back until the work they should
overlap has been done: a slow network cannot be made to order (a fake delay, said here)."""
from __future__ import annotations

import json
import threading

import pytest

from pipeline.core.settings import Settings
from storage.objects import LocalObjectStore
from tests.batches import make_batch
from workers import graph, runner

WAIT_S = 2  # a sequential assembly would wait this long, then fail the test


@pytest.fixture
def one_document(tmp_path, monkeypatch, sohoa_home):
    monkeypatch.setenv("SOHOA_HOME", str(sohoa_home))
    make_batch(tmp_path / "batch", documents=1)
    return tmp_path / "batch"


def test_evidence_and_pdfa_are_stored_while_the_assembly_works(one_document, tmp_path,
                                                               monkeypatch):
    built, pdfa_storing = threading.Event(), threading.Event()
    seen: dict[str, object] = {}
    real_build, real_sign = graph.build_pdfa, graph.sign
    real_put, real_put_named = LocalObjectStore.put, LocalObjectStore.put_named

    def build_pdfa(*args):
        document = real_build(*args)
        seen["pdfa"] = document
        built.set()
        return document

    def sign(ctx, document, now):
        seen["pdfa stored while signing"] = pdfa_storing.wait(WAIT_S)
        return real_sign(ctx, document, now)

    def put(self, data):
        if data == seen.get("pdfa"):
            pdfa_storing.set()
        return real_put(self, data)

    def put_named(self, name, data):
        if name.endswith(".evidence.json"):
            seen["evidence stored while building"] = built.wait(WAIT_S)
        if name.startswith("documents/") and not name.endswith(".evidence.json"):
            seen["objects stored before the result"] = all(
                self.exists(k) for k in json.loads(data)["sha256"].values())
        return real_put_named(self, name, data)

    monkeypatch.setattr(graph, "build_pdfa", build_pdfa)
    monkeypatch.setattr(graph, "sign", sign)
    monkeypatch.setattr(LocalObjectStore, "put", put)
    monkeypatch.setattr(LocalObjectStore, "put_named", put_named)
    [summary] = runner.run_batch(one_document, tmp_path / "out", Settings(concurrency=1))
    assert summary.status != "failed", summary.error
    assert seen["evidence stored while building"] is True
    assert seen["pdfa stored while signing"] is True
    assert seen["objects stored before the result"] is True


def test_a_page_image_is_stored_while_tesseract_reads_the_page(one_document, tmp_path,
                                                               monkeypatch):
    from pipeline.scan import ocr

    storing_image = threading.Event()
    seen: dict[str, object] = {}
    real_read, real_put = ocr.read_upright, LocalObjectStore.put

    def read_upright(*args):
        seen["image stored while reading"] = storing_image.wait(WAIT_S)
        return real_read(*args)

    def put(self, data):
        if data[:2] == b"\xff\xd8":  # a JPEG: the page's archive image
            storing_image.set()
        return real_put(self, data)

    monkeypatch.setattr(ocr, "read_upright", read_upright)
    monkeypatch.setattr(LocalObjectStore, "put", put)
    out = tmp_path / "out"
    [summary] = runner.run_batch(one_document, out, Settings(concurrency=1))
    assert summary.status != "failed", summary.error
    assert seen["image stored while reading"] is True
    objects = out / ".sohoa" / "objects"
    [record] = [json.loads(p.read_bytes()) for p in (objects / "named" / "pages").rglob("*.json")]
    assert LocalObjectStore(objects).exists(record["jpeg"])  # the image its record names
