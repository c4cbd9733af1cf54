"""Webhooks (per agency) and their delivery log.

Each registration has its own HMAC key, made here and shown once; it is kept in clear
because signing needs it (unlike a token, it cannot be stored as a hash). An event emitted
for an agency becomes one delivery row per registration wanting it; the dispatcher
(workers/webhooks.py) sends due rows and records each attempt's outcome on the row.
"""
from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from storage.archive_tables import webhook_deliveries as deliveries, webhooks

EVENTS = ("job.finished", "document.needs_review", "copy.issued", "copy.revoked")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


@dataclass(frozen=True)
class Webhook:
    id: str
    agency_code: str
    url: str
    events: tuple[str, ...]
    label: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: str
    agency_code: str
    event_id: str
    event: str
    payload: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _webhook(row) -> Webhook:
    return Webhook(row.id, row.agency_code, row.url, tuple(row.events.split()), row.label,
                   _aware(row.created_at), _aware(row.disabled_at))  # type: ignore[arg-type]


def _delivery(row) -> Delivery:
    values = {c.name: row._mapping[c.name] for c in deliveries.c}
    for key in ("next_attempt_at", "created_at", "delivered_at"):
        values[key] = _aware(values[key])
    return Delivery(**values)


class WebhookStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- registrations -------------------------------------------------------------------
    def create(self, agency_code: str, url: str, events: list[str], label: str = ""
               ) -> tuple[Webhook, str]:
        """A registration and its signing secret (shown once)."""
        unknown = sorted(set(events) - set(EVENTS))
        if unknown or not events:
            raise ValueError(f"unknown events {unknown}; known: {', '.join(EVENTS)}")
        hook_id, secret = secrets.token_hex(8), "whsec_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(insert(webhooks).values(
                id=hook_id, agency_code=agency_code, url=url, secret=secret,
                events=" ".join(sorted(set(events))), label=label,
                created_at=datetime.now(UTC)))
        return self.get(hook_id, agency_code), secret  # type: ignore[return-value]

    def get(self, hook_id: str, agency_code: str) -> Webhook | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(webhooks).where(
                (webhooks.c.id == hook_id) & (webhooks.c.agency_code == agency_code))).first()
        return _webhook(row) if row else None

    def list(self, agency_code: str) -> list[Webhook]:
        with self.engine.connect() as conn:
            return [_webhook(r) for r in conn.execute(select(webhooks).where(
                webhooks.c.agency_code == agency_code).order_by(webhooks.c.created_at))]

    def disable(self, hook_id: str, agency_code: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(update(webhooks).where(
                (webhooks.c.id == hook_id) & (webhooks.c.agency_code == agency_code)
                & webhooks.c.disabled_at.is_(None)).values(disabled_at=datetime.now(UTC)))
        return bool(done.rowcount)

    # -- events and deliveries -----------------------------------------------------------
    def emit(self, agency_code: str, event: str, data: dict) -> int:
        """One pending delivery per active registration of the agency wanting `event`."""
        if event not in EVENTS:
            raise ValueError(event)
        now = datetime.now(UTC)
        event_id = str(uuid.uuid4())
        payload = json.dumps({"id": event_id, "type": event, "agency": agency_code,
                              "created_at": now.isoformat(), "data": data},
                             ensure_ascii=False, sort_keys=True, default=str)
        with self.engine.begin() as conn:
            hooks = [r.id for r in conn.execute(select(webhooks).where(
                (webhooks.c.agency_code == agency_code) & webhooks.c.disabled_at.is_(None)))
                if event in r.events.split()]
            if hooks:
                conn.execute(insert(deliveries), [dict(
                    webhook_id=h, agency_code=agency_code, event_id=event_id, event=event,
                    payload=payload, state=PENDING, attempts=0, next_attempt_at=now,
                    created_at=now) for h in hooks])
        return len(hooks)

    def claim_due(self, lease: timedelta, limit: int = 20) -> list[tuple[Delivery, str, str]]:
        """Due deliveries with their URL and secret, each leased (its next attempt moved
        `lease` on) so that a second dispatcher does not send it at the same time."""
        now = datetime.now(UTC)
        claimed = []
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(deliveries, webhooks.c.url, webhooks.c.secret)
                .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
                .where((deliveries.c.state == PENDING) & (deliveries.c.next_attempt_at <= now))
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(limit)).all()
            for row in rows:
                done = conn.execute(update(deliveries).where(
                    (deliveries.c.id == row.id) & (deliveries.c.state == PENDING)
                    & (deliveries.c.attempts == row.attempts))
                    .values(next_attempt_at=now + lease))
                if done.rowcount:
                    claimed.append((_delivery(row), row.url, row.secret))
        return claimed

    def attempted(self, delivery_id: int, *, ok: bool, status: int | None, error: str | None,
                  next_attempt_at: datetime | None) -> None:
        """Record one attempt: delivered, retried at `next_attempt_at`, or failed for good
        (next_attempt_at None)."""
        now = datetime.now(UTC)
        state = DELIVERED if ok else (PENDING if next_attempt_at else FAILED)
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(
                attempts=deliveries.c.attempts + 1, state=state, last_status=status,
                last_error=(error or None) and error[:500], next_attempt_at=next_attempt_at,
                delivered_at=now if ok else None))

    def deliveries(self, agency_code: str, *, webhook_id: str | None = None,
                   limit: int = 100, after: int = 0) -> list[Delivery]:
        query = select(deliveries).where((deliveries.c.agency_code == agency_code)
                                         & (deliveries.c.id > after))
        if webhook_id is not None:
            query = query.where(deliveries.c.webhook_id == webhook_id)
        with self.engine.connect() as conn:
            return [_delivery(r) for r in conn.execute(query.order_by(deliveries.c.id)
                                                       .limit(limit))]
