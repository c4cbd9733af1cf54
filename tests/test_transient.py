"""Which failures are outages (retried with back-off) and which are verdicts (not retried)."""
from __future__ import annotations

import errno

import pytest
import urllib3.exceptions
from minio.error import S3Error
from sqlalchemy.exc import IntegrityError, OperationalError

from pipeline.core.errors import CorruptObject, ToolMissing
from storage.objects import LocalObjectStore
from storage.retrying import RetryingStore
from storage.transient import backoff_s, is_transient, retry_transient


def _s3(code: str) -> S3Error:
    return S3Error(None, code, "message", "resource", "request", "host")


@pytest.mark.parametrize("exc", [
    ConnectionRefusedError(), TimeoutError(), OSError(errno.EHOSTUNREACH, "unreachable"),
    urllib3.exceptions.MaxRetryError(None, "/", "refused"), _s3("SlowDown"),
    OperationalError("SELECT 1", {}, Exception("server closed the connection")),
])
def test_outages_are_transient(exc):
    assert is_transient(exc)


@pytest.mark.parametrize("exc", [
    FileNotFoundError(), PermissionError(), OSError(errno.ENOSPC, "full"), ValueError(),
    CorruptObject(), ToolMissing(), _s3("AccessDenied"),
    IntegrityError("INSERT", {}, Exception("duplicate key")),
])
def test_verdicts_are_not(exc):
    assert not is_transient(exc)


def test_backoff_grows_with_jitter_and_a_ceiling():
    assert 0.5 <= backoff_s(0) <= 1 and 4 <= backoff_s(3) <= 8 and backoff_s(30) <= 60


def test_retry_until_it_answers_or_the_budget_is_spent(monkeypatch):
    monkeypatch.setattr("storage.transient.time.sleep", lambda s: None)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError()
        return "ok"

    assert retry_transient(flaky, budget_s=60, what="test") == "ok" and len(calls) == 3
    with pytest.raises(ConnectionResetError):
        retry_transient(lambda: (_ for _ in ()).throw(ConnectionResetError()), budget_s=0, what="t")
    with pytest.raises(FileNotFoundError):  # a verdict is not retried at all
        retry_transient(lambda: (_ for _ in ()).throw(FileNotFoundError()), budget_s=60, what="t")


def test_retrying_store_is_an_object_store_with_keys(tmp_path):
    from storage.base import ObjectStore

    store = RetryingStore(LocalObjectStore(tmp_path), budget_s=1)
    assert isinstance(store, ObjectStore)
    key = store.put(b"bytes")
    assert list(store.keys()) == [key] and store.get(key) == b"bytes"
    assert store.put_named("a/b.json", b"x") and not store.put_named("a/b.json", b"y")
    assert store.get_named("a/b.json") == b"x"
