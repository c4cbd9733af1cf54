"""How sure is sure: the share of wrong field values by OCR confidence, on batches already
processed (stored OCR, like bench.reread), to set understand's confidence floors.

    .venv/bin/python -m bench.calibrate BATCH OUT [BATCH OUT ...]

Use tuning batches only (the standard family and realistic seeds 1000-1999); report the
result on a hold-out. Per group of fields (codes and dates / text), per confidence band:
fields read, wrong, share wrong; then the lowest floor keeping the wrong share of the values
it lets through at or under --target.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from bench.reread import stored_pages
from pipeline.understand.classify import classify
from pipeline.understand.doctypes import load_types
from pipeline.understand.document import CODE_KINDS
from pipeline.understand.extract import extract
from pipeline.understand.layout import Layout
from samples.accuracy import compare_fields

BANDS = (0, 30, 40, 50, 60, 70, 80, 85, 90, 95, 101)


def readings(batch: Path, out: Path) -> list[tuple[str, float, bool]]:
    """(group, confidence, right) of every value read in a correctly typed document."""
    truth = {d["source"]: d for d in json.loads((batch / "truth.json").read_text("utf-8"))["documents"]}
    types = load_types()
    found_all = []
    for path in sorted(out.rglob("*.result.json")):
        result = json.loads(path.read_text("utf-8"))
        expected = truth.get(result["source"])
        pages = stored_pages(out, result) if expected and ".sohoa" not in path.parts else []
        if not pages:
            continue
        layout = Layout.from_pages(pages)
        kind = classify(layout, types)
        if kind.document_type != expected["document_type"] or kind.document_type is None:
            continue
        doc_type = types[kind.document_type]
        found, _ = extract(layout, doc_type)
        right = compare_fields(expected["fields"], {k: v.value for k, v in found.items()},
                               kind.document_type)
        for key, got in found.items():
            group = "code" if doc_type.field(key).kind in CODE_KINDS else "text"
            found_all.append((group, got.confidence, right.get(key, False)))
    return found_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="+", type=Path, help="BATCH OUT [BATCH OUT ...]")
    parser.add_argument("--target", type=float, default=0.005, help="wrong share to stay under")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give BATCH OUT pairs")
    values = [r for b, o in zip(args.pairs[::2], args.pairs[1::2]) for r in readings(b, o)]
    for group in ("code", "text"):
        mine = [(c, ok) for g, c, ok in values if g == group]
        print(f"{group}: {len(mine)} values")
        bands = defaultdict(lambda: [0, 0])
        for conf, ok in mine:
            low = max(b for b in BANDS if b <= conf)
            bands[low][0] += 1
            bands[low][1] += not ok
        for low in sorted(bands):
            n, wrong = bands[low]
            print(f"  conf >= {low:3d}: {n:4d} read, {wrong:3d} wrong ({wrong / n:.1%})")
        for floor in BANDS:
            kept = [ok for conf, ok in mine if conf >= floor]
            if kept and kept.count(False) / len(kept) <= args.target:
                print(f"  floor {floor}: lets {len(kept)}/{len(mine)} through, "
                      f"{kept.count(False)} wrong ({kept.count(False) / len(kept):.2%})")
                break


if __name__ == "__main__":
    main()
