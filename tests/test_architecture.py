"""The import contracts of pyproject.toml ([tool.importlinter]) hold: `lint-imports` from the
venv passes. A missing tool fails the test (it is in the `test` extra), it never skips."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_import_contracts_hold():
    assert LINT_IMPORTS.is_file(), f"{LINT_IMPORTS} missing: install the `test` extra"
    run = subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout, run.stdout
