"""What the API answers and accepts (pydantic; the OpenAPI document is made from these).
Field names are English; messages for people are Vietnamese."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobState = Literal["queued", "running", "succeeded", "partially_succeeded", "failed", "canceled"]
Verdict = Literal["VALID", "INDETERMINATE", "INVALID"]


class JobDocumentOut(BaseModel):
    position: int
    name: str
    sha256: str
    pages: int
    document_id: str
    outcome: str  # pending | done | needs_review | failed | duplicate | canceled
    error: str | None = None


class JobOut(BaseModel):
    id: str
    dossier_id: str
    state: JobState
    stage: str
    pages_done: int
    pages_total: int
    cancel_requested: bool
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    documents: list[JobDocumentOut]
    url: str


class FileLink(BaseModel):
    kind: Literal["original", "pdfa", "signed"]
    sha256: str
    url: str


class DocumentOut(BaseModel):
    id: str
    dossier_id: str
    status: str
    document_type: str | None
    version: int
    etag: str
    pages: int
    owners: list[str]
    archive: dict[str, Any]
    review: list[str]  # Vietnamese: what a person must check
    files: list[FileLink]
    updated_at: datetime


class FieldOut(BaseModel):
    key: str
    name: str  # as printed on the form
    value: Any
    source: Literal["ocr", "clerk"]
    # Where and how surely OCR read it: the pipeline does not keep these per field yet
    # (pipeline/understand drops them after its checks), so they are null for now.
    confidence: float | None = None
    page: int | None = None
    box: list[float] | None = None
    messages: list[str]  # Vietnamese validation messages for this field


class FieldsOut(BaseModel):
    document_id: str
    version: int
    etag: str
    status: str
    fields: list[FieldOut]
    messages: list[str]  # about the document as a whole (type, pages)


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, Any] = Field(min_length=1, description="key → new value (null removes)")
    reason: str = Field(min_length=3, max_length=1000)


class VersionOut(BaseModel):
    version: int
    status: str
    reason: str | None
    actor: str
    created_at: datetime
    changed: list[str]  # fields that differ from the previous version
    files: list[FileLink]


class SearchPage(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[dict[str, Any]]


class TokenOut(BaseModel):
    id: str
    label: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class SignatureOut(BaseModel):
    field: str
    kind: str
    signer: str | None
    level: str | None
    signing_time: str | None
    timestamp: dict[str, Any] | None
    indication: str | None
    intact: bool
    valid: bool
    trusted: bool
    revocation: str
    coverage: str
    modification_level: str | None
    chain: list[str]
    changes: list[str]
    problems: list[str]
    warnings: list[str]
    verdict: Verdict


class CopyOut(BaseModel):
    """What a verification code alone reveals: no personal data."""
    copy_id: str
    code: str
    number: int
    year: int
    book: str
    certified_on: str
    agency: str
    copies: int
    revoked: bool = False


class VerificationOut(BaseModel):
    verdict: Verdict
    sha256: str | None = None
    signatures: list[SignatureOut] = []
    pdfa: dict[str, Any] | None = None
    problems: list[str] = []
    copy_: CopyOut | None = Field(default=None, alias="copy")
    register_entry: dict[str, Any] | None = Field(default=None, alias="register")  # only for a matching file
    file_matches_register: bool | None = None

    model_config = ConfigDict(populate_by_name=True)
