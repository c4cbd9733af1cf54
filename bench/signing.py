"""Signing and verification throughput: `python -m bench.signing`.

Signs pipeline PDF/As (pipeline.pdf.pdfa.build_pdfa: A4 scans at 200 dpi with an OCR text
layer) of 1 and 20 pages, one after the other in this process pinned to one CPU core:
PAdES B-B with the development identity, and B-LTA against the offline test PKI
(tests/pki/certomancer.yml), which this starts on loopback (its TSA, OCSP and CRLs run
in their own process, as a real TSA would). Then times pipeline.signing.validation.verify_pdf on
each result. Prints signatures per second (wall clock, per signature, after warm-up).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

A4_200DPI = (1654, 2339)  # pixels
TARGET_B_B_PER_S = 20.0


def make_document(pages: int) -> bytes:
    """A pipeline PDF/A of ``pages`` A4 pages: a printed-looking page, ~40 OCR lines."""
    from pipeline.core.model import Word
    from pipeline.pdf.pdfa import DocumentInfo, PdfPage, build_pdfa
    from pipeline.scan.archive_image import encode_page_image

    width, height = A4_200DPI
    pixels = np.full((height, width, 3), 245, np.uint8)
    words = []
    for line in range(40):
        top = 200 + line * 48
        for i in range(8):
            left = 150 + i * 170
            cv2.putText(pixels, f"chu{line}{i}", (left, top + 30), cv2.FONT_HERSHEY_SIMPLEX,
                        1.0, (30, 30, 30), 2, cv2.LINE_AA)
            words.append(Word(f"chữ{line}{i}", left, top, 150, 36, 90.0, line))
    page = PdfPage(encode_page_image(pixels), width, height, 200.0, words)
    info = DocumentInfo(title=f"bench-{pages}", created=datetime.now(UTC))
    return build_pdfa([page] * pages, info)


def time_calls(fn, count: int, warmup: int = 2) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this process) seconds of each call, after warm-up."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(count):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def pin_to_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="signatures per B-B case")
    parser.add_argument("--lta-count", type=int, default=10, help="signatures per B-LTA case")
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 20])
    args = parser.parse_args(argv)

    from pyhanko.keys import load_cert_from_pemder

    from pipeline.signing.identity import identity_ca_cert_path, load_test_identity
    from pipeline.signing.report import report_text
    from pipeline.signing.sign import sign_pdf
    from pipeline.signing.validation import verify_pdf
    from samples.pki_loopback import LoopbackPki

    console = Console(width=None if sys.stdout.isatty() else 130)
    core = pin_to_one_core()
    workdir = Path(tempfile.mkdtemp(prefix="sohoa-bench-signing-"))
    agency = "ĐƠN VỊ SỐ HÓA THỬ NGHIỆM"
    test_identity = load_test_identity(workdir / "home", agency)
    test_ca = load_cert_from_pemder(identity_ca_cert_path(workdir / "home", agency))
    documents = {n: make_document(n) for n in args.pages}
    pki = LoopbackPki(workdir / "pki").start()
    rows = []
    try:
        pki_identity = pki.identity("signer-rsa")
        cases = [("B-B", test_identity, None, test_ca, args.count),
                 ("B-LTA", pki_identity, pki.profile("B-LTA"), pki.root, args.lta_count)]
        for level, identity, profile, root, count in cases:
            for pages, pdf in documents.items():
                def sign(pdf=pdf, identity=identity, profile=profile):
                    return sign_pdf(pdf, identity, agency_name=agency, profile=profile)

                def verify(signed, roots=(root,)):
                    return verify_pdf(signed, trust_roots=roots)

                times, cpu = time_calls(sign, count)
                signed = sign()
                report = verify(signed)
                assert report.ok, report_text(report)
                vtimes, _ = time_calls(lambda signed=signed: verify(signed), 5, 1)
                rows.append((level, pages, len(pdf), len(signed) - len(pdf),
                             statistics.median(times), statistics.median(cpu),
                             count / sum(times), statistics.median(vtimes)))
    finally:
        pki.stop()

    table = Table(title=f"sohoa signing, one process on {core} (RSA-2048, SHA-256)")
    for column in ("level", "pages", "PDF KB", "added KB", "sign ms (median)",
                   "our CPU ms", "signatures/s", "verify ms (median)"):
        table.add_column(column, justify="right")
    for level, pages, size, added, median, cpu, rate, verify in rows:
        table.add_row(level, str(pages), f"{size / 1024:.0f}", f"{added / 1024:.1f}",
                      f"{median * 1000:.1f}", f"{cpu * 1000:.1f}", f"{rate:.1f}",
                      f"{verify * 1000:.1f}")
    console.print(table)
    console.print("signatures/s: wall clock, one after the other; B-LTA waits for the test "
                  "TSA, OCSP and CRL server (certomancer) between its CPU ms.")
    b_b_one = next((r[6] for r in rows if r[0] == "B-B" and r[1] == 1), None)
    if b_b_one is not None:
        verdict = "met" if b_b_one >= TARGET_B_B_PER_S else "NOT met"
        console.print(f"target B-B ≥ {TARGET_B_B_PER_S:.0f}/s on a 1-page document: "
                      f"{verdict} ({b_b_one:.1f}/s)")
        return 0 if b_b_one >= TARGET_B_B_PER_S else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
