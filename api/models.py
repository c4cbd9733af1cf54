"""What the API answers and accepts (pydantic; the OpenAPI document is made from these).
Field names are English; messages for people are Vietnamese."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

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


class RescanOut(BaseModel):
    """A reviewer asked for the paper to be scanned again: the document is out of the
    review queue until the new scan (POST /documents/{id}/rescan) is recorded."""
    reason: str
    requested_by: str  # the actor, as the audit trail names it
    requested_at: datetime


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
    rescan_requested: RescanOut | None = None


class FieldOut(BaseModel):
    key: str
    name: str  # as printed on the form
    value: Any
    source: Literal["ocr", "clerk"]
    # How surely and where OCR read it: the weakest word's confidence (0..100; null for a
    # value a clerk typed), the page (1-based, as in /pages/{n}) and the box [x0, y0, x1, y1]
    # as fractions of that page's width and height. Null for a document digitized before
    # they were kept, or a field no word on the paper gave.
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
    revoked_on: str | None = None  # the day it was revoked (no reason: it may name people)


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


class CopyRequestIn(BaseModel):
    """A request for certified copies of a document's current version (`sohoa certify`)."""
    model_config = ConfigDict(extra="forbid")
    document_id: str = Field(min_length=1, max_length=80)
    requester: str = Field(min_length=1, max_length=200, description="người yêu cầu chứng thực")
    certifier_name: str = Field(min_length=1, max_length=200)
    certifier_title: str = Field(min_length=1, max_length=200, description="e.g. Phó Chủ tịch")
    copies: int = Field(1, ge=1, le=100, description="made at once, under one number")
    book: str | None = Field(None, pattern=r"^\d{2,3}/\d{4}$", description="quyển số, 01/2026")
    document_name: str | None = Field(None, max_length=300)
    notes: str = Field("", max_length=1000)


class IssuedCopyOut(BaseModel):
    copy_id: str
    code: str
    verify_url: str
    sha256: str
    pades_level: str
    pades_fallback: str | None = None
    url: str
    file_url: str


class CertificationOut(BaseModel):
    number: int
    year: int
    book: str
    book_label: str
    date: str
    document_id: str
    document_name: str
    requester: str
    certifier: str
    fee: int
    test_signatures: bool
    copies: list[IssuedCopyOut]


class CopyDetailOut(BaseModel):
    copy_id: str
    code: str
    entry: dict[str, Any]  # the whole register entry
    sha256: str | None
    file_url: str | None
    revoked: bool
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=1000)


WebhookEvent = Literal["job.finished", "document.needs_review", "copy.issued", "copy.revoked"]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: HttpUrl = Field(description="where events are POSTed (http or https)")
    events: list[WebhookEvent] = Field(min_length=1)
    label: str = Field("", max_length=200)


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    label: str
    created_at: datetime
    disabled_at: datetime | None
    deliveries_url: str
    # Only in the answer that made it: the HMAC-SHA256 key that signs every delivery
    # (header Sohoa-Signature: t=<unix time>,v1=<hex HMAC of "<t>." + body>).
    secret: str | None = None


class DeliveryOut(BaseModel):
    id: int
    webhook_id: str
    event: str
    event_id: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class StoredObjectIn(BaseModel):
    """A scan already in the archive's object store: by content (`sha256`: the object
    `sha256/<hex>` of the bucket) or by name (`object`: the object `named/<name>`, carrying
    its SHA-256 as metadata `x-amz-meta-sha256`)."""
    model_config = ConfigDict(extra="forbid")
    sha256: str | None = Field(None, pattern="^[0-9a-f]{64}$")
    object: str | None = Field(None, min_length=1, max_length=1000)
    name: str | None = Field(None, max_length=255, description="file name in the dossier")

    @model_validator(mode="after")
    def _one_of(self):
        if (self.sha256 is None) == (self.object is None):
            raise ValueError("give exactly one of sha256 or object")
        return self


class ObjectsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    objects: list[StoredObjectIn] = Field(min_length=1, max_length=1000)
