"""The one way sohoa writes a file: whole or not at all (a temporary file in the same
folder, flushed to disk, then renamed or linked into place), never world-readable while
it is being written (mkstemp makes it 0600)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def _temporary_beside(path: Path, data: bytes, mode: int) -> Iterator[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        yield tmp
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create or replace `path` with `data` atomically."""
    with _temporary_beside(path, data, mode) as tmp:
        os.replace(tmp, path)


def write_once(path: Path, data: bytes, mode: int = 0o444) -> bool:
    """Create `path` with `data` atomically; False (and nothing changed) if it exists."""
    with _temporary_beside(path, data, mode) as tmp:
        try:
            os.link(tmp, path)  # fails if path exists: never overwrite
        except FileExistsError:
            return False
    return True
