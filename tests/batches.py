"""Small real batches for the resilience tests: one- or two-page scans at 150 dpi, so a
batch runs in seconds yet goes through every stage."""
from __future__ import annotations

import random
from pathlib import Path

from samples.degrade import degrade
from samples.render import render_document

TYPES = ("can_cuoc", "giay_khai_sinh", "trich_luc_khai_tu", "xac_nhan_tinh_trang_hon_nhan")


def write_document(path: Path, doc_type: str, seed: int, dpi: int = 150) -> Path:
    rng = random.Random(seed)
    doc = render_document(doc_type, rng, dpi=dpi)
    pages = [degrade(p, rng, rotation=0, skew_deg=0.0, effects=[], dpi=dpi) for p in doc.pages]
    path.parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(path, dpi=(dpi, dpi), save_all=True, append_images=pages[1:])
    return path


def make_batch(batch: Path, documents: int, seed: int = 0) -> list[Path]:
    """`documents` dossiers of one document each: HS-000/<type>.tif, HS-001/…"""
    return [write_document(batch / f"HS-{i:03d}" / f"{TYPES[i % len(TYPES)]}.tif",
                           TYPES[i % len(TYPES)], seed + i) for i in range(documents)]
