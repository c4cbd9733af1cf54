"""Benchmark: sohoa against OCRmyPDF and raw Tesseract on the same generated pages, in one run.

    .venv/bin/python -m bench.run [--per-type 3] [--seed 5] [--rss-pages 200]

Prints pages/s, CPU s/page, peak memory (PSS summed over the whole process tree), output bytes/page and CER
against the generator's ground truth (clean and degraded pages apart), then the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from bench.measure import Usage, run_measured
from pipeline.core.model import Limits
from pipeline.scan.load import inspect_source, load_page
from samples.accuracy import char_errors
from samples.generate import generate_batch

BIN = Path(sys.executable).parent
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def _truth(batch: Path) -> list[dict]:
    return json.loads((batch / "truth.json").read_text("utf-8"))["documents"]


def _cer(pairs: list[tuple[dict, str]]) -> dict:
    """CER over clean and degraded pages from (truth page, OCR text) pairs."""
    sums = {"clean": [0, 0], "degraded": [0, 0], "all": [0, 0]}
    for page, text in pairs:
        dist, n = char_errors(page["text"], text)
        for key in ("degraded" if page["degraded"] else "clean", "all"):
            sums[key][0] += dist
            sums[key][1] += n
    return {k: (d / n if n else float("nan")) for k, (d, n) in sums.items()}


def bench_sohoa(batch: Path, work: Path, docs: list[dict]) -> tuple[Usage, int, dict, dict]:
    out = work / "sohoa-out"
    usage = run_measured([[str(BIN / "sohoa"), "process", str(batch), "--out", str(out)]], ENV)
    size, pairs, orient = 0, [], {"pages": 0, "rotation_ok": 0, "max_skew_error": 0.0}
    for doc in docs:
        result_file = out / (doc["source"] + ".result.json" if "/" in doc["source"]
                             else f"{Path(doc['source']).stem}/{doc['source']}.result.json")
        result = json.loads(result_file.read_text("utf-8"))
        size += (out / result["artifacts"]["signed"]).stat().st_size
        texts = result["text"].split("\f")
        for page, got, text in zip(doc["pages"], result["pages"], texts):
            pairs.append((page, text))
            orient["pages"] += 1
            orient["rotation_ok"] += got["rotation"] == page["rotation"]
            orient["max_skew_error"] = max(orient["max_skew_error"],
                                           abs(got["skew_deg"] - page["skew_deg"]))
    return usage, size, _cer(pairs), orient


def bench_ocrmypdf(batch: Path, work: Path, docs: list[dict]) -> tuple[Usage, int, dict]:
    out = work / "ocrmypdf-out"
    commands, outputs = [], []
    for i, doc in enumerate(docs):
        target = out / f"{i:04d}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        commands.append([str(BIN / "ocrmypdf"), "-l", "vie", "--deskew", "--rotate-pages",
                         "--output-type", "pdfa", "-j", "2", str(batch / doc["source"]), str(target)])
        outputs.append(target)
    usage = run_measured(commands, ENV, parallel=1)
    size, pairs = 0, []
    for doc, target in zip(docs, outputs):
        if not target.exists():
            pairs += [(p, "") for p in doc["pages"]]
            continue
        size += target.stat().st_size
        for page in doc["pages"]:
            text = subprocess.run(["pdftotext", "-f", str(page["index"] + 1), "-l", str(page["index"] + 1),
                                   str(target), "-"], capture_output=True, text=True).stdout
            pairs.append((page, text))
    return usage, size, _cer(pairs)


def bench_tesseract(batch: Path, work: Path, docs: list[dict], language: str) -> tuple[Usage, dict]:
    """Raw Tesseract on each page as scanned (pages extracted beforehand, not timed)."""
    pages_dir = work / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for i, doc in enumerate(docs):
        source = batch / doc["source"]
        info = inspect_source(source, Limits())
        for page in doc["pages"]:
            image = pages_dir / f"{i:04d}-{page['index']}.png"
            Image.fromarray(load_page(source, info.kind, page["index"], Limits()).pixels).save(
                image, dpi=(page["dpi"], page["dpi"]))
            jobs.append((page, image))
    commands = [["tesseract", str(img), str(img.with_suffix("")), "-l", language] for _, img in jobs]
    usage = run_measured(commands, ENV, parallel=os.cpu_count() or 2)
    pairs = [(p, img.with_suffix(".txt").read_text("utf-8")) for p, img in jobs]
    return usage, _cer(pairs)


def _row(name, usage: Usage, pages: int, size: int | None, cer: dict) -> list[str]:
    return [name, f"{pages / usage.wall_s:.2f}", f"{usage.cpu_s / pages:.2f}", f"{usage.peak_rss_mb:.0f}",
            f"{size / pages / 1024:.0f}" if size else "-",
            f"{100 * cer['clean']:.2f}%", f"{100 * cer['degraded']:.2f}%", f"{100 * cer['all']:.2f}%"]


def _print_table(rows: list[list[str]]) -> None:
    header = ["tool", "pages/s", "CPU s/page", "peak PSS MB", "KB/page", "CER clean", "CER degraded", "CER all"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--language", default="Vietnamese", help="model for raw Tesseract (sohoa's)")
    parser.add_argument("--rss-pages", type=int, default=0,
                        help="also run sohoa alone on a batch of about this many pages (RSS check)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if not shutil.which("gs"):
        sys.exit("OCRmyPDF needs Ghostscript to start: run scripts/bench.sh (installs it)")
    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))
    batch = work / "batch"
    generate_batch(batch, args.per_type, args.seed)
    docs = _truth(batch)
    pages = sum(len(d["pages"]) for d in docs)
    print(f"batch: {len(docs)} documents, {pages} pages "
          f"({sum(p['degraded'] for d in docs for p in d['pages'])} degraded), work folder {work}")

    s_usage, s_size, s_cer, orient = bench_sohoa(batch, work, docs)
    o_usage, o_size, o_cer = bench_ocrmypdf(batch, work, docs)
    t_usage, t_cer = bench_tesseract(batch, work, docs, args.language)
    _print_table([_row("sohoa", s_usage, pages, s_size, s_cer),
                  _row("ocrmypdf", o_usage, pages, o_size, o_cer),
                  _row(f"tesseract ({args.language})", t_usage, pages, None, t_cer)])
    print(f"\nthroughput sohoa/ocrmypdf: {o_usage.wall_s / s_usage.wall_s:.2f}x (target >= 2.5)")
    print(f"CPU/page sohoa/tesseract: {s_usage.cpu_s / t_usage.cpu_s:.2f} (target <= 1.15)")
    print(f"bytes/page sohoa/ocrmypdf: {s_size / o_size:.2f} (target <= 0.25)" if o_size else "")
    print(f"orientation right: {orient['rotation_ok']}/{orient['pages']} pages; "
          f"max |skew error| {orient['max_skew_error']:.3f} deg")
    if args.rss_pages:
        big = work / "batch-big"
        generate_batch(big, max(1, round(args.rss_pages * args.per_type / pages)), args.seed + 1)
        big_pages = sum(len(d["pages"]) for d in _truth(big))
        b_usage, *_ = bench_sohoa(big, work / "big", _truth(big))
        print(f"peak PSS sohoa: {s_usage.peak_rss_mb:.0f} MB at {pages} pages, "
              f"{b_usage.peak_rss_mb:.0f} MB at {big_pages} pages; target < 500")
        # The start-up (imports, the signing identity, fonts) is paid once per run: a
        # long run shows the CPU a page really costs.
        print(f"  long run: {big_pages / b_usage.wall_s:.2f} pages/s, {b_usage.cpu_s / big_pages:.2f} CPU s/page "
              f"({b_usage.cpu_s / big_pages / (t_usage.cpu_s / pages):.2f}x raw Tesseract's on the short batch)")
        print("  peak in each quarter of the long run (growth would show here): "
              + " / ".join(f"{q:.0f}" for q in b_usage.quarter_peaks_mb) + " MB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
