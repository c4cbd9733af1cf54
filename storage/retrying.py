"""An object store that waits out outages of the one it wraps (storage.base.ObjectStore).

Every operation of the contract is safe to repeat: content is keyed by its hash, a named
write never replaces what is there. So a call that failed with an outage (storage.transient)
is simply made again after back-off, within a time budget; a write whose answer was lost
finds its own object on the next try instead of storing it twice.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from storage.base import ObjectStore
from storage.transient import retry_transient


class RetryingStore:
    def __init__(self, inner: ObjectStore, budget_s: float):
        self.inner, self.budget_s = inner, budget_s

    def __repr__(self) -> str:
        return f"RetryingStore({self.inner!r})"

    def _retry(self, what: str, call):
        return retry_transient(call, budget_s=self.budget_s, what=f"object store {what}")

    def put(self, data: bytes) -> str:
        return self._retry("put", lambda: self.inner.put(data))

    def put_file(self, path: Path) -> str:
        return self._retry("put_file", lambda: self.inner.put_file(path))

    def get(self, key: str) -> bytes:
        return self._retry("get", lambda: self.inner.get(key))

    def exists(self, key: str) -> bool:
        return self._retry("exists", lambda: self.inner.exists(key))

    def put_named(self, name: str, data: bytes) -> bool:
        return self._retry("put_named", lambda: self.inner.put_named(name, data))

    def get_named(self, name: str) -> bytes | None:
        return self._retry("get_named", lambda: self.inner.get_named(name))

    def local_path(self, key: str) -> Path:
        return self._retry("local_path", lambda: self.inner.local_path(key))

    def keys(self) -> Iterator[str]:
        return iter(self._retry("keys", lambda: list(self.inner.keys())))  # type: ignore[attr-defined]
