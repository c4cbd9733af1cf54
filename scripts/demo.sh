#!/usr/bin/env bash
# Installs everything, generates a batch of sample scans and digitizes it on the embedded
# default (local files + SQLite + in-process execution). Idempotent: a re-run reuses the
# batch and skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
[ -f demo/batch/truth.json ] || .venv/bin/sohoa samples demo/batch --per-type 2 --seed 1
.venv/bin/sohoa process demo/batch --out demo/out
