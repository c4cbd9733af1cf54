"""The local content-addressed object store (storage.base.ObjectStore): bytes go in,
their SHA-256 comes back as the key.

Writes are atomic (temporary file, fsync, link into place) and never overwrite: the same
bytes always land on the same key, so storing twice is a no-op and nothing stored is lost.
Derived results (OCR of a page, a signed file) are also kept under *named* keys chosen by
the caller from their inputs, which is what makes the stages idempotent.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from pipeline.core.files import write_once
from storage.base import check_key, check_name


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class LocalObjectStore:
    """Objects under `root/sha256/ab/cdef…`, named results under `root/named/…`."""

    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "named").mkdir(parents=True, exist_ok=True)

    def local_path(self, key: str) -> Path:
        check_key(key)
        return self.root / "sha256" / key[:2] / key[2:]

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self.local_path(key)
        if not path.exists():
            write_once(path, data)
        return key

    def put_file(self, path: Path) -> str:
        key = sha256_file(path)
        target = self.local_path(key)
        if not target.exists():
            write_once(target, path.read_bytes())
        return key

    def get(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.local_path(key).exists()

    def keys(self) -> Iterator[str]:
        # The file name is the key: a file someone renamed or dropped in is listed as
        # found, and the audit's re-hash names it.
        for path in sorted((self.root / "sha256").glob("??/*")):
            if not path.name.startswith("."):
                yield path.parent.name + path.name

    def _named_path(self, name: str) -> Path:
        return self.root / "named" / check_name(name)

    def put_named(self, name: str, data: bytes) -> bool:
        """Store `data` under `name` unless something is already there; True if written."""
        path = self._named_path(name)
        if path.exists():
            return False
        return write_once(path, data)

    def get_named(self, name: str) -> bytes | None:
        path = self._named_path(name)
        return path.read_bytes() if path.exists() else None


def publish(source: Path, target: Path) -> bool:
    """Make a stored object visible at `target` (hard link, else copy), never overwriting."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return False
    try:
        os.link(source, target)
        return True
    except FileExistsError:
        return False
    except OSError:
        return write_once(target, source.read_bytes())
