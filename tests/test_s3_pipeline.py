"""The whole pipeline on the S3 backend (a real Ceph radosgw): originals, PDF/As and signed
copies land in the bucket, checked by SHA-256, and OUT still gets its files."""
from __future__ import annotations

import collections
import hashlib
import uuid

from s3_server import s3_server  # noqa: F401  (session fixture)

from tests.conftest import read_results


def test_batch_is_stored_in_s3(s3_server, tmp_path, run_sohoa):  # noqa: F811
    from samples.generate import generate_batch

    batch = tmp_path / "batch"
    generate_batch(batch, per_type=1, seed=8, degraded_ratio=0.0)
    for extra in list(batch.rglob("*"))[6:]:  # two or three documents are enough here
        if extra.is_file() and extra.name != "truth.json":
            extra.unlink()
    # the same scan in three more dossiers: admitted side by side, stored once
    first = sorted(p for p in batch.rglob("*") if p.is_file() and p.name != "truth.json")[0]
    for n in range(3):
        (batch / f"HS-copy-{n}").mkdir()
        (batch / f"HS-copy-{n}" / first.name).write_bytes(first.read_bytes())
    bucket = f"sohoa-{uuid.uuid4().hex[:10]}"
    env = {"SOHOA_S3_ENDPOINT": s3_server.endpoint, "SOHOA_S3_ACCESS_KEY": s3_server.access_key,
           "SOHOA_S3_SECRET_KEY": s3_server.secret_key, "SOHOA_S3_BUCKET": bucket,
           "SOHOA_S3_SECURE": "false"}
    proc = run_sohoa("process", batch, "--out", tmp_path / "out", env=env)
    assert proc.returncode == 0, proc.stderr
    assert s3_server.secret_key not in proc.stderr
    results = read_results(tmp_path / "out")
    assert results
    client = s3_server.client()
    for result in results.values():
        for kind in ("original", "pdfa", "signed"):
            key = result["sha256"][kind]
            body = client.get_object(bucket, f"sha256/{key}").read()
            assert hashlib.sha256(body).hexdigest() == key
        signed = tmp_path / "out" / result["artifacts"]["signed"]
        assert hashlib.sha256(signed.read_bytes()).hexdigest() == result["sha256"]["signed"]
    versions = collections.Counter(o.object_name for o in client.list_objects(
        bucket, prefix="sha256/", recursive=True, include_version=True))
    assert versions[f"sha256/{hashlib.sha256(first.read_bytes()).hexdigest()}"] == 1
    assert set(versions.values()) == {1}, versions  # nothing stored twice
    assert not (tmp_path / "out" / ".sohoa" / "objects").exists()  # nothing kept locally but the cache
