"""The webhook dispatcher on its own: a receiver that never answers makes the delivery
wait longer after each attempt, then fail for good; the signature is HMAC-SHA256 over
"<t>." + body; an agency's events reach only its own registrations."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from pipeline.core.settings import load_settings
from tests.api_server import free_port
from workers.archive import Archive
from workers.webhooks import Dispatcher, notify, sign


def test_a_receiver_that_never_answers_is_retried_with_backoff_then_given_up(tmp_path):
    settings = load_settings(data_dir=tmp_path, webhook_backoff_s=0.0, webhook_max_attempts=3,
                             webhook_timeout_s=2.0, webhook_allow_private=True)
    archive = Archive(tmp_path, settings)
    try:
        hooks = archive.db.webhooks
        dead = f"http://127.0.0.1:{free_port()}/nobody"  # nothing listens there
        hook, _ = hooks.create("H05.00.00.00", dead, ["job.finished"])
        other, _ = hooks.create("H06.00.00.00", dead, ["job.finished"])
        notify(archive, "H05.00.00.00", "job.finished", {"job_id": "j1"})
        notify(archive, "H05.00.00.00", "copy.issued", {"x": 1})  # not subscribed
        assert archive.webhooks_due.is_set()
        dispatcher = Dispatcher(archive)
        for _ in range(3):
            assert dispatcher.run_once() == 1
        assert dispatcher.run_once() == 0
        [delivery] = hooks.deliveries("H05.00.00.00", webhook_id=hook.id)
        assert delivery.state == "failed" and delivery.attempts == 3
        assert delivery.last_status is None and "Error" in (delivery.last_error or "")
        assert hooks.deliveries("H06.00.00.00", webhook_id=other.id) == []
        assert json.loads(delivery.payload)["data"] == {"job_id": "j1"}
    finally:
        archive.close()


def test_back_off_doubles(tmp_path):
    settings = load_settings(data_dir=tmp_path, webhook_backoff_s=10.0, webhook_max_attempts=5,
                             webhook_allow_private=True)
    archive = Archive(tmp_path, settings)
    try:
        hook, _ = archive.db.webhooks.create("H05.00.00.00", f"http://127.0.0.1:{free_port()}/",
                                             ["copy.revoked"])
        notify(archive, "H05.00.00.00", "copy.revoked", {})
        before = datetime.now(UTC)
        Dispatcher(archive).run_once()
        [first] = archive.db.webhooks.deliveries("H05.00.00.00")
        wait = (first.next_attempt_at - before).total_seconds()
        assert first.state == "pending" and 9 <= wait <= 13
        assert Dispatcher(archive).run_once() == 0  # not due yet
    finally:
        archive.close()


def test_signature():
    body = b'{"a":1}'
    expected = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_k", 1700000000, body) == f"t=1700000000,v1={expected}"
