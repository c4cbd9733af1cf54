"""Two batches with overlapping files digitized at once into one OUT, by two clients (two
`sohoa process` processes): every document once, under one mã hồ sơ, its files and
result.json from one and the same signing, in OUT, the registry and the index."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.batches import make_batch
from tests.conftest import SOHOA, postgres_schema
from tests.exactly_once import assert_exactly_once


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_clients_overlapping_batches(database, sohoa_env, tmp_path):
    every = tmp_path / "every"
    make_batch(every, 6, seed=80)
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    for batch, dossiers in ((first, range(0, 4)), (second, range(2, 6))):  # HS-002, HS-003 in both
        for i in dossiers:
            shutil.copytree(every / f"HS-{i:03d}", batch / f"HS-{i:03d}")
    sources = {str(p.relative_to(every)) for p in every.rglob("*.tif")}
    if database == "postgresql":
        with postgres_schema("sohoa_two_clients") as url:
            env = {**sohoa_env, "SOHOA_DATABASE_URL": url, "SOHOA_CONCURRENCY": "1"}
            _both(first, second, out, env, tmp_path)
            results = assert_exactly_once(out, sources, url)
    else:
        _both(first, second, out, {**sohoa_env, "SOHOA_CONCURRENCY": "1"}, tmp_path)
        results = assert_exactly_once(out, sources)
    assert len({r["dossier_id"] for r in results.values()}) == 6
    assert _stored(out) == _referenced(out, results), "a document was signed and stored twice"


def _stored(out) -> set[str]:
    return {p.parent.name + p.name for p in (out / ".sohoa" / "objects" / "sha256").glob("??/*")}


def _referenced(out, results: dict) -> set[str]:
    """Originals, PDF/As and signed copies of the results, and the pages' JPEGs."""
    pages = (out / ".sohoa" / "objects" / "named" / "pages").rglob("*.json")
    return ({r["sha256"][k] for r in results.values() for k in ("original", "pdfa", "signed")}
            | {json.loads(p.read_text())["jpeg"] for p in pages})


def _both(first, second, out, env, tmp_path) -> None:
    clients = [subprocess.Popen([SOHOA, "process", str(batch), "--out", str(out)], env=env,
                                stdout=subprocess.DEVNULL, stderr=(tmp_path / f"{batch.name}.log").open("w"))
               for batch in (first, second)]
    for client, batch in zip(clients, (first, second)):
        assert client.wait(timeout=600) == 0, (tmp_path / f"{batch.name}.log").read_text()[-4000:]
