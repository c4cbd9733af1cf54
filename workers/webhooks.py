"""Webhook events and their delivery.

`notify` records an event for an agency (one delivery per registration wanting it) and
wakes the dispatcher; it never lets a webhook problem break the work that emitted it.
The `Dispatcher` thread of the service POSTs due deliveries as JSON, signed:

    Sohoa-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

A 2xx answer delivers it; anything else (or no answer) is tried again after
backoff × 2^(attempt-1) seconds, up to SOHOA_WEBHOOK_MAX_ATTEMPTS, and each attempt is
written on the delivery's row (the log the API shows). Secrets never reach a log.
Only http(s) receivers outside this machine and private networks get deliveries, checked
at every attempt (workers/webhook_targets.py; SOHOA_WEBHOOK_ALLOW_PRIVATE=1 lifts it).
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from storage.webhooks import Delivery
from workers.archive import Archive
from workers.webhook_targets import TargetRefused, post, resolve_target

log = logging.getLogger("sohoa.webhooks")
SIGNATURE_HEADER = "Sohoa-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def notify(archive: Archive, agency_code: str, event: str, data: dict) -> None:
    try:
        if archive.db.webhooks.emit(agency_code, event, data):
            archive.webhooks_due.set()
    except Exception:  # the event is lost, the work that emitted it is not
        log.exception("webhook event %s for %s not recorded", event, agency_code)


class Dispatcher:
    """Sends due deliveries from a background thread until stopped."""

    def __init__(self, archive: Archive, poll_s: float = 1.0):
        self.archive, self.poll_s = archive, poll_s
        self.settings = archive.settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sohoa-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.archive.webhooks_due.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhook_timeout_s + 5)

    def _loop(self) -> None:
        due = self.archive.webhooks_due
        while not self._stop.is_set():
            due.clear()
            try:
                sent = self.run_once()
            except Exception:
                log.exception("webhook dispatch failed")
                sent = 0
            if not sent:
                due.wait(self.poll_s)

    def run_once(self) -> int:
        lease = timedelta(seconds=self.settings.webhook_timeout_s + 30)
        claimed = self.archive.db.webhooks.claim_due(lease)
        for delivery, url, secret in claimed:
            if self._stop.is_set():
                break
            self._attempt(delivery, url, secret)
        return len(claimed)

    def _attempt(self, delivery: Delivery, url: str, secret: str) -> None:
        body = delivery.payload.encode()
        headers = {
            "Content-Type": "application/json", "User-Agent": "sohoa-webhooks",
            "Sohoa-Event": delivery.event, "Sohoa-Event-Id": delivery.event_id,
            "Sohoa-Delivery": str(delivery.id),
            SIGNATURE_HEADER: sign(secret, int(time.time()), body)}
        status, error = None, None
        try:
            target = resolve_target(url, allow_private=self.settings.webhook_allow_private)
            status = post(target, body, headers, self.settings.webhook_timeout_s)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except TargetRefused as exc:  # checked again at every attempt: DNS may change
            error = f"refused: {exc.message}"
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        attempts = delivery.attempts + 1
        retry = None
        if not ok and attempts < self.settings.webhook_max_attempts:
            wait = self.settings.webhook_backoff_s * 2 ** (attempts - 1)
            retry = datetime.now(UTC) + timedelta(seconds=wait)
        self.archive.db.webhooks.attempted(delivery.id, ok=ok, status=status, error=error,
                                           next_attempt_at=retry)
        if not ok:
            log.info("webhook delivery %s (%s) attempt %d failed: %s", delivery.id,
                     delivery.event, attempts, error or status)
