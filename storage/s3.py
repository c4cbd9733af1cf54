"""The object store on S3 (Ceph radosgw, MinIO, AWS), with the local store's guarantees.

- Content objects live at `sha256/<hex>`; the key is the hex SHA-256 of the bytes. Every
  read is checked against it: a mismatch raises CorruptObject, never returns bad bytes.
- Nothing is overwritten and nothing is lost: the bucket is versioned (created with object
  lock, which also forbids ever suspending versioning; optional default retention).
- Named results live at `named/<name>` with their SHA-256 in `x-amz-meta-sha256`. A write
  is conditional (`If-None-Match: *`) and preceded by a check. radosgw 16 honours the
  condition only on unversioned buckets, so two racing writers can both land a version:
  the OLDEST version is the value (stable once seen), and only its writer gets True.
- `local_path` downloads into a local cache (atomic, verified, read-only files), which also
  keeps what `put` stored and named values once known (they never change);
  `put_file` copies the file aside first, so what is hashed is what is uploaded, and keeps
  that copy in the cache once uploaded: the workers that read the scan next find it there.
- The cache holds nothing the bucket does not: `put`, `put_file` and `exists` believe it and
  send no request for what it holds. `get` always reads the bucket (what `sohoa audit`
  checks); the pipeline reads what it just stored through `local_path`.
- Requests per page (bench.s3_requests): a HEAD before each write of content (radosgw
  stores a second version of the same bytes otherwise); a named write is HEAD, PUT and one
  version listing to learn whether it won. radosgw answers a listing in ~45 ms instead of
  ~2 ms unless its beast frontend sets `tcp_nodelay=1` (Nagle against delayed ACKs on the
  small XML answer): scripts/radosgw.sh sets it; set it on a production gateway too.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED
from minio.datatypes import Object
from minio.error import S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.versioningconfig import VersioningConfig

from pipeline.core.errors import CorruptObject
from storage.base import check_key, check_name

log = logging.getLogger("sohoa.s3")
PART_SIZE = 8 << 20  # up to this, one conditional PUT; above, multipart in parts this big
_CHUNK = 1 << 20
_MISSING = {"NoSuchKey", "NoSuchVersion"}


class S3ObjectStore:
    def __init__(self, client: Minio, bucket: str, cache_dir: Path, *,
                 retention_days: int | None = None, retention_mode: str = COMPLIANCE):
        self.client = client
        self.bucket = bucket
        self.cache = Path(cache_dir)
        (self.cache / "tmp").mkdir(parents=True, exist_ok=True)
        self._ensure_bucket(retention_days, retention_mode)
        # One writer per content key in this process: two threads storing the same bytes
        # (a scan present twice, its identical page images) would both find the key absent
        # and leave two versions of one object.
        self._guard = threading.Lock()
        self._writing: dict[str, threading.Lock] = {}

    def _writer(self, key: str) -> threading.Lock:
        with self._guard:
            return self._writing.setdefault(key, threading.Lock())

    @classmethod
    def from_settings(cls, settings, cache_dir: Path, **options) -> S3ObjectStore:
        """Build from pipeline.core.settings.Settings (s3_* fields); the secret stays in the client."""
        if not settings.s3_endpoint:
            raise ValueError("s3_endpoint is not set")
        secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
        client = Minio(settings.s3_endpoint, access_key=settings.s3_access_key, secret_key=secret,
                       secure=settings.s3_secure, region=settings.s3_region,
                       http_client=_http_client())
        return cls(client, settings.s3_bucket, cache_dir, **options)

    def __repr__(self) -> str:  # never the credentials
        return f"S3ObjectStore(bucket={self.bucket!r}, cache={str(self.cache)!r})"

    def _ensure_bucket(self, retention_days: int | None, mode: str) -> None:
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket, object_lock=True)
                log.info("created bucket %s (versioned, object lock)", self.bucket)
            except S3Error as exc:
                if exc.code != "BucketAlreadyOwnedByYou":  # a concurrent creator won
                    raise
        if self.client.get_bucket_versioning(self.bucket).status != ENABLED:
            self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        if retention_days:
            try:
                current = self.client.get_object_lock_config(self.bucket)
            except S3Error as exc:
                raise RuntimeError(f"bucket {self.bucket} has no object lock; retention needs a "
                                   "bucket created with it") from exc
            wanted = ObjectLockConfig(mode, retention_days, DAYS)
            if current != wanted:
                self.client.set_object_lock_config(self.bucket, wanted)

    # content-addressed objects

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        with self._writer(key):
            if self._cache_path(key).exists():  # the cache holds only what the bucket holds
                return key
            if not self._in_bucket(key):
                self._upload(_content(key), data)
            # What was just stored is published or read next (a hard link into the cache,
            # the assembly's page images): keeping it spares downloading it again.
            self._cache_write([data], expected=key)
        return key

    def put_file(self, path: Path) -> str:
        """Hash the file while copying it aside, upload that copy (what is hashed is what is
        uploaded), and only then keep it in the cache: a cached object is a stored one."""
        fd, tmp = tempfile.mkstemp(dir=self.cache / "tmp", prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, Path(path).open("rb") as fh:
                key = _copy_hashed(iter(lambda: fh.read(_CHUNK), b""), out)
            with self._writer(key):
                if self._cache_path(key).exists():
                    return key
                if not self._in_bucket(key):
                    size = os.stat(tmp).st_size
                    if size <= PART_SIZE:
                        self._upload(_content(key), Path(tmp).read_bytes())
                    else:
                        self.client.fput_object(self.bucket, _content(key), tmp, part_size=PART_SIZE)
                self._keep(tmp, key)
            return key
        finally:
            os.unlink(tmp)

    def get(self, key: str) -> bytes:
        data, _ = self._read(_content(check_key(key)))
        if hashlib.sha256(data).hexdigest() != key:
            raise self._corrupt(_content(key))
        return data

    def exists(self, key: str) -> bool:
        return self._cache_path(check_key(key)).exists() or self._in_bucket(key)

    def _in_bucket(self, key: str) -> bool:
        """Asked of the server (a HEAD), whatever the cache holds."""
        try:
            self.client.stat_object(self.bucket, _content(check_key(key)))
            return True
        except S3Error as exc:
            if exc.code in _MISSING:
                return False
            raise

    def local_path(self, key: str) -> Path:
        path = self._cache_path(check_key(key))
        if path.exists():
            return path
        response = self._open(_content(key))
        try:
            self._cache_write(response.stream(_CHUNK), expected=key)
        finally:
            response.close()
            response.release_conn()
        return path

    def keys(self) -> Iterator[str]:
        """Every content key in the bucket (its current versions), from the bucket's listing."""
        for obj in self.client.list_objects(self.bucket, prefix="sha256/", recursive=True):
            yield obj.object_name.removeprefix("sha256/")

    # named results

    def put_named(self, name: str, data: bytes) -> bool:
        """Store `data` under `name` unless something is already there; True if written."""
        obj = _named(check_name(name))
        if self._kept_named(name) is not None or self._first_version(obj) is not None:
            return False
        written = self._upload(obj, data, {"x-amz-meta-sha256": hashlib.sha256(data).hexdigest()})
        if written is None:  # the server refused the conditional write: someone was first
            return False
        first = self._listed_first(obj)  # it is there now: no HEAD first
        # The etag stands in when multipart completion does not report the version.
        won = first is not None and (first.version_id == written.version_id
                                     or (written.version_id is None and first.etag == written.etag))
        if won:
            self._keep_named(name, data)
        return won

    def get_named(self, name: str) -> bytes | None:
        kept = self._kept_named(name)
        if kept is not None:
            return kept
        obj = _named(check_name(name))
        first = self._first_version(obj)
        if first is None:
            return None
        data, headers = self._read(obj, first.version_id)
        if headers.get("x-amz-meta-sha256") != hashlib.sha256(data).hexdigest():
            raise self._corrupt(obj)
        self._keep_named(name, data)
        return data

    # A named value, once known, never changes (the oldest version is the value): kept in
    # the cache, a later read (the assembly reading its pages' records) costs no listing.

    def _kept_named(self, name: str) -> bytes | None:
        path = self.cache / "named" / check_name(name)
        return path.read_bytes() if path.exists() else None

    def _keep_named(self, name: str, data: bytes) -> None:
        path = self.cache / "named" / name
        fd, tmp = tempfile.mkstemp(dir=self.cache / "tmp", prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o444)
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)

    # helpers

    def _first_version(self, obj: str) -> Object | None:
        """The oldest live version: S3 lists a key's versions newest first."""
        if self._surely_absent(obj):
            return None
        return self._listed_first(obj)

    def _listed_first(self, obj: str) -> Object | None:
        versions = [o for o in self.client.list_objects(self.bucket, prefix=obj, include_version=True)
                    if o.object_name == obj and not o.is_delete_marker]
        return versions[-1] if versions else None

    def _surely_absent(self, obj: str) -> bool:
        """A HEAD first: most look-ups of a named result miss (is this step done yet?), and a
        miss costs about 1 ms where a version listing costs about 40 ms (radosgw). A key
        whose latest version is a delete marker still has older versions: it is listed."""
        try:
            self.client.stat_object(self.bucket, obj)
            return False
        except S3Error as exc:
            deleted = exc.response is not None and \
                exc.response.headers.get("x-amz-delete-marker") == "true"
            return exc.code in _MISSING and not deleted

    def _upload(self, obj: str, data: bytes, metadata: dict | None = None):
        """Write `data` at `obj`; None when a conditional write found something there."""
        if len(data) > PART_SIZE:
            return self.client.put_object(self.bucket, obj, io.BytesIO(data), len(data),
                                          metadata=metadata, part_size=PART_SIZE)
        headers = {"Content-Type": "application/octet-stream", "If-None-Match": "*",
                   "Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode(),
                   **(metadata or {})}
        try:
            # minio-py's public put_object turns unknown headers into user metadata, so the
            # conditional PUT goes through its plain PutObject call.
            return self.client._put_object(self.bucket, obj, data, headers)
        except S3Error as exc:
            if exc.code == "PreconditionFailed":
                return None
            raise

    def _open(self, obj: str, version_id: str | None = None):
        try:
            return self.client.get_object(self.bucket, obj, version_id=version_id)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise FileNotFoundError(f"no object {obj} in bucket {self.bucket}") from None
            raise

    def _read(self, obj: str, version_id: str | None = None) -> tuple[bytes, Mapping[str, str]]:
        response = self._open(obj, version_id)
        try:
            return response.read(), response.headers  # case-insensitive: servers differ
        finally:
            response.close()
            response.release_conn()

    def _corrupt(self, obj: str) -> CorruptObject:
        log.error("object %s in bucket %s does not match its sha256", obj, self.bucket)
        return CorruptObject(detail=f"object {obj} in bucket {self.bucket} does not match its sha256")

    def _cache_path(self, key: str) -> Path:
        # "stored/", not the "sha256/" of earlier versions, whose put_file cached a file
        # before uploading it: what is here now is known to be in the bucket.
        return self.cache / "stored" / key[:2] / key[2:]

    def _cache_write(self, chunks: Iterable[bytes], expected: str) -> Path:
        """Keep chunks (already in the bucket) in the cache under their sha256, which must
        be `expected`."""
        fd, tmp = tempfile.mkstemp(dir=self.cache / "tmp", prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                key = _copy_hashed(chunks, fh)
            if key != expected:
                raise self._corrupt(_content(expected))
            return self._keep(tmp, key)
        finally:
            os.unlink(tmp)

    def _keep(self, tmp: str, key: str) -> Path:
        """Link a written, hashed file into the cache (read-only; never replaces: a
        concurrent writer kept the same bytes)."""
        os.chmod(tmp, 0o444)  # cached objects are immutable
        path = self._cache_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        return path


def _copy_hashed(chunks: Iterable[bytes], out) -> str:
    """Write chunks to `out`, flushed to disk; their sha256."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        out.write(chunk)
    out.flush()
    os.fsync(out.fileno())
    return digest.hexdigest()


def _http_client() -> urllib3.PoolManager:
    """minio's own HTTP client, except that a write whose answer was lost is not sent again
    blindly: on a versioned bucket that stores the object twice (radosgw ignores
    If-None-Match there). Connections that fail before a request is sent are retried as
    before; a lost answer is retried by storage.retrying, which looks first."""
    timeout = 300
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeout, read=timeout), maxsize=10,
        cert_reqs="CERT_REQUIRED", ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=5, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504],
                              allowed_methods=frozenset({"GET", "HEAD"})))


def _content(key: str) -> str:
    return f"sha256/{key}"


def _named(name: str) -> str:
    return f"named/{name}"
