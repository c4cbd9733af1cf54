#!/usr/bin/env bash
# Installs everything sohoa needs on Debian 12, idempotently: system packages, then a
# .venv at the repository root holding the `sohoa` command. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet  # OCR engine + Vietnamese models
  poppler-utils          # pdftoppm for pdf2image, pdfsig for independent signature checks
  fonts-liberation2      # Liberation Serif 2.x: Times New Roman metrics WITH Vietnamese glyphs (1.x lacks them)
  fonts-dejavu-core fonts-dejavu-extra  # further faces for the sample generator
  libgl1 libglib2.0-0    # runtime libraries of opencv-python
  softhsm2               # a real PKCS#11 token for the signing tests
  postgresql-15 redis-server  # servers the outage tests start and stop as their own
  chromium chromium-driver  # headless browser for the page tests (tests/test_pages_browser.py)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# Install only when pyproject.toml changed since the last install (keeps re-runs fast).
stamp=.venv/.sohoa-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[test,bench]"
  touch "$stamp"
fi
echo "sohoa installed: $(.venv/bin/sohoa --version 2>/dev/null || echo '.venv/bin/sohoa')"
