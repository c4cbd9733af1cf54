#!/usr/bin/env bash
# Installs everything (plus Ghostscript, which OCRmyPDF needs to start) and runs the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
command -v gs >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo";
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ghostscript >/dev/null; }
exec .venv/bin/python -m bench.run "$@"
