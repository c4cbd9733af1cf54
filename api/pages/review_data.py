"""What the review screen reads: the queue of documents that need review, a document's
fields (api.views.fields_out, with the confidence, page and box of each when the pipeline
provides them), its page images as stored by the stage graph, and its history."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from api.pages.session import Staff, actor_names
from api.service import Service
from api.views import fields_out
from storage.claims import Claim, ClaimStore
from storage.index import Hit
from storage.versions import Version
from workers.archive_record import current_version

QUEUE_SIZE = 200


def claims(svc: Service) -> ClaimStore:
    return ClaimStore(svc.db.engine)


@dataclass
class QueueRow:
    document_id: str
    type_name: str
    weakest: float | None  # lowest field confidence (0..100), when known
    issues: int
    since: datetime
    claim: Claim | None  # a live hold

    @property
    def age(self) -> str:
        minutes = int((datetime.now(UTC) - self.since).total_seconds() // 60)
        if minutes < 60:
            return f"{minutes} phút"
        if minutes < 48 * 60:
            return f"{minutes // 60} giờ"
        return f"{minutes // 1440} ngày"


def type_name(svc: Service, key: str | None) -> str:
    doc_type = svc.archive.types.get(key or "")
    return doc_type.name if doc_type else "Chưa xác định loại"


def fields_of(svc: Service, version: Version):
    return fields_out(version, svc.archive.types.get(version.document_type or ""))


def weakest(fields) -> float | None:
    known = [f.confidence for f in fields.fields if f.confidence is not None]
    return min(known) if known else None


def queue(svc: Service, staff: Staff) -> list[QueueRow]:
    found = svc.db.index.find_fields(status="needs_review", within=staff.agency_code,
                                     per_page=QUEUE_SIZE)
    held = claims(svc)
    all_claims = held.of_agency(staff.agency_code)
    rows = []
    for hit in found.items:
        version = current_version(svc.archive, hit)
        if version.status != "needs_review":
            continue
        claim = all_claims.get(hit.document_id)
        if claim is not None and claim.state == "rescan":
            continue  # waiting for its new scan: listed apart (rescans())
        first = svc.db.versions.get(hit.document_id, 1) or version
        claim = claim if claim and held.live_holder(claim) else None
        fields = fields_of(svc, version)
        rows.append(QueueRow(hit.document_id, type_name(svc, version.document_type),
                             weakest(fields), len(version.errors), first.created_at, claim))
    rows.sort(key=lambda r: (r.weakest if r.weakest is not None else 101.0, r.since))
    return rows


def rescans(svc: Service, staff: Staff) -> list[tuple[Claim, str]]:
    """The agency's documents waiting for a new scan, oldest request first, with their
    type's name."""
    waiting = [c for c in claims(svc).of_agency(staff.agency_code).values()
               if c.state == "rescan"]
    out = []
    for claim in sorted(waiting, key=lambda c: c.since):
        hit = svc.db.index.get(claim.document_id)
        out.append((claim, type_name(svc, hit.document_type if hit else None)))
    return out


def next_free(svc: Service, staff: Staff, after: str) -> str | None:
    """The next document of the queue nobody else holds (not `after`)."""
    for row in queue(svc, staff):
        if row.document_id != after and (row.claim is None or row.claim.actor == staff.actor):
            return row.document_id
    return None


@dataclass
class PageImage:
    index: int
    width: int
    height: int
    jpeg: str  # the object store key of the page image


def page_images(svc: Service, hit: Hit, version: Version) -> list[PageImage]:
    """The pages as the stage graph stored them (deskewed, oriented JPEG)."""
    if not version.sha256_original:
        return []
    ctx = svc.archive.context
    out = []
    for i in range(len(svc.db.index.page_texts(hit.document_id))):
        stored = ctx.store.get_named(ctx.page_name(version.sha256_original, i))
        if stored is None:
            break
        record = json.loads(stored)
        page = record.get("page") or {}
        out.append(PageImage(i, int(page.get("width") or 0), int(page.get("height") or 0),
                             record.get("jpeg") or ""))
    return out


def page_index(page: int | None, pages: list[PageImage]) -> int | None:
    """The index (from 0) in `pages` of a field's page as the API gives it (from 1, as in
    /pages/{n} and pipeline.understand's evidence), or None if there is no such page."""
    if page is None or not 1 <= page <= len(pages):
        return None
    return page - 1


def field_rows(fields, pages: list[PageImage], doc_type) -> list[dict]:
    """The rows of the field form: each field's value, confidence (0..100), messages, the
    index (from 0) of its page image and its box in percent of that image, then the
    fields the type has that OCR did not read."""
    rows = []
    for f in fields.fields:
        index = page_index(f.page, pages)
        rows.append({"key": f.key, "name": f.name, "value": text_of(f.value),
                     "source": f.source, "confidence": f.confidence, "messages": f.messages,
                     "page": index,
                     "box": box_percent(f.box, pages[index] if index is not None else None)})
    shown = {f.key for f in fields.fields}
    for key in (doc_type.schema.get("properties", {}) if doc_type else {}):
        if key not in shown:  # fields the type has but OCR did not read
            rows.append({"key": key, "name": doc_type.display_name(key), "value": "",
                         "source": "ocr", "confidence": None,
                         "messages": ["Chưa đọc được trường này."], "page": None, "box": None})
    return rows


def text_of(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def box_percent(box, page: PageImage | None) -> list[float] | None:
    """A field's box as [left, top, width, height] in percent of its page: boxes given as
    [x0, y0, x1, y1] in page pixels, or as fractions of the page (all ≤ 1)."""
    if not box or len(box) != 4 or page is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in box)
    if max(x0, y0, x1, y1) > 1.0:
        if not (page.width and page.height):
            return None
        x0, x1, y0, y1 = x0 / page.width, x1 / page.width, y0 / page.height, y1 / page.height
    return [round(100 * v, 3) for v in (x0, y0, max(x1 - x0, 0), max(y1 - y0, 0))]


def history(svc: Service, staff: Staff, document_id: str) -> list[dict]:
    names = actor_names(svc, staff.agency_code)
    versions = svc.db.versions.history(document_id)
    out = []
    for i, v in enumerate(versions):
        before = versions[i - 1].fields if i else {}
        changes = [(k, before.get(k), v.fields.get(k)) for k in
                   sorted(set(before) | set(v.fields)) if i and before.get(k) != v.fields.get(k)]
        out.append({"version": v.version, "when": v.created_at, "status": v.status,
                    "who": names.get(v.actor, "Hệ thống số hóa" if v.actor == "sohoa" else v.actor),
                    "reason": v.reason, "changes": changes})
    return out[::-1]


def actor_name(svc: Service, staff: Staff, actor: str) -> str:
    return actor_names(svc, staff.agency_code).get(
        actor, "Hệ thống số hóa" if actor == "sohoa" else actor)
