"""A dossier sent to the archive service: its files checked, stored, numbered, and a job
planned for the documents the agency does not have yet.

The same scan twice (same SHA-256), in one request or in two, is one document: the job
lists it as a duplicate of the document the agency already has. Scans come uploaded, or
as references to objects already in the archive's object store (`stored_uploads`).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.core.naming import document_name, vietnam_now
from pipeline.scan.load import inspect_source
from storage.jobs import DUPLICATE, PENDING, JobDocument, JobRecord
from workers.archive import Archive

MAX_NAME = 120


@dataclass(frozen=True)
class Upload:
    name: str  # as the client sent it
    path: Path  # a temporary copy
    sha256: str


def safe_name(name: str, taken: set[str]) -> str:
    """A file name that cannot climb out of its dossier folder nor hide control
    characters, unique in the dossier."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name or "")[-1])
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")[:MAX_NAME] or "tai-lieu"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{n}-{base}"
    taken.add(candidate.lower())
    return candidate


def admit_dossier(archive: Archive, agency_code: str, uploads: list[Upload],
                  job_id: str) -> JobRecord:
    """Check every file (InputError naming the first bad one: nothing is created), then
    make the dossier, store the new scans and plan their job."""
    limits = archive.settings.limits()
    checked = []
    for upload in uploads:
        try:
            checked.append((upload, inspect_source(upload.path, limits)))
        except InputError as exc:
            raise InputError(f"Tệp “{safe_name(upload.name, set())}”: {exc.message}", exc.code,
                             detail=exc.detail) from None
    db = archive.db
    dossier_key, ma = db.dossiers.dossier(f"api/{job_id}", agency_code, vietnam_now().date())
    documents: list[JobDocument] = []
    names: set[str] = set()
    seen: set[str] = set()
    for upload, info in checked:
        if upload.sha256 in seen:
            continue  # the same file twice in one request: one document
        seen.add(upload.sha256)
        name = safe_name(upload.name, names)
        document_id, outcome = _document_for(archive, agency_code, upload, dossier_key, ma, job_id)
        if outcome == PENDING:
            archive.store.put_file(upload.path)
        documents.append(JobDocument(position=len(documents) + 1, name=name,
                                     sha256=upload.sha256, kind=info.kind,
                                     page_count=info.page_count, document_id=document_id,
                                     outcome=outcome))
    return db.jobs.create(job_id, agency_code, ma, documents)


def _document_for(archive: Archive, agency_code: str, upload: Upload, dossier_key: int,
                  ma: str, job_id: str) -> tuple[str, str]:
    """(document id, pending | duplicate). A scan the agency sent before keeps its
    document; it is digitized again only if that document never got into the archive."""
    db = archive.db
    known = db.jobs.original(agency_code, upload.sha256)
    if known is None:
        order = db.dossiers.document_order(dossier_key, f"api/{job_id}/{upload.sha256}")
        known = db.jobs.claim_original(agency_code, upload.sha256, document_name(ma, order))
        if known == document_name(ma, order):
            return known, PENDING
    in_archive = db.index.get(known) is not None
    return known, DUPLICATE if in_archive else PENDING


@dataclass(frozen=True)
class StoredRef:
    """A scan already in the archive's object store: by content (`sha256`, the object
    `sha256/<hex>` of the bucket) or by name (`object`, the object `named/<name>`)."""
    sha256: str | None
    object: str | None
    name: str | None  # the file name in the dossier; default the object's


def stored_uploads(archive: Archive, refs: list[StoredRef], folder: Path) -> list[Upload]:
    """The referenced objects as uploads (read and checked against their hash by the store;
    a named one copied into `folder`); InputError naming the first one missing."""
    store, out = archive.store, []
    for ref in refs:
        label = ref.object or ref.sha256 or ""
        try:
            if ref.sha256:
                path = store.local_path(ref.sha256) if store.exists(ref.sha256) else None
                key = ref.sha256
            else:
                data = store.get_named(ref.object or "")
                path, key = None, None
                if data is not None:
                    key = hashlib.sha256(data).hexdigest()
                    path = folder / f"object-{len(out)}"
                    path.write_bytes(data)
        except ValueError:  # not a sha256, not a plain object name
            path = None
        if path is None:
            raise InputError(f"Không có đối tượng “{label[:200]}” trong kho lưu trữ.",
                             "object_not_found")
        default = (ref.object or "").rsplit("/", 1)[-1] or f"{key[:12]}"  # type: ignore[index]
        out.append(Upload(name=ref.name or default, path=path, sha256=key))  # type: ignore[arg-type]
    return out
