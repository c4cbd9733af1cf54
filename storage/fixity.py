"""Fixity audit, as archives run it: every stored object is read back and hashed again.

What must be there comes from the index (each document's original, PDF/A and signed copy,
and every later version's), and what is there from the store's own listing; each object
is read from the store itself (for S3 the bucket, never the local cache) and its SHA-256
compared with its key. An object the index names but the store lacks is *missing*; one
whose bytes no longer match is *corrupt*; the published copies under OUT are checked the
same way, since they are what people open.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, or_, select

from pipeline.core.errors import CorruptObject
from storage.base import ObjectStore
from storage.index_db import DatabaseStore, documents

MISSING, CORRUPT = "missing", "corrupt"
_KINDS = ("original", "pdfa", "signed")


@dataclass(frozen=True)
class Finding:
    problem: str  # MISSING or CORRUPT
    key: str  # the object's SHA-256, or a published file's path relative to OUT
    used_by: tuple[str, ...]  # e.g. "H00.00.00.00-260101-0001.1 signed"


@dataclass
class FixityReport:
    objects_checked: int = 0
    files_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def count(self, problem: str) -> int:
        return sum(f.problem == problem for f in self.findings)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "objects_checked": self.objects_checked,
                "files_checked": self.files_checked,
                "missing": self.count(MISSING), "corrupt": self.count(CORRUPT),
                "findings": [{"problem": f.problem, "key": f.key, "used_by": list(f.used_by)}
                             for f in self.findings]}


@dataclass(frozen=True)
class Expected:
    """What the index says is stored: object key -> who uses it; published files."""

    objects: dict[str, list[str]]
    published: list[tuple[str, str, str]]  # (path relative to OUT, sha256, used by)


def expected_from_index(db: DatabaseStore, out_root: Path) -> Expected:
    objects: dict[str, list[str]] = {}
    published: list[tuple[str, str, str]] = []
    root = str(out_root)
    with db.engine.connect() as conn:
        rows = conn.execute(select(documents).where(or_(
            documents.c.out_root == root, documents.c.out_root == root.rstrip("/")))).all()
        for row in rows:
            for kind in _KINDS:
                key = getattr(row, f"sha256_{kind}")
                if key:
                    objects.setdefault(key, []).append(f"{row.document_id} {kind}")
            for kind in ("pdfa", "signed"):
                path, key = getattr(row, f"artifact_{kind}"), getattr(row, f"sha256_{kind}")
                if path and key:
                    published.append((path, key, f"{row.document_id} {kind}"))
        for key, who in _version_objects(conn, {r.document_id for r in rows}):
            objects.setdefault(key, []).append(who)
    return Expected(objects, published)


def _version_objects(conn, document_ids: set[str]) -> Iterator[tuple[str, str]]:
    """The archive service's later versions (corrections) of these documents."""
    if not document_ids or not inspect(conn).has_table("document_versions"):
        return
    from storage.archive_tables import versions

    for row in conn.execute(select(versions).where(versions.c.document_id.in_(document_ids))):
        for kind in _KINDS:
            key = getattr(row, f"sha256_{kind}")
            if key:
                yield key, f"{row.document_id} v{row.version} {kind}"


def audit(store: ObjectStore, expected: Expected, out_root: Path) -> FixityReport:
    """Re-hash every object the index names or the store holds, and every published file."""
    report = FixityReport()
    listed = set(store.keys())
    for key in sorted(listed | set(expected.objects)):
        report.objects_checked += 1
        problem = _check_object(store, key, listed)
        if problem:
            report.findings.append(Finding(problem, key, tuple(expected.objects.get(key, ()))))
    for rel, key, who in expected.published:
        report.files_checked += 1
        problem = _check_file(out_root / rel, key)
        if problem:
            report.findings.append(Finding(problem, rel, (who,)))
    return report


def _check_object(store: ObjectStore, key: str, listed: set[str]) -> str | None:
    if key not in listed and not store.exists(key):
        return MISSING
    try:
        data = store.get(key)  # S3 checks the hash itself and raises CorruptObject
    except FileNotFoundError:
        return MISSING
    except CorruptObject:
        return CORRUPT
    return None if hashlib.sha256(data).hexdigest() == key else CORRUPT


def _check_file(path: Path, key: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return MISSING
    return None if digest.hexdigest() == key else CORRUPT
