"""Re-run understanding on the OCR an earlier `sohoa process` stored, without OCR again.

    python -m bench.reread BATCH OUT [--source TEXT] [--rows]

Extraction work is a loop of "change a rule, look at the mistakes"; re-reading a batch's
stored pages takes seconds where a new run takes minutes. It prints each wrong or missing
field, and with --rows the layout rows of the documents chosen by --source.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.core.model import PageResult
from pipeline.core.result import page_warnings
from pipeline.core.settings import load_settings
from pipeline.understand.doctypes import load_types
from pipeline.understand.document import understand
from pipeline.understand.layout import Layout
from samples.accuracy import Tally, Trust, compare_fields
from workers import graph


def stored_pages(out: Path, result: dict) -> list[PageResult]:
    """The page records the run stored (under the current stages' options), else []."""
    if not graph.is_configured():
        graph.configure(load_settings())
    ctx = graph.context_for(str(out))
    stored = [ctx.store.get_named(ctx.page_name(result["sha256"]["original"], i))
              for i in range(len(result["pages"]))]
    if not stored or None in stored:
        return []
    return [PageResult.from_dict(json.loads(s)["page"]) for s in stored]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", default="", help="only documents whose source contains this")
    parser.add_argument("--rows", action="store_true", help="print the layout rows too")
    args = parser.parse_args()
    truth = {d["source"]: d for d in json.loads((args.batch / "truth.json").read_text("utf-8"))["documents"]}
    types = load_types()
    tallies = {"clean": Tally(), "degraded": Tally()}
    type_tally = Tally()
    # The trust figures, counted as `sohoa eval` counts them: documents that would be
    # `done`, and wrong or extra values inside them (an omitted field is counted apart).
    trust = Trust()
    for path in sorted(args.out.rglob("*.result.json")):
        result = json.loads(path.read_text("utf-8"))
        expected = truth.get(result["source"])
        if ".sohoa" in path.parts or expected is None or args.source not in result["source"]:
            continue
        pages = stored_pages(args.out, result)
        if not pages:
            continue
        known = understand(pages, types)
        type_tally.add(known.document_type == expected["document_type"])
        if args.rows:
            print(f"== {result['source']}")
            for line in Layout.from_pages(pages).lines:
                print(f"  p{line.page} y{line.y0:5.0f} x{line.x0:5.0f}  {line.text}")
        got = known.fields if known.document_type == expected["document_type"] else {}
        trust.documents += 1
        if not (known.errors or page_warnings(pages)):  # would be `done`
            reread = {"document_type": known.document_type, "fields": known.fields}
            wrong_before = trust.done_wrong + trust.done_extra + trust.done_wrong_type
            trust.add_done(expected, reread, compare_fields(
                expected["fields"], known.fields, expected["document_type"]))
            if trust.done_wrong + trust.done_extra + trust.done_wrong_type > wrong_before:
                print(f"SILENT {result['source']}: done with a wrong type or value")
        condition = "degraded" if any(p.get("degraded") for p in expected["pages"]) else "clean"
        if known.document_type != expected["document_type"]:
            print(f"{result['source']}  TYPE {expected['document_type']} read as {known.document_type}")
        for key, ok in sorted(compare_fields(expected["fields"], got, expected["document_type"]).items()):
            tallies[condition].add(ok)
            if not ok:
                flag = "!" if any(e["field"] == key for e in known.errors) else " "
                print(f"{flag} {result['source']}  {key}: {expected['fields'].get(key)!r} <- {got.get(key)!r}")
    print(f"types {type_tally.share()}  clean {tallies['clean'].share()}  degraded {tallies['degraded'].share()}")
    print(f"automation (done) {trust.done}/{trust.documents}  silent errors (wrong or extra "
          f"values in done) {trust.silent_errors:.1%} of {trust.done_fields} fields, "
          f"omitted in done {trust.done_omitted}")


if __name__ == "__main__":
    main()
