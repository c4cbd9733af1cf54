"""Webhook receivers on internal addresses get nothing (workers/webhook_targets.py): at
delivery the host is resolved again and every address checked, so a name registered while
it pointed outside and then pointed at 127.0.0.1 (DNS rebinding) is refused; the request
goes to the address that was checked. A real receiving process on loopback logs what
reaches it; name resolution is replaced where a test needs a name to change its answer."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pipeline.core.settings import load_settings
from tests.api_server import free_port
from workers.archive import Archive
from workers.webhook_targets import TargetRefused, check_registration, resolve_target
from workers.webhooks import Dispatcher, notify

AGENCY = "H05.00.00.00"
PUBLIC = "93.184.215.14"  # a global address (never connected to by these tests)


@pytest.fixture
def receiver(tmp_path):
    log, port = tmp_path / "received.jsonl", free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "webhook_receiver.py"),
                             str(port), str(log), "0"])
    deadline = time.time() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/probe", timeout=2)
            break
        except httpx.TransportError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    yield port, log
    proc.terminate()
    proc.wait(timeout=10)


def _received(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def dns(monkeypatch):
    """Names of the test and what they resolve to now (others resolve as usual)."""
    answers: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def _archive(tmp_path: Path, allow_private: bool) -> Archive:
    settings = load_settings(data_dir=tmp_path / "archive", webhook_backoff_s=0.0,
                             webhook_max_attempts=2, webhook_timeout_s=5.0,
                             webhook_allow_private=allow_private)
    return Archive(tmp_path / "archive", settings)


def test_a_loopback_receiver_gets_nothing_unless_allowed(tmp_path, receiver):
    port, log = receiver
    for allow in (False, True):
        archive = _archive(tmp_path / str(allow), allow)
        try:
            hook, _ = archive.db.webhooks.create(AGENCY, f"http://127.0.0.1:{port}/h", [
                "job.finished"])
            notify(archive, AGENCY, "job.finished", {"job_id": f"j-{allow}"})
            assert Dispatcher(archive).run_once() == 1
            [delivery] = archive.db.webhooks.deliveries(AGENCY, webhook_id=hook.id)
            if allow:
                assert delivery.state == "delivered" and delivery.last_status == 204
            else:
                assert delivery.state == "pending" and delivery.last_status is None
                assert delivery.last_error.startswith("refused: ") and "nội bộ" in \
                    delivery.last_error
        finally:
            archive.close()
    got = _received(log)
    assert [json.loads(r["body"])["data"]["job_id"] for r in got] == ["j-True"]


def test_dns_rebinding_is_refused_at_delivery(tmp_path, receiver, dns):
    port, log = receiver
    name = "hooks.rebind.test"
    dns[name] = PUBLIC  # what it says when the agency registers it
    url = f"http://{name}:{port}/hooks"
    check_registration(url, allow_private=False)  # accepted
    archive = _archive(tmp_path, False)
    try:
        archive.db.webhooks.create(AGENCY, url, ["copy.issued"])
        dns[name] = "127.0.0.1"  # ... and at delivery time
        notify(archive, AGENCY, "copy.issued", {"n": 1})
        assert Dispatcher(archive).run_once() == 1
        [delivery] = archive.db.webhooks.deliveries(AGENCY)
        assert "127.0.0.1" in delivery.last_error and delivery.last_error.startswith("refused")
        with pytest.raises(TargetRefused):
            resolve_target(url, allow_private=False)
    finally:
        archive.close()
    assert _received(log) == []


def test_the_request_goes_to_the_address_checked(tmp_path, receiver, dns):
    """Resolved once, connected there: the Host header still names the URL's host."""
    port, log = receiver
    dns["hooks.pinned.test"] = "127.0.0.1"
    archive = _archive(tmp_path, True)
    try:
        archive.db.webhooks.create(AGENCY, f"http://hooks.pinned.test:{port}/in?x=1",
                                   ["job.finished"])
        notify(archive, AGENCY, "job.finished", {"job_id": "p"})
        Dispatcher(archive).run_once()
    finally:
        archive.close()
    [got] = _received(log)
    assert got["path"] == "/in?x=1" and got["headers"]["Host"] == f"hooks.pinned.test:{port}"


@pytest.mark.parametrize("url", ["ftp://example.vn/x", "file:///etc/passwd", "http:///x",
                                 "http://127.0.0.1/", "http://[fe80::1]/", "http://172.16.0.1/"])
def test_registration_checks(url):
    with pytest.raises(TargetRefused) as refused:
        check_registration(url, allow_private=False)
    assert refused.value.message.startswith("Địa chỉ webhook")
    if url.startswith("http://1") or "fe80" in url:
        check_registration(url, allow_private=True)  # tests, on-premises receivers
