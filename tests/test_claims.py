"""Claims on assembling a document: a live twin is waited for, never for ever."""
from __future__ import annotations

import json
import threading
import time

from storage.objects import LocalObjectStore
from workers.claims import claim_name, claim_or_wait, mark_failed, owner

RESULT = "documents/X.1/abc.v5.json"


def _taken_by(store, who: dict) -> None:
    assert store.put_named(claim_name(RESULT), json.dumps(who).encode())


def test_first_claims_and_its_own_retry_goes_on(tmp_path):
    store = LocalObjectStore(tmp_path)
    me = owner("task-1")
    claim_or_wait(store, RESULT, me, lease_s=60)
    started = time.monotonic()
    claim_or_wait(store, RESULT, {**owner("task-1"), "pid": 1}, lease_s=60)  # a redelivery
    assert time.monotonic() - started < 1


def test_a_live_twin_is_waited_for_until_its_result(tmp_path):
    store = LocalObjectStore(tmp_path)
    _taken_by(store, owner("twin"))  # this process is alive: a live claim
    threading.Timer(1.0, lambda: store.put_named(RESULT, b"{}")).start()
    started = time.monotonic()
    claim_or_wait(store, RESULT, owner("me"), lease_s=60)
    assert 0.9 < time.monotonic() - started < 10


def test_a_failed_twin_releases_at_once(tmp_path):
    store = LocalObjectStore(tmp_path)
    twin = owner("twin")
    _taken_by(store, twin)
    mark_failed(store, RESULT, twin)
    started = time.monotonic()
    claim_or_wait(store, RESULT, owner("me"), lease_s=60)
    assert time.monotonic() - started < 1


def test_a_dead_or_expired_claim_is_over(tmp_path):
    store = LocalObjectStore(tmp_path)
    _taken_by(store, {**owner(None), "pid": 2**22 + 12345})  # no such process on this host
    started = time.monotonic()
    claim_or_wait(store, RESULT, owner(None), lease_s=60)
    other = LocalObjectStore(tmp_path / "other")
    _taken_by(other, {**owner("elsewhere"), "host": "another-host", "at": time.time() - 120})
    claim_or_wait(other, RESULT, owner("me"), lease_s=60)
    assert time.monotonic() - started < 1
