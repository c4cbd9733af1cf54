"""`sohoa audit` (fixity): every stored object re-hashed against the index; a corrupted
object and a deleted one are both reported, with exit code 1."""
from __future__ import annotations

import json
import os

from tests.batches import make_batch
from tests.conftest import read_results


def test_audit_reports_missing_and_corrupt_objects(tmp_path, run_sohoa):
    make_batch(tmp_path / "batch", 2, seed=40)
    out = tmp_path / "out"
    done = run_sohoa("process", tmp_path / "batch", "--out", out)
    assert done.returncode == 0, done.stderr

    clean = run_sohoa("audit", "--out", out, "--json")
    assert clean.returncode == 0, clean.stderr
    report = json.loads(clean.stdout)
    assert report["ok"] and report["objects_checked"] >= 6 and report["files_checked"] == 4

    first, second = sorted(read_results(out).values(), key=lambda r: r["source"])
    objects = out / ".sohoa" / "objects" / "sha256"
    corrupt_key, missing_key = first["sha256"]["pdfa"], second["sha256"]["original"]
    corrupted = objects / corrupt_key[:2] / corrupt_key[2:]
    os.chmod(corrupted, 0o644)
    data = bytearray(corrupted.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit: what a failing disk does
    corrupted.write_bytes(bytes(data))
    (objects / missing_key[:2] / missing_key[2:]).unlink()

    audit = run_sohoa("audit", "--out", out, "--json")
    assert audit.returncode == 1, audit.stderr
    found = {(f["problem"], f["key"]): f["used_by"] for f in json.loads(audit.stdout)["findings"]}
    assert found[("corrupt", corrupt_key)] == [f"{first['document_id']} pdfa"]
    assert found[("missing", missing_key)] == [f"{second['document_id']} original"]
    # the published PDF/A is a link to the same bytes: it is reported too
    assert ("corrupt", first["artifacts"]["pdfa"]) in found
    assert len(found) == 3, found

    human = run_sohoa("audit", "--out", out)
    assert human.returncode == 1
    assert "1 thiếu, 2 hỏng" in human.stderr and missing_key in human.stderr
