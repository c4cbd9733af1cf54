"""What every object store offers (local files, S3), and the checks they share.

Contract: `put`/`put_file` return the SHA-256 hex digest of the content, which is its key;
storing the same content again is a no-op. `put_named` stores a derived result under a
caller-chosen name once and never replaces it (True only for the write that counts).
`local_path` gives a read-only file with the object's content, for tools that need a path.
`keys` lists every content key, read from the store itself (what `sohoa audit` walks).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

_KEY = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


@runtime_checkable
class ObjectStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_file(self, path: Path) -> str: ...
    def get(self, key: str) -> bytes: ...  # FileNotFoundError if absent
    def exists(self, key: str) -> bool: ...
    def put_named(self, name: str, data: bytes) -> bool: ...
    def get_named(self, name: str) -> bytes | None: ...
    def local_path(self, key: str) -> Path: ...
    def keys(self) -> Iterator[str]: ...  # every content key stored (fixity audits)


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"not a sha256 key: {key!r}")
    return key


def check_name(name: str) -> str:
    """Names are relative paths of plain segments: nothing can climb out of the store."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise ValueError(f"bad object name: {name!r}")
    return name
