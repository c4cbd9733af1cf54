"""Batch intake: a document's pages are read while later originals are still being stored,
and an original that cannot be stored fails its own document only. The run is in process
(workers.runner.run_batch, the local executor, the local store) so the upload can be held
back: a slow network and a file removed after it was hashed cannot be made to order."""
from __future__ import annotations

import errno
import json
import time

import pytest

from pipeline.core.settings import Settings
from samples.generate import generate_batch
from workers import graph, originals, runner


@pytest.fixture
def batch(tmp_path, monkeypatch, sohoa_home):
    monkeypatch.setenv("SOHOA_HOME", str(sohoa_home))
    root = tmp_path / "batch"
    generate_batch(root, per_type=1, seed=12, degraded_ratio=0.0, formats=("png",))
    scans = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "truth.json")
    for extra in scans[3:]:
        extra.unlink()
    return root, scans[:3]


def _results(out):
    return {json.loads(p.read_text())["source"]: json.loads(p.read_text())
            for p in out.rglob("*.result.json")}


def test_pages_are_read_while_later_originals_are_still_being_stored(batch, tmp_path, monkeypatch):
    root, files = batch
    last = files[-1]
    stored_last, first_page = {}, {}
    real_put, real_page = originals.Originals._put, graph.process_page

    def slow_last_upload(self, path, sha):  # the network, slow for the last file
        if path == last:
            time.sleep(3)
        real_put(self, path, sha)
        if path == last:
            stored_last["at"] = time.monotonic()

    def page(job, index):
        first_page.setdefault("at", time.monotonic())
        return real_page(job, index)

    monkeypatch.setattr(originals.Originals, "_put", slow_last_upload)
    monkeypatch.setattr(graph, "process_page", page)
    out = tmp_path / "out"
    results = runner.run_batch(root, out, Settings(concurrency=2))
    assert first_page["at"] < stored_last["at"] - 1  # the first pages did not wait for it
    assert len(results) == 3 and all(r.status != "failed" for r in results)


def test_an_original_that_cannot_be_stored_fails_its_document_only(batch, tmp_path, monkeypatch):
    root, files = batch
    gone = files[1]
    real_put = originals.Originals._put

    def removed_after_hashing(self, path, sha):
        if path == gone:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        real_put(self, path, sha)

    monkeypatch.setattr(originals.Originals, "_put", removed_after_hashing)
    out = tmp_path / "out"
    summaries = runner.run_batch(root, out, Settings(concurrency=2))
    by_source = {s.source: s for s in summaries}
    failed = by_source[str(gone.relative_to(root))]
    assert failed.status == "failed" and "không số hóa được" in (failed.error or "")
    assert sum(s.status == "failed" for s in summaries) == 1
    results = _results(out)
    assert results[str(gone.relative_to(root))]["status"] == "failed"
    assert len(results) == 3
