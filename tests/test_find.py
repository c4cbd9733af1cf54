"""A processed batch is findable with `sohoa find`: by the owner's personal ID, by field
values and by words (accents and case ignored), on SQLite under OUT and on the real
PostgreSQL; processing the same scans again never duplicates a record."""
from __future__ import annotations

import json

import pytest

from pipeline.core.text import strip_accents
from tests.conftest import postgres_schema


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from samples.generate import generate_batch

    batch = tmp_path_factory.mktemp("find") / "batch"
    truth = generate_batch(batch, per_type=1, seed=12, degraded_ratio=0.0)
    keep = {"giay_khai_sinh", "giay_chung_nhan_ket_hon", "van_ban_hanh_chinh"}
    documents = json.loads(truth.read_text("utf-8"))["documents"]
    for doc in documents:
        if doc["document_type"] not in keep:
            (batch / doc["source"]).unlink()
    return batch, [d for d in documents if d["document_type"] in keep]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    if request.param == "sqlite":
        yield {}
        return
    with postgres_schema("sohoa_find") as url:
        yield {"SOHOA_DATABASE_URL": url}


def test_find_by_owner_field_and_words(batch, database, run_sohoa, tmp_path):
    batch_dir, documents = batch
    out = tmp_path / "out"
    assert run_sohoa("process", batch_dir, "--out", out, env=database).returncode == 0
    assert run_sohoa("process", batch_dir, "--out", out, env=database).returncode == 0  # again

    def find(*args) -> list[dict]:
        proc = run_sohoa("find", "--out", out, "--json", *args, env=database)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["items"]

    birth = next(d for d in documents if d["document_type"] == "giay_khai_sinh")
    hits = find("--owner", birth["fields"]["so_dinh_danh"])
    assert [h["document_type"] for h in hits] == ["giay_khai_sinh"]  # once, not twice
    signed = out / hits[0]["artifacts"]["signed"]
    assert signed.is_file() and hits[0]["signed_sha256"]

    mother = birth["fields"]["me_ho_ten"]
    by_field = find("--type", "giay_khai_sinh", "--field", f"me_ho_ten={strip_accents(mother).lower()}")
    assert [h["document_id"] for h in by_field] == [hits[0]["document_id"]]

    marriage = next(d for d in documents if d["document_type"] == "giay_chung_nhan_ket_hon")
    husband = strip_accents(marriage["fields"]["chong_ho_ten"]).lower()
    words = find(husband)
    assert words and words[0]["document_type"] == "giay_chung_nhan_ket_hon"
    assert find("zzzz qqqq") == []
