"""Quick sohoa-only accuracy and CPU probe: the per-page chain (pipeline.scan.page.read_page) run
in-process, one page at a time, over a generated batch.

    OMP_THREAD_LIMIT=1 .venv/bin/python -m bench.cer_probe [--per-type 3] [--seed 5]
        [--batch DIR] [--only TEXT] [--dump DIR] [--raw]

Prints per page: CER (samples.accuracy.char_errors, as bench/run.py scores), CPU seconds
(this process, its Tesseract engines and OSD children, user+sys from getrusage, so other people's load
on the machine barely matters), the orientation found; then clean/degraded CER averages
(character-weighted), CPU s/page and the orientation check (turn right, |skew error|).
`--raw` also runs raw `tesseract` on each page as loaded (the bench's baseline) for the CPU
ratio; `--dump` writes each page's OCR text and truth side by side. Only the page chain
is measured: no PDF/A, signing, storage or process start-up (bench/run.py has those).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.core.model import Limits, OcrOptions
from pipeline.scan.load import inspect_source, load_page
from pipeline.scan.page import read_page
from samples.accuracy import char_errors
from samples.generate import generate_batch
from workers.tuning import tune_for_pages


def cpu_seconds() -> float:
    """User+sys CPU of this process and every child it has waited for (Tesseract)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def page_chain(path: Path, kind: str, index: int, options: OcrOptions) -> dict:
    """The product's page chain (pipeline.scan.page.read_page), minus the object store."""
    record, _ = read_page(path, kind, index, Limits(), options)
    return {"rotation": record.rotation, "skew_deg": record.skew_deg, "text": record.text}


def raw_tesseract(path: Path, kind: str, index: int, dpi: float, language: str, work: Path) -> float:
    """CPU seconds of plain `tesseract` on the page as loaded (PNG written beforehand)."""
    from PIL import Image

    image = work / "raw.png"
    Image.fromarray(load_page(path, kind, index, Limits()).pixels).save(image, dpi=(dpi, dpi))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["tesseract", str(image), str(work / "raw"), "-l", language],
                   check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--batch", type=Path, help="an existing generated batch (with truth.json)")
    parser.add_argument("--language", default="Vietnamese")
    parser.add_argument("--dump", type=Path, help="write each page's OCR text here")
    parser.add_argument("--raw", action="store_true", help="also time raw tesseract per page")
    parser.add_argument("--only", help="only sources containing this substring")
    args = parser.parse_args()
    tune_for_pages(Limits())
    work = Path(tempfile.mkdtemp(prefix="sohoa-probe-"))
    batch = args.batch
    if batch is None:
        batch = work / "batch"
        generate_batch(batch, args.per_type, args.seed)
    docs = json.loads((batch / "truth.json").read_text("utf-8"))["documents"]
    options = OcrOptions(language=args.language)
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
    sums = {"clean": [0, 0], "degraded": [0, 0]}
    cpu_total = raw_total = 0.0
    pages = rot_ok = 0
    max_skew_err = 0.0
    print(f"{'page':<58} {'kind':<4} {'dpi':>4} {'deg':>3} {'CER':>7} {'CPU s':>6}"
          + (f" {'raw s':>6}" if args.raw else "") + "  orient")
    for doc in docs:
        if args.only and args.only not in doc["source"]:
            continue
        source = batch / doc["source"]
        kind = inspect_source(source, Limits()).kind
        for page in doc["pages"]:
            start = cpu_seconds()
            got = page_chain(source, kind, page["index"], options)
            cpu = cpu_seconds() - start
            dist, n = char_errors(page["text"], got["text"])
            key = "degraded" if page["degraded"] else "clean"
            sums[key][0] += dist
            sums[key][1] += n
            cpu_total += cpu
            pages += 1
            ok = got["rotation"] == page["rotation"]
            rot_ok += ok
            skew_err = abs(got["skew_deg"] - page["skew_deg"])
            max_skew_err = max(max_skew_err, skew_err)
            raw = ""
            if args.raw:
                raw_s = raw_tesseract(source, kind, page["index"], page["dpi"], args.language, work)
                raw_total += raw_s
                raw = f" {raw_s:6.2f}"
            label = f"{doc['source']}#{page['index']}"
            print(f"{label[-58:]:<58} {kind:<4} {page['dpi']:>4} {'D' if page['degraded'] else '-':>3} "
                  f"{100 * dist / max(n, 1):6.2f}% {cpu:6.2f}{raw}  "
                  f"{'ok' if ok else 'WRONG'} {skew_err:.3f}", flush=True)
            if args.dump:
                stem = label.replace("/", "__")
                (args.dump / f"{stem}.ocr.txt").write_text(got["text"], "utf-8")
                (args.dump / f"{stem}.truth.txt").write_text(page["text"], "utf-8")
    cer = {k: (d / n if n else float("nan")) for k, (d, n) in sums.items()}
    both = (sums["clean"][0] + sums["degraded"][0]) / max(1, sums["clean"][1] + sums["degraded"][1])
    print(f"\npages {pages}: CER clean {100 * cer['clean']:.2f}%  degraded {100 * cer['degraded']:.2f}%  "
          f"all {100 * both:.2f}%  CPU {cpu_total / max(pages, 1):.2f} s/page")
    if args.raw:
        print(f"raw tesseract CPU {raw_total / max(pages, 1):.2f} s/page; "
              f"ratio {cpu_total / max(raw_total, 1e-9):.2f}")
    print(f"orientation right {rot_ok}/{pages}; max |skew error| {max_skew_err:.3f} deg")
    sys.stdout.flush()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
