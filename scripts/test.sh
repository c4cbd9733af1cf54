#!/usr/bin/env bash
# Installs everything, lints (ruff), type-checks (mypy, as configured in pyproject.toml) and
# runs the test suite (real Tesseract, real Redis + Celery worker, real signatures checked by
# pyHanko and poppler's pdfsig; tests/test_architecture.py checks the import contracts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check .
.venv/bin/mypy  # what and how: [tool.mypy] in pyproject.toml
exec .venv/bin/python -m pytest -q "$@"
