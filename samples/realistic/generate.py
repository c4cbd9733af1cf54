"""Write a realistic batch: OUT/HS-001/… plus loose files and OUT/truth.json.

truth.json is the standard family's format (samples/generate.py) with, per document,
"family": "realistic", its "variant" (form generation or kind of page), "capture"
(photo, scan, card_scan, tiny) and "effects" (everything applied, in order); the header
adds the seed's "split" (see samples/realistic/__init__.py).

Run: python -m samples.realistic.generate OUT --per-type 2 --seed 1001
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import time
from pathlib import Path

from PIL import Image

from ..fake import TODAY
from ..generate import FORMATS, _extension, _file_name, _format, _placements, _write
from ..render import DOCUMENT_TYPES, nfc
from . import split_of
from .document import CAPTURES, VARIANTS, make_document
from .tiny import KINDS as TINY_KINDS, tiny_page

GENERATOR = "sohoa-samples-realistic 1"
TINY_NAMES = {"line": "dong-chu-cat-roi", "strip": "nhan-gay-hop"}


def generate_realistic(out: Path, per_type: int, seed: int, *, tiny: int = 2,
                       scan_dpis: tuple[int, ...] = (200, 300)) -> Path:
    """Write per_type documents of each type and `tiny` non-documents; returns truth.json.

    Deterministic for a seed. Each type cycles through its variants and captures from a
    random starting point, so per_type >= 5 shows every variant.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty folder")
    if per_type < 0 or tiny < 0:
        raise ValueError("per_type >= 0 and tiny >= 0 are required")
    rng = random.Random(seed)
    plans = []
    for kind in DOCUMENT_TYPES:
        variants, captures = list(VARIANTS[kind]), CAPTURES.get(kind, ("photo", "scan"))
        v0, c0 = rng.randrange(len(variants)), rng.randrange(len(captures))
        plans += [(kind, variants[(v0 + j) % len(variants)], captures[(c0 + j) % len(captures)])
                  for j in range(per_type)]
    plans += [(None, TINY_KINDS[j % len(TINY_KINDS)], "tiny") for j in range(tiny)]
    rng.shuffle(plans)
    out.mkdir(parents=True, exist_ok=True)
    documents = []
    placements = _placements(rng, [kind or "tiny" for kind, *_ in plans])
    for i, ((kind, variant, capture), (_, rel)) in enumerate(zip(plans, placements)):
        dpi = int(rng.choice(scan_dpis))
        if kind is None:
            entry, images, fmt = _tiny(variant, rng, dpi)
            name = TINY_NAMES[variant]
        else:
            doc = make_document(kind, variant, capture, rng, dpi)
            entry = {"document_type": kind, "fields": doc.fields, "pages": doc.pages,
                     "family": "realistic", "variant": variant, "capture": capture, "effects": doc.effects}
            images = doc.images
            fmt = ("jpeg" if len(images) == 1 else "pdf") if doc.photo else _format(rng, FORMATS, len(images))
            name = _photo_name(rng, i) if doc.photo and rng.random() < 0.5 else _file_name(rng, kind, i)
        source = rel.format(name=name, ext=_extension(rng, fmt))
        path = out / source
        path.parent.mkdir(parents=True, exist_ok=True)
        _save(path, fmt, images, entry["pages"], rng, photo=capture == "photo")
        documents.append({"source": source, **entry})
    truth = out / "truth.json"
    truth.write_text(json.dumps({"generator": GENERATOR, "family": "realistic", "seed": seed,
                                 "split": split_of(seed), "documents": documents},
                                ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return truth


def _tiny(kind: str, rng: random.Random, dpi: int) -> tuple[dict, list[Image.Image], str]:
    sheet = tiny_page(rng, dpi, kind)
    page = {"index": 0, "text": nfc("\n".join(sheet.lines)), "rotation": 0, "skew_deg": 0.0, "dpi": dpi,
            "degraded": False, "degradations": []}
    entry = {"document_type": None, "fields": {}, "pages": [page], "family": "realistic",
             "variant": kind, "capture": "tiny", "effects": [f"tiny:{kind}"]}
    return entry, [sheet.img], rng.choice(("png", "jpeg"))


def _photo_name(rng: random.Random, i: int) -> str:
    """What a phone calls its pictures (unique per document through the index)."""
    return f"IMG_2024{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}_{rng.randint(70000, 175959):06d}_{i:02d}"


def _save(path: Path, fmt: str, images: list[Image.Image], pages: list[dict], rng: random.Random,
          photo: bool) -> None:
    if not photo:
        _write(path, fmt, images, pages[0]["dpi"], rng)
        return
    quality = rng.randint(60, 85)  # a phone's or a chat app's re-encoding
    if fmt == "jpeg":  # phones record 72 dpi whatever the page's real resolution
        images[0].save(path, "JPEG", quality=quality, dpi=(72, 72))
    else:
        first, *rest = [im.convert("RGB") for im in images]
        # a fixed time keeps the bytes reproducible (Pillow would stamp the clock)
        stamp = time.gmtime(calendar.timegm(TODAY.timetuple()) + rng.randint(0, 86399))
        first.save(path, "PDF", resolution=72.0, save_all=True, append_images=rest, quality=quality,
                   creationDate=stamp, modDate=stamp)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write a realistic synthetic batch with truth.json")
    ap.add_argument("out", type=Path)
    ap.add_argument("--per-type", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--tiny", type=int, default=2)
    a = ap.parse_args(argv)
    print(generate_realistic(a.out, a.per_type, a.seed, tiny=a.tiny))


if __name__ == "__main__":
    main()
