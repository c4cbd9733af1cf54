"""A content-addressed object store: bytes go in, their SHA-256 comes back as the key.

Writes are atomic (temporary file, fsync, link into place) and never overwrite: the same
bytes always land on the same key, so storing twice is a no-op and nothing stored is lost.
Derived results (OCR of a page, a signed file) are also kept under *named* keys chosen by
the caller from their inputs, which is what makes the stages idempotent.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class ObjectStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_file(self, path: Path) -> str: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def put_named(self, name: str, data: bytes) -> bool: ...
    def get_named(self, name: str) -> bytes | None: ...
    def local_path(self, key: str) -> Path: ...


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
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"not a sha256 key: {key!r}")
        return self.root / "sha256" / key[:2] / key[2:]

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self.local_path(key)
        if not path.exists():
            _write_once(path, data)
        return key

    def put_file(self, path: Path) -> str:
        key = sha256_file(path)
        target = self.local_path(key)
        if not target.exists():
            _write_once(target, path.read_bytes())
        return key

    def get(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.local_path(key).exists()

    def _named_path(self, name: str) -> Path:
        if not _NAME.match(name) or ".." in name:
            raise ValueError(f"bad object name: {name!r}")
        return self.root / "named" / name

    def put_named(self, name: str, data: bytes) -> bool:
        """Store `data` under `name` unless something is already there; True if written."""
        path = self._named_path(name)
        if path.exists():
            return False
        return _write_once(path, data)

    def get_named(self, name: str) -> bytes | None:
        path = self._named_path(name)
        return path.read_bytes() if path.exists() else None


def _write_once(path: Path, data: bytes) -> bool:
    """Atomically create `path` with `data`; False if another writer got there first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)  # objects are immutable
        os.link(tmp, path)  # fails if path exists: never overwrite
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


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
        return _write_once(target, source.read_bytes())
