"""Write a batch of synthetic scans, grouped into dossiers, with OUT/truth.json.

Layout: OUT/HS-001/01-giay-khai-sinh.png ... (1-4 documents per dossier) plus a couple
of loose files directly in OUT (each a dossier of its own). File names vary like real
uploads: mostly ASCII slugs, one with Vietnamese letters and one with spaces at least.

truth.json: {"generator", "seed", "documents": [{"source", "document_type", "fields",
"pages": [{"index", "text", "rotation", "skew_deg", "dpi", "degraded", "degradations"}]}]}.
`rotation` is the clockwise turn (0/90/180/270) the pipeline must undo, `skew_deg` the
angle (counter-clockwise positive) to undo after it; see samples/degrade.py.

Run: python -m samples.generate OUT --per-type 3 --seed 7
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import time
import unicodedata
from pathlib import Path

from PIL import Image

from .degrade import choose_effects, choose_geometry, degrade_scan
from .fake import TODAY
from .render import DOCUMENT_TYPES, render_document

GENERATOR = "sohoa-samples 1"
FORMATS = ("png", "jpeg", "tiff", "pdf")
MULTIPAGE = ("tiff", "pdf")
NAMES = {  # ascii slug, Vietnamese name
    "giay_khai_sinh": ("giay-khai-sinh", "giấy khai sinh"),
    "giay_chung_nhan_ket_hon": ("giay-chung-nhan-ket-hon", "giấy chứng nhận kết hôn"),
    "trich_luc_khai_tu": ("trich-luc-khai-tu", "trích lục khai tử"),
    "xac_nhan_tinh_trang_hon_nhan": ("xac-nhan-tinh-trang-hon-nhan", "xác nhận tình trạng hôn nhân"),
    "can_cuoc": ("can-cuoc", "căn cước"),
    "van_ban_hanh_chinh": ("van-ban", "văn bản"),
    "giay_chung_nhan_qsdd": ("gcn-qsdd", "sổ đỏ"),
}


def generate_batch(out: Path, per_type: int, seed: int = 0, *, degraded_ratio: float = 0.5,
                   rotations: bool = True, max_skew: float = 15.0,
                   formats: tuple[str, ...] = FORMATS, dpis: tuple[int, ...] = (200, 300)) -> Path:
    """Write per_type documents of each type under `out`; returns the truth.json path.

    Deterministic for a seed. Multi-page documents (the land certificate) need TIFF or
    PDF: if `formats` has neither, they are written as TIFF anyway.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty folder")
    if per_type < 0 or not 0.0 <= degraded_ratio <= 1.0 or not 0.0 <= max_skew <= 45.0:
        raise ValueError("per_type >= 0, 0 <= degraded_ratio <= 1 and 0 <= max_skew <= 45 are required")
    if not formats or set(formats) - set(FORMATS):
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}")
    if not dpis or any(int(d) < 72 for d in dpis):
        raise ValueError("dpis must be a non-empty list of resolutions >= 72")
    rng = random.Random(seed)
    kinds = [t for t in DOCUMENT_TYPES for _ in range(per_type)]
    rng.shuffle(kinds)
    out.mkdir(parents=True, exist_ok=True)
    documents = []
    for i, (kind, rel) in enumerate(_placements(rng, kinds)):
        dpi = int(rng.choice(dpis))
        doc = render_document(kind, rng, dpi)
        fmt = _format(rng, formats, len(doc.pages))
        name_rel = rel.format(name=_file_name(rng, kind, i), ext=_extension(rng, fmt))
        pages, images = [], []
        for index, (page, text) in enumerate(zip(doc.pages, doc.page_texts)):
            degraded = rng.random() < degraded_ratio
            rotation, skew, effects = 0, 0.0, []
            if degraded:
                rotation, skew = choose_geometry(rng, rotations, max_skew)
                effects = choose_effects(rng)
                page = degrade_scan(page, rng, rotation=rotation, skew_deg=skew, effects=effects, dpi=dpi)
            images.append(page)
            pages.append({"index": index, "text": text, "rotation": rotation, "skew_deg": skew,
                          "dpi": dpi, "degraded": degraded, "degradations": effects})
        path = out / name_rel
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, fmt, images, dpi, rng)
        documents.append({"source": name_rel, "document_type": kind, "fields": doc.fields, "pages": pages})
    truth = out / "truth.json"
    truth.write_text(json.dumps({"generator": GENERATOR, "seed": seed, "documents": documents},
                                ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return truth


def _placements(rng: random.Random, kinds: list[str]) -> list[tuple[str, str]]:
    """(type, "HS-001/01-{name}{ext}") per document: dossiers of 1-4, two loose files."""
    loose = 2 if len(kinds) >= 5 else (1 if len(kinds) >= 2 else 0)
    loose_at = set(rng.sample(range(len(kinds)), loose))
    placed, dossier, in_dossier, size, k = [], 0, 0, 0, 0
    for i, kind in enumerate(kinds):
        if i in loose_at:
            k += 1
            placed.append((kind, f"scan-{k:02d}-{{name}}{{ext}}"))
            continue
        if in_dossier == size:
            dossier, in_dossier, size = dossier + 1, 0, rng.randint(1, 4)
        in_dossier += 1
        placed.append((kind, f"HS-{dossier:03d}/{in_dossier:02d}-{{name}}{{ext}}"))
    return placed


def _file_name(rng: random.Random, kind: str, i: int) -> str:
    """Document 0 gets Vietnamese letters, document 1 spaces, a few others either."""
    slug, vi = NAMES[kind]
    pick = rng.random()
    if i == 0 or (i > 1 and pick < 0.08):
        name = vi.replace(" ", "-")
    elif i == 1 or (i > 1 and pick < 0.16):
        name = slug.replace("-", " ")
    else:
        name = slug
    return unicodedata.normalize("NFC", name)


def _format(rng: random.Random, formats: tuple[str, ...], n_pages: int) -> str:
    if n_pages == 1:
        return rng.choice(formats)
    multi = [f for f in formats if f in MULTIPAGE]
    return rng.choice(multi) if multi else "tiff"


def _extension(rng: random.Random, fmt: str) -> str:
    return {"png": ".png", "pdf": ".pdf", "jpeg": rng.choice((".jpg", ".jpg", ".jpeg")),
            "tiff": rng.choice((".tif", ".tiff"))}[fmt]


def _write(path: Path, fmt: str, images: list[Image.Image], dpi: int, rng: random.Random) -> None:
    first, rest = images[0], images[1:]
    if fmt == "png":
        first.save(path, "PNG", dpi=(dpi, dpi), compress_level=1)
    elif fmt == "jpeg":
        first.save(path, "JPEG", dpi=(dpi, dpi), quality=rng.randint(72, 92))
    elif fmt == "tiff":
        first.save(path, "TIFF", dpi=(dpi, dpi), compression="tiff_lzw", save_all=True,
                   append_images=rest)
    else:
        mode = "RGB" if any(im.mode != "L" for im in images) else "L"
        ims = [im.convert(mode) for im in images]
        # a fixed scan time keeps the bytes reproducible (Pillow would stamp the clock)
        stamp = time.gmtime(calendar.timegm(TODAY.timetuple()) + rng.randint(0, 86399))
        ims[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=ims[1:],
                    quality=rng.randint(70, 90), creationDate=stamp, modDate=stamp)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write a synthetic scan batch with truth.json")
    ap.add_argument("out", type=Path)
    ap.add_argument("--per-type", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--degraded-ratio", type=float, default=0.5)
    ap.add_argument("--no-rotations", action="store_true")
    ap.add_argument("--max-skew", type=float, default=15.0)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--dpis", default="200,300")
    a = ap.parse_args(argv)
    truth = generate_batch(a.out, a.per_type, a.seed, degraded_ratio=a.degraded_ratio,
                           rotations=not a.no_rotations, max_skew=a.max_skew,
                           formats=tuple(a.formats.split(",")), dpis=tuple(int(d) for d in a.dpis.split(",")))
    print(truth)


if __name__ == "__main__":
    main()
