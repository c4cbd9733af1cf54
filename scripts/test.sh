#!/usr/bin/env bash
# Installs everything and runs the test suite (real Tesseract, real Redis + Celery worker,
# real signatures checked by pyHanko and poppler's pdfsig).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check .
.venv/bin/mypy  # what and how: [tool.mypy] in pyproject.toml
exec .venv/bin/python -m pytest -q "$@"
