"""Accuracy against the generator's ground truth (`sohoa eval BATCH OUT`, the benchmarks,
the tests): document type, field exact match per type (clean and degraded pages apart),
CER (:func:`char_errors`, the one scoring every tool of the benchmark), and how many wrong
values validation flagged instead of letting them pass silently.

Comparison rules of ../shared/spec/documents.md: NFC, whitespace collapsed, names
case-insensitive, years and areas as numbers. A field sohoa returns that the truth does
not have is a wrong value (a guess), and one it omits is a miss.

Trust (:class:`Trust`, what an archive cares about): the share of documents `done`
without a human, and the silent errors, wrong or extra values inside `done` documents
(`done` promises every field is right, so nobody will look at them again).
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.core.text import collapse
from pipeline.understand.doctypes import load_types

# Compared case-insensitively besides names: the spec writes the untitled type "Công văn"
# where every printed type is in capitals ("QUYẾT ĐỊNH"); either spelling names one type.
CASE_FREE = {"loai_van_ban"}


def _same(key: str, truth, got, names: set[str]) -> bool:
    if got is None:
        return False
    if isinstance(truth, (int, float)) and not isinstance(truth, bool):
        try:
            return abs(float(got) - float(truth)) < 1e-6
        except (TypeError, ValueError):
            return False
    a, b = collapse(str(truth)), collapse(str(got))
    return a.casefold() == b.casefold() if key in names else a == b


def _names() -> dict[str, set[str]]:
    return {key: {f.key for f in t.fields if f.kind == "name"} for key, t in load_types().items()}


def compare_fields(truth: dict, got: dict, document_type: str | None = None) -> dict[str, bool]:
    """Per field: right or not (over the truth's fields and any extra returned)."""
    names = CASE_FREE | (_names().get(document_type, set()) if document_type else {
        k for ks in _names().values() for k in ks})
    return {k: _same(k, truth.get(k), got.get(k), names) if k in truth else False
            for k in {**truth, **got}}


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    def share(self) -> str:
        return f"{self.right / self.total:.1%} ({self.right}/{self.total})" if self.total else "-"


@dataclass
class Trust:
    """Counts behind the automation rate and the silent-error rate (see the module doc).

    A `done` document of the wrong type counts all its returned values as extra and all
    the truth's as omitted. A document without a result.json counts as failed.
    """
    documents: int = 0        # in truth.json
    done: int = 0
    failed: int = 0           # status failed, or no result at all
    no_result: int = 0
    done_wrong_type: int = 0
    done_with_errors: int = 0  # done documents with a wrong type or any wrong or extra value
    done_fields: int = 0      # field slots compared in done documents (truth's and returned)
    done_wrong: int = 0       # a value other than the truth's
    done_extra: int = 0       # a value the truth does not have
    done_omitted: int = 0     # a truth field left out (not silent: nothing false is claimed)
    upright_pages: int = 0    # pages whose truth rotation is 0 and that have a result
    upright_turned: int = 0   # ... that the pipeline turned anyway

    @property
    def automation(self) -> float:
        return self.done / self.documents if self.documents else 0.0

    @property
    def silent_errors(self) -> float:
        return (self.done_wrong + self.done_extra) / self.done_fields if self.done_fields else 0.0

    def add_done(self, expected: dict, result: dict, compared: dict[str, bool]) -> None:
        """One `done` document; `compared` is compare_fields over its fields (right type)."""
        self.done += 1
        truth, got = expected["fields"], result["fields"]
        if result["document_type"] != expected["document_type"]:
            self.done_wrong_type += 1
            self.done_with_errors += 1
            self.done_fields += len(truth) + len(got)
            self.done_extra += len(got)
            self.done_omitted += len(truth)
            return
        bad = 0
        for key, ok in compared.items():
            self.done_fields += 1
            if ok:
                continue
            if key not in got:
                self.done_omitted += 1
            elif key in truth:
                self.done_wrong += 1
                bad += 1
            else:
                self.done_extra += 1
                bad += 1
        self.done_with_errors += bad > 0


@dataclass
class Report:
    trust: Trust = field(default_factory=Trust)
    types: Tally = field(default_factory=Tally)
    fields: dict = field(default_factory=lambda: defaultdict(lambda: {"clean": Tally(), "degraded": Tally()}))
    wrong_flagged: Tally = field(default_factory=Tally)
    wrong_ids_flagged: Tally = field(default_factory=Tally)
    cer: dict = field(default_factory=lambda: {"clean": [0, 0], "degraded": [0, 0]})
    mistakes: list = field(default_factory=list)
    silent: list = field(default_factory=list)  # (source, key, truth, got) inside done documents


def evaluate(batch: Path, out: Path) -> Report:
    truth = {d["source"]: d for d in json.loads((batch / "truth.json").read_text("utf-8"))["documents"]}
    types = load_types()
    report = Report()
    report.trust.documents = len(truth)
    seen = set()
    for path in sorted(out.rglob("*.result.json")):
        if ".sohoa" in path.parts:
            continue
        result = json.loads(path.read_text("utf-8"))
        expected = truth.get(result["source"])
        if expected is None or result["source"] in seen:
            continue
        seen.add(result["source"])
        report.types.add(result["document_type"] == expected["document_type"])
        condition = "degraded" if any(p.get("degraded") for p in expected["pages"]) else "clean"
        got = result["fields"] if result["document_type"] == expected["document_type"] else {}
        flagged = {e["field"] for e in result["validation"]["errors"]}
        ids = {f.key for f in types[expected["document_type"]].fields if f.kind == "personal_id"} \
            if expected["document_type"] in types else set()
        compared = compare_fields(expected["fields"], got, expected["document_type"])
        _tally_trust(report.trust, expected, result, compared)
        if result["status"] == "done":
            wrong_type = result["document_type"] != expected["document_type"]
            report.silent += [(result["source"], key, expected["fields"].get(key), value)
                              for key, value in result["fields"].items()
                              if wrong_type or not compared.get(key, False)]
        for key, ok in compared.items():
            report.fields[expected["document_type"] or "(không thuộc loại nào)"][condition].add(ok)
            if not ok and key in got:  # a wrong value, not a missing one
                report.wrong_flagged.add(key in flagged)
                if key in ids:
                    report.wrong_ids_flagged.add(key in flagged)
            if not ok:
                report.mistakes.append((result["source"], key, expected["fields"].get(key), got.get(key)))
        pages = result["text"].split("\f")
        for page, text in zip(expected["pages"], pages):
            errors, length = char_errors(page["text"], text)
            bucket = report.cer["degraded" if page.get("degraded") else "clean"]
            bucket[0] += errors
            bucket[1] += length
    report.trust.no_result = len(truth) - len(seen)
    report.trust.failed += report.trust.no_result
    return report


def _tally_trust(trust: Trust, expected: dict, result: dict, compared: dict[str, bool]) -> None:
    if result["status"] == "done":
        trust.add_done(expected, result, compared)
    elif result["status"] == "failed":
        trust.failed += 1
    turned = {p["index"]: p["rotation"] for p in result.get("pages", [])}
    for page in expected["pages"]:
        if page["rotation"] == 0 and page["index"] in turned:
            trust.upright_pages += 1
            trust.upright_turned += turned[page["index"]] != 0


def print_report(report: Report, console) -> None:
    from rich.table import Table

    table = Table(title="Độ chính xác trường thông tin (khớp tuyệt đối)")
    for column in ("loại giấy tờ", "trang sạch", "trang xuống cấp", "tất cả"):
        table.add_column(column)
    overall = {"clean": Tally(), "degraded": Tally()}
    for doc_type, by in sorted(report.fields.items()):
        both = Tally(by["clean"].right + by["degraded"].right, by["clean"].total + by["degraded"].total)
        table.add_row(doc_type, by["clean"].share(), by["degraded"].share(), both.share())
        for c in overall:
            overall[c].right += by[c].right
            overall[c].total += by[c].total
    total = Tally(overall["clean"].right + overall["degraded"].right,
                  overall["clean"].total + overall["degraded"].total)
    table.add_row("TỔNG", overall["clean"].share(), overall["degraded"].share(), total.share())
    console.print(table)
    cer = {k: (e / n if n else 0.0) for k, (e, n) in report.cer.items()}
    console.print(f"Loại giấy tờ đúng: {report.types.share()}")
    console.print(f"CER: trang sạch {cer['clean']:.2%}, trang xuống cấp {cer['degraded']:.2%}")
    console.print(f"Giá trị sai bị kiểm tra hợp lệ phát hiện: {report.wrong_flagged.share()}; "
                  f"riêng số định danh sai: {report.wrong_ids_flagged.share()}")
    console.print(trust_table(report.trust))


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%} ({part}/{whole})" if whole else "-"


def trust_rows(t: Trust) -> list[tuple[str, str]]:
    """(measure, value) in Vietnamese, for the table and for benchmarks' plain output."""
    return [
        ("Tự động hoàn toàn (xong / tất cả tài liệu)", _share(t.done, t.documents)),
        ("Lỗi im lặng (giá trị sai hoặc thừa / trường của tài liệu xong)",
         _share(t.done_wrong + t.done_extra, t.done_fields)),
        ("  trong đó giá trị sai / giá trị thừa", f"{t.done_wrong} / {t.done_extra}"),
        ("Tài liệu xong có lỗi (sai loại hoặc giá trị sai, thừa)", _share(t.done_with_errors, t.done)),
        ("Tài liệu xong nhưng sai loại giấy tờ", _share(t.done_wrong_type, t.done)),
        ("Trường bị bỏ sót trong tài liệu xong", _share(t.done_omitted, t.done_fields)),
        ("Trang thẳng bị xoay nhầm", _share(t.upright_turned, t.upright_pages)),
        ("Tài liệu lỗi (kể cả không có kết quả)", _share(t.failed, t.documents)),
    ]


def trust_table(t: Trust):
    from rich.table import Table

    table = Table(title="Độ tin cậy (tài liệu được đánh dấu xong)")
    table.add_column("chỉ số")
    table.add_column("giá trị", justify="right")
    for name, value in trust_rows(t):
        table.add_row(name, value)
    return table


_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def char_errors(truth: str, ocr: str) -> tuple[int, int]:
    """(character errors, reference length), robust to reading order.

    Side-by-side blocks (a header's two columns, a form's two sides) may be read in
    another order by an engine without a letter being wrong, so each printed line is
    matched to the OCR span that fits it best, which is then used up; what is left of the
    OCR text unmatched (junk, leader dots read as letters) counts as insertions. Every tool
    in the benchmark is scored with this same function.
    """
    lines = sorted((normalise(line) for line in truth.splitlines()), key=len, reverse=True)
    lines = [line for line in lines if line]
    hyp = normalise(ocr)
    errors = 0
    for line in lines:
        if len(line) > len(hyp):
            errors += Levenshtein.distance(line, hyp)
            hyp = ""
            continue
        found = fuzz.partial_ratio_alignment(line, hyp)
        if found is None or found.score < 40:
            errors += len(line)
            continue
        start, end = _widen(line, hyp, found.dest_start, found.dest_end)
        errors += Levenshtein.distance(line, hyp[start:end])
        hyp = hyp[:start] + " " + hyp[end:]
    errors += len(hyp.replace(" ", ""))
    return errors, sum(len(line) for line in lines)


def _widen(line: str, hyp: str, start: int, end: int) -> tuple[int, int]:
    """Let the matched span grow or shrink by a few characters where that fits better
    (the aligner's span has the line's length, an OCR insertion or deletion shifts it)."""
    best = (Levenshtein.distance(line, hyp[start:end]), start, end)
    for ds in range(-3, 4):
        for de in range(-3, 4):
            s, e = max(0, start + ds), min(len(hyp), end + de)
            if s < e:
                best = min(best, (Levenshtein.distance(line, hyp[s:e]), s, e))
    return best[1], best[2]
