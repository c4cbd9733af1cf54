"""Who assembles a document: a claim, so two clients (or a client and a redelivery) racing
on one document do not both sign it and leave a second, unused signed copy in the store.

A claim is a named object (never replaced) holding its owner and time. The owner is the
Celery task id when there is one (its retries, redeliveries and re-sends keep it, so they
go on at once), else this host and process. Another owner's claim is respected while it
is live: until the result or a failure mark appears, at most `lease_s` (the assembly time
limit), and not at all once its process on this host is gone (a killed local run). So a
claim can only delay a racing twin, never block a document: past the lease anyone goes on.
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import time

import psutil

from storage.base import ObjectStore

log = logging.getLogger("sohoa.claims")
POLL_S = 0.5


def owner(task_id: str | None = None) -> dict:
    return {"task": task_id, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time()}


def claim_name(result_name: str) -> str:
    return f"claims/{result_name}"


def mark_failed(store: ObjectStore, result_name: str, me: dict) -> None:
    """This owner's assembly failed (its result is not stored): a waiting twin goes on."""
    store.put_named(_failed_name(result_name, me), b"{}")


def _failed_name(result_name: str, who: dict) -> str:
    token = who.get("task") or f"{who.get('host')}-{who.get('pid')}"
    return f"claims/{result_name}.failed.{re.sub(r'[^A-Za-z0-9._-]', '_', str(token))}"


def claim_or_wait(store: ObjectStore, result_name: str, me: dict, lease_s: float) -> bool:
    """Return when this owner may go on: True when it took the claim (so nobody else has
    stored the result), False when the other owner's claim is settled (its result stored,
    or its failure marked), dead or past its lease."""
    name = claim_name(result_name)
    if store.put_named(name, json.dumps(me).encode()):
        return True
    other = json.loads(store.get_named(name) or b"{}")
    while _live(other, me, lease_s):
        if (store.get_named(result_name) is not None
                or store.get_named(_failed_name(result_name, other)) is not None):
            return False
        time.sleep(POLL_S)
    log.info("claim on %s by %s is over; going on", result_name, other)
    return False


def _live(other: dict, me: dict, lease_s: float) -> bool:
    if not other or (other.get("task") and other.get("task") == me.get("task")):
        return False  # my own earlier attempt (a retry, a redelivery)
    if time.time() - float(other.get("at", 0)) > lease_s:
        return False
    if other.get("host") == me["host"]:
        if other.get("pid") == me["pid"] and not other.get("task"):
            return False  # this very process (a local run assembling again)
        return psutil.pid_exists(int(other.get("pid", 0)))
    return True
