"""Uploaded files to temporary files beside the object store, hashed on the way."""
from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile

from workers.intake import Upload

_CHUNK = 1 << 20


def _spool(upload: UploadFile, folder: Path) -> Upload:
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False) as out:
        while chunk := upload.file.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return Upload(name=upload.filename or "", path=Path(out.name), sha256=digest.hexdigest())


@contextmanager
def spooled(files: list[UploadFile], data_dir: Path) -> Iterator[list[Upload]]:
    """The uploads as files (removed afterwards, whatever happens)."""
    folder = Path(tempfile.mkdtemp(prefix="uploads-", dir=data_dir / ".sohoa"))
    try:
        yield [_spool(f, folder) for f in files]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def media_type(head: bytes) -> str:
    """The media type of stored bytes, by their first bytes."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return "application/octet-stream"
