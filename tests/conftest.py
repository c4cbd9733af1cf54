"""Shared fixtures: an isolated SOHOA_HOME (the test signing identity lives there, never in
the user's home) and a runner for the real `sohoa` command."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Tests that read pages in this process tune it as `sohoa process` does (OpenMP off in
# Tesseract, Pillow's guard at our page limit), except for the private temporary folder:
# pytest makes its own temporary folders there. The commands they start tune themselves.
from pipeline.core.model import Limits
from workers.tuning import tune_for_pages

tune_for_pages(Limits(), private_tmp=False)

SOHOA = str(Path(sys.executable).parent / "sohoa")
POSTGRES = os.environ.get("SOHOA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema(prefix: str = "sohoa_test") -> Iterator[str]:
    """A URL of the machine's real PostgreSQL, confined to a new schema dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sohoa_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sohoa-home")


@pytest.fixture(scope="session")
def sohoa_env(sohoa_home) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_HOME=str(sohoa_home), SOHOA_CONCURRENCY="2", OMP_THREAD_LIMIT="1")
    return env


@pytest.fixture(scope="session")
def run_sohoa(sohoa_env):
    def run(*args, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run([SOHOA, *map(str, args)], env={**sohoa_env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout)
    return run


def read_results(out: Path) -> dict[str, dict]:
    """Every result.json under `out`, by source path."""
    results = {}
    for path in out.rglob("*.result.json"):
        if ".sohoa" not in path.parts:
            result = json.loads(path.read_text("utf-8"))
            results[result["source"]] = result
    return results
