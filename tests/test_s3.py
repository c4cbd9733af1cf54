"""The S3 object store against a real Ceph radosgw: it keeps what it is given, once, forever,
and never hands out bytes that do not match their SHA-256."""
from __future__ import annotations

import collections
import hashlib
import io
import logging
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from minio.commonconfig import ENABLED, GOVERNANCE
from minio.error import S3Error
from s3_server import s3_server  # noqa: F401  (session fixture)

from pipeline.core.errors import CorruptObject
from storage.base import ObjectStore
from storage.s3 import PART_SIZE, S3ObjectStore


@pytest.fixture
def raw(s3_server):  # noqa: F811
    """A plain client, to look behind the store's back or to tamper with objects."""
    return s3_server.client()


@pytest.fixture
def store(raw, tmp_path):
    return S3ObjectStore(raw, f"t-{uuid.uuid4().hex[:16]}", tmp_path / "cache")


def versions(raw, bucket: str, obj: str) -> list:
    return [o for o in raw.list_objects(bucket, prefix=obj, include_version=True)
            if o.object_name == obj and not o.is_delete_marker]


def test_round_trip_and_local_path(store, tmp_path):
    assert isinstance(store, ObjectStore)
    key = store.put(b"scan bytes")
    assert key == hashlib.sha256(b"scan bytes").hexdigest()
    assert store.exists(key) and store.get(key) == b"scan bytes"
    path = store.local_path(key)
    assert path.read_bytes() == b"scan bytes" and not path.stat().st_mode & 0o222
    assert store.local_path(key) == path
    source = tmp_path / "scan.png"
    source.write_bytes(b"file bytes")
    assert store.put_file(source) == hashlib.sha256(b"file bytes").hexdigest()
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(missing)
    with pytest.raises(FileNotFoundError):
        store.get(missing)
    with pytest.raises(FileNotFoundError):
        store.local_path(missing)
    with pytest.raises(ValueError):
        store.get("../etc/passwd")
    assert not any((store.cache / "tmp").iterdir())


def _requests(store) -> collections.Counter:
    """Every HTTP request the store's client sends from now on, by method."""
    counts: collections.Counter = collections.Counter()
    http, send = store.client._http, store.client._http.urlopen

    def urlopen(method, url, *args, **kwargs):
        counts[method] += 1
        return send(method, url, *args, **kwargs)

    http.urlopen = urlopen  # this client's pool only
    return counts


def test_what_the_cache_holds_costs_no_request(store, tmp_path):
    """A cached object is a stored one: storing it again, or asking whether it is there,
    sends nothing (bench.s3_requests counts them per page)."""
    key = store.put(b"page image")
    source = tmp_path / "scan.png"
    source.write_bytes(b"scan")
    scan = store.put_file(source)
    sent = _requests(store)
    assert store.put(b"page image") == key and store.exists(key) and store.exists(scan)
    assert store.put_file(source) == scan
    assert store.local_path(key).read_bytes() == b"page image"
    assert sent == {}, sent
    assert store.get(key) == b"page image" and sent == {"GET": 1}  # get reads the bucket


def test_a_named_write_is_one_check_one_put_one_listing(store):
    sent = _requests(store)
    assert store.put_named("pages/p.json", b"{}") is True
    assert sent == {"HEAD": 1, "PUT": 1, "GET": 1}, sent  # the GET: the version listing
    assert store.put_named("pages/p.json", b"{}") is False and store.get_named("pages/p.json") == b"{}"
    assert sent == {"HEAD": 1, "PUT": 1, "GET": 1}, sent  # known: kept in the cache


def test_put_file_caches_only_what_was_uploaded(store, tmp_path, monkeypatch):
    """Were a file cached before its upload, a failed upload would leave the cache
    claiming an object the bucket never got."""
    source = tmp_path / "scan.png"
    source.write_bytes(b"scan that does not get through")
    key = hashlib.sha256(source.read_bytes()).hexdigest()

    def outage(*_args, **_kwargs):
        raise ConnectionError("S3 down")

    with monkeypatch.context() as patched:
        patched.setattr(store, "_upload", outage)
        with pytest.raises(ConnectionError):
            store.put_file(source)
    assert not store._cache_path(key).exists() and not store.exists(key)
    assert not any((store.cache / "tmp").iterdir())
    assert store.put_file(source) == key and store._in_bucket(key)
    assert store._cache_path(key).exists()


def test_storing_again_writes_nothing(store, raw):
    key = store.put(b"same bytes")
    assert store.put(b"same bytes") == key
    assert len(versions(raw, store.bucket, f"sha256/{key}")) == 1


def test_bucket_is_versioned_with_object_lock(store, raw):
    assert raw.get_bucket_versioning(store.bucket).status == ENABLED
    raw.get_object_lock_config(store.bucket)  # raises when the bucket has no object lock
    reopened = S3ObjectStore(raw, store.bucket, store.cache)  # an existing bucket is fine
    assert reopened.get(store.put(b"kept")) == b"kept"


def test_named_objects_are_never_overwritten(store):
    assert store.put_named("pages/abc/0.json", b"first") is True
    assert store.put_named("pages/abc/0.json", b"second") is False
    assert store.get_named("pages/abc/0.json") == b"first"
    assert store.get_named("pages/abc/1.json") is None
    assert store.get_named("pages/abc/0") is None  # a prefix of a name is not that name


@pytest.mark.parametrize("name", ["../escape", "a/../../b", "/abs", "a//b", ""])
def test_names_cannot_escape_the_store(store, name):
    with pytest.raises(ValueError):
        store.put_named(name, b"x")


def test_a_later_write_behind_the_stores_back_changes_nothing(store, raw):
    """Versioning keeps every version, and the first one stays the value."""
    store.put_named("documents/d1.json", b'{"v": 1}')
    raw.put_object(store.bucket, "named/documents/d1.json", io.BytesIO(b"other"), 5)
    assert store.get_named("documents/d1.json") == b'{"v": 1}'
    assert store.put_named("documents/d1.json", b"third") is False
    kept = versions(raw, store.bucket, "named/documents/d1.json")
    assert len(kept) == 2
    first = raw.get_object(store.bucket, "named/documents/d1.json", version_id=kept[-1].version_id)
    assert first.read() == b'{"v": 1}'


def test_corrupted_content_is_never_returned(store, raw):
    key = store.put(b"original scan")
    raw.put_object(store.bucket, f"sha256/{key}", io.BytesIO(b"tampered scan"), 13)
    with pytest.raises(CorruptObject):
        store.get(key)
    store._cache_path(key).unlink()  # put() kept a verified copy: another worker has none
    with pytest.raises(CorruptObject):
        store.local_path(key)
    assert not store._cache_path(key).exists()
    assert not any((store.cache / "tmp").iterdir())
    old = versions(raw, store.bucket, f"sha256/{key}")[-1]  # the good bytes are still there
    assert raw.get_object(store.bucket, f"sha256/{key}", version_id=old.version_id).read() == b"original scan"


def test_corrupted_named_object_is_never_returned(store, raw):
    raw.put_object(store.bucket, "named/x.json", io.BytesIO(b"abc"), 3,
                   metadata={"x-amz-meta-sha256": hashlib.sha256(b"abd").hexdigest()})
    with pytest.raises(CorruptObject):
        store.get_named("x.json")


def test_large_object_goes_multipart(store, raw, tmp_path):
    data = random.Random(7).randbytes(20 << 20)
    assert len(data) > 2 * PART_SIZE
    source = tmp_path / "big.tif"
    source.write_bytes(data)
    key = store.put_file(source)
    assert key == hashlib.sha256(data).hexdigest()
    assert raw.stat_object(store.bucket, f"sha256/{key}").etag.endswith("-3")  # 3 parts
    assert store.get(key) == data
    other = data[::-1]  # the in-memory path too
    assert store.get(store.put(other)) == other
    assert store.put_named("big.bin", other) is True and store.get_named("big.bin") == other


def test_concurrent_puts_of_the_same_content(store, raw):
    data = random.Random(3).randbytes(2 << 20)
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: store.put(data), range(16)))
    assert keys == {hashlib.sha256(data).hexdigest()}
    key = keys.pop()
    # Racing writers may each land a version, but every version holds these exact bytes.
    assert {v.etag for v in versions(raw, store.bucket, f"sha256/{key}")} == {hashlib.md5(data).hexdigest()}
    assert store.get(key) == data


def test_concurrent_named_writers_agree_on_one_winner(store):
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda i: store.put_named("pages/k/0.json", f"value {i}".encode()), range(16)))
    assert won.count(True) == 1
    assert store.get_named("pages/k/0.json") == f"value {won.index(True)}".encode()


def test_retention_forbids_deleting_versions(raw, tmp_path):
    store = S3ObjectStore(raw, f"t-{uuid.uuid4().hex[:16]}", tmp_path / "cache",
                          retention_days=1, retention_mode=GOVERNANCE)
    key = store.put(b"archived record")
    version = versions(raw, store.bucket, f"sha256/{key}")[0]
    with pytest.raises(S3Error) as refused:
        raw.remove_object(store.bucket, f"sha256/{key}", version_id=version.version_id)
    assert refused.value.code == "AccessDenied"
    assert store.get(key) == b"archived record"


def test_credentials_stay_out_of_logs_and_repr(s3_server, tmp_path, caplog):  # noqa: F811
    from pipeline.core.settings import Settings

    settings = Settings(s3_endpoint=s3_server.endpoint, s3_access_key=s3_server.access_key,
                        s3_secret_key=s3_server.secret_key, s3_secure=False,
                        s3_bucket=f"t-{uuid.uuid4().hex[:16]}")
    with caplog.at_level(logging.DEBUG):
        store = S3ObjectStore.from_settings(settings, tmp_path / "cache")
        store.get(store.put(b"x"))
    assert s3_server.secret_key not in caplog.text + repr(store) + repr(settings)
