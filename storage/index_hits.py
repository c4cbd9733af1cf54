"""What index queries return: one Hit per document, a Page of hits with the total count."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from storage.index_archive import code_text


@dataclass
class Hit:
    document_id: str
    dossier_id: str
    document_type: str | None
    status: str  # done | needs_review (failed results are not indexed)
    source: str
    fields: dict
    valid: bool
    #: Storage keys: the signed file's SHA-256 (content-addressed store) and the artifact
    #: paths relative to out_root, as in result.json.
    signed_sha256: str | None
    sha256: dict
    artifacts: dict
    out_root: str
    #: Document-level archive metadata (TypeName, CodeNumber, IssuedDate, OrganName, ...).
    archive: dict
    owners: list[str] = field(default_factory=list)
    score: float | None = None  # full-text rank, higher is better (search only)
    snippet: str | None = None  # original text around the first match (search only)
    pages: list[int] = field(default_factory=list)  # 0-based pages that match (search only)

    def path(self, artifact: str = "signed") -> Path:
        return Path(self.out_root) / self.artifacts[artifact]

    def reuse_record(self) -> dict:
        """The reuse record of Nghị định 45/2020 Điều 16 (Kho quản lý dữ liệu điện tử)."""
        return {
            "result_id": self.document_id,
            "TenGiayTo": self.archive.get("TypeName"),
            "so_ky_hieu": code_text(self.archive),
            "issuing_agency": self.archive.get("OrganName"),
            "issued_date": self.archive.get("IssuedDate"),
            "valid_until": self.archive.get("ValidUntil"),
            "owner_ids": list(self.owners),
            "procedure_code": self.archive.get("ProcedureCode"),
            "files": [{"role": role, "path": path, "sha256": self.sha256.get(role)}
                      for role, path in sorted(self.artifacts.items())],
        }

    def to_dict(self) -> dict:
        return {**asdict(self), "reuse": self.reuse_record()}


@dataclass
class Page:
    items: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0

    def to_dict(self) -> dict:
        return {"total": self.total, "page": self.page, "per_page": self.per_page,
                "pages": self.pages, "items": [hit.to_dict() for hit in self.items]}


def hit_from_row(row, owners: list[str]) -> Hit:
    """A Hit from an index_documents row (plus an optional `score` column)."""
    sha256 = {role: getattr(row, f"sha256_{role}") for role in ("original", "pdfa", "signed")
              if getattr(row, f"sha256_{role}")}
    artifacts = {role: getattr(row, f"artifact_{role}") for role in ("pdfa", "signed")
                 if getattr(row, f"artifact_{role}")}
    mapping = row._mapping
    return Hit(document_id=row.document_id, dossier_id=row.dossier_id,
               document_type=row.document_type, status=row.status, source=row.source,
               fields=dict(row.fields or {}), valid=bool(row.valid),
               signed_sha256=row.sha256_signed, sha256=sha256, artifacts=artifacts,
               out_root=row.out_root, archive=dict(row.archive or {}), owners=owners,
               score=float(mapping["score"]) if "score" in mapping else None)
