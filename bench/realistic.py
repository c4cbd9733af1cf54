"""How far sohoa can be trusted on inputs like real archives': the realistic sample family.

    .venv/bin/python -m bench.realistic --per-type 2 --seed 9001 [--seed 9002 …] [--keep DIR]

For each seed: generate the realistic family (samples/realistic/) into a work folder, run
`sohoa process` on it as a clerk would, and evaluate against its truth.json; then print
the evaluation and a summary over all seeds: type accuracy, field exact match, automation
(documents `done` without a human), silent errors (wrong or extra values inside `done`
documents), `done` documents of the wrong type, upright pages turned, failed documents.

Seeds 1000-1999 are for tuning; 9000 and up are the hold-out: run them to measure, and do
not look at their mistakes while changing the pipeline (samples/realistic/__init__.py).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from samples.accuracy import Report, Tally, Trust, evaluate, print_report, trust_rows
from samples.realistic import split_of
from samples.realistic.generate import generate_realistic

BIN = Path(sys.executable).parent
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def run_seed(work: Path, seed: int, per_type: int, concurrency: int | None) -> tuple[Report, float]:
    """Generate, process and evaluate one seed's batch; returns the report and the wall time."""
    batch, out = work / f"seed-{seed}" / "batch", work / f"seed-{seed}" / "out"
    generate_realistic(batch, per_type, seed)
    command = [str(BIN / "sohoa"), "process", str(batch), "--out", str(out)]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    start = time.monotonic()
    done = subprocess.run(command, env=ENV, capture_output=True, text=True)
    wall = time.monotonic() - start
    if done.returncode not in (0, 1):  # 1: some document failed, which is measured, not fatal
        sys.exit(f"sohoa process exited {done.returncode}:\n{done.stderr[-3000:]}")
    return evaluate(batch, out), wall


def field_tally(report: Report) -> Tally:
    total = Tally()
    for by in report.fields.values():
        for t in by.values():
            total.right += t.right
            total.total += t.total
    return total


def merge(reports: list[Report]) -> tuple[Tally, Tally, Trust]:
    """Type tally, field tally and trust counts summed over several seeds' reports."""
    types, fields, trust = Tally(), Tally(), Trust()
    for r in reports:
        f = field_tally(r)
        types.right, types.total = types.right + r.types.right, types.total + r.types.total
        fields.right, fields.total = fields.right + f.right, fields.total + f.total
        for name in (x.name for x in dataclasses.fields(Trust)):
            setattr(trust, name, getattr(trust, name) + getattr(r.trust, name))
    return types, fields, trust


def summary(types: Tally, fields: Tally, trust: Trust) -> list[tuple[str, str]]:
    return [("Loại giấy tờ đúng", types.share()), ("Trường đúng tuyệt đối", fields.share()),
            *trust_rows(trust)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=2)
    parser.add_argument("--seed", type=int, action="append",
                        help="repeatable; default 1001 (tuning). 9000+ is the hold-out")
    parser.add_argument("--concurrency", type=int, help="passed to sohoa process")
    parser.add_argument("--keep", type=Path, help="work here and keep batches and outputs")
    args = parser.parse_args(argv)
    seeds = args.seed or [1001]
    console = Console(width=None if sys.stdout.isatty() else 160)
    if any(split_of(s) == "hold-out" for s in seeds):
        console.print("[bold yellow]Hold-out seeds: this run measures; do not tune on what it shows.[/]")
    work = args.keep or Path(tempfile.mkdtemp(prefix="sohoa-realistic-"))
    work.mkdir(parents=True, exist_ok=True)
    reports = []
    try:
        for seed in seeds:
            report, wall = run_seed(work, seed, args.per_type, args.concurrency)
            console.rule(f"seed {seed} ({split_of(seed)}), --per-type {args.per_type}: "
                         f"{report.trust.documents} documents, {wall:.0f} s")
            print_report(report, console)
            reports.append(report)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rows = summary(*merge(reports))
    width = max(len(name) for name, _ in rows)
    print(f"\nrealistic family, seeds {', '.join(map(str, seeds))}, --per-type {args.per_type}")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
