"""A document's page images as the archive keeps them: the archive JPEG the stages made for
each page (its record in the object store names it), else the page's image inside the
document's PDF/A (a document whose page records were made with other options); and
thumbnails of them, made once and kept in the object store."""
from __future__ import annotations

import io
import json
import logging

from storage.versions import Version
from workers.archive import Archive

log = logging.getLogger("sohoa.pages")
THUMBNAIL_QUALITY = 80


def page_jpeg(archive: Archive, version: Version, index: int) -> bytes | None:
    """The 0-based page's image (JPEG bytes), or None if the document has no such page."""
    ctx = archive.context
    if version.sha256_original:
        record = ctx.store.get_named(ctx.page_name(version.sha256_original, index))
        if record is not None:
            return ctx.store.get(json.loads(record)["jpeg"])
    return _from_pdfa(archive, version, index) if version.sha256_pdfa else None


def _from_pdfa(archive: Archive, version: Version, index: int) -> bytes | None:
    import pikepdf
    from pikepdf import PdfImage

    with pikepdf.open(io.BytesIO(archive.store.get(version.sha256_pdfa or ""))) as pdf:
        if not 0 <= index < len(pdf.pages):
            return None
        images = sorted(pdf.pages[index].images.values(),
                        key=lambda im: -int(im.get("/Width", 0)) * int(im.get("/Height", 0)))
        if not images:
            return None
        image = images[0]  # the scan (the stamp and QR are smaller, if any)
        if image.get("/Filter") == pikepdf.Name.DCTDecode:
            return image.read_raw_bytes()
        out = io.BytesIO()
        PdfImage(image).as_pil_image().convert("RGB").save(out, "JPEG", quality=90)
        return out.getvalue()


def thumbnail(archive: Archive, jpeg: bytes, width: int) -> bytes:
    """`jpeg` scaled to `width` pixels wide (never up), kept under a name of its hash."""
    import hashlib

    from PIL import Image

    name = f"thumbnails/{hashlib.sha256(jpeg).hexdigest()}.w{width}.jpg"
    stored = archive.store.get_named(name)
    if stored is not None:
        return stored
    with Image.open(io.BytesIO(jpeg)) as image:
        image.draft("RGB", (width, width * 4))  # JPEG decodes at a fraction of its size
        image = image.convert("RGB")
        if image.width > width:
            image = image.resize((width, max(1, round(image.height * width / image.width))),
                                 Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    data = out.getvalue()
    archive.store.put_named(name, data)
    return data
