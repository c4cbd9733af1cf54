"""Celery workers and a `sohoa process` client as real processes of a test, each in its own
process group: a test kills exactly what it started (kill -9 of a whole worker included)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

from tests.conftest import SOHOA

BROKER = "redis://127.0.0.1:6379/11"


def queue_env(sohoa_env: dict, broker: str = BROKER, **settings: object) -> dict:
    """The environment of a test deployment: a queue of its own on the shared broker."""
    env = {**sohoa_env, "SOHOA_BROKER_URL": broker, "SOHOA_QUEUE": f"sohoa-test-{uuid.uuid4().hex[:12]}"}
    env.update({f"SOHOA_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def start_worker(env: dict, log: Path, *args: str, ready_s: float = 90) -> subprocess.Popen:
    """A `sohoa worker`, returned once it says it is ready (its own log, not a ping: a ping
    is answered by any worker on the broker, other test runs' too)."""
    handle = log.open("a")
    start = log.stat().st_size
    proc = subprocess.Popen([SOHOA, "worker", *args], env=env, stdout=handle,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited {proc.returncode}: {log.read_text()[start:]}")
        with log.open() as fh:
            fh.seek(start)
            if " ready." in fh.read():
                return proc
        time.sleep(0.3)
    kill_group(proc)
    raise AssertionError(f"worker not ready in {ready_s} s: {log.read_text()[start:]}")


def start_client(env: dict, batch: Path, out: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([SOHOA, "process", str(batch), "--out", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"), start_new_session=True)


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process group this test started (the worker and its pool processes)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    if sig == signal.SIGKILL:
        proc.wait(timeout=30)


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        kill_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill_group(proc)


def wait_for(predicate, timeout_s: float, what: str, every_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every_s)


def delete_queues(env: dict) -> None:
    import redis

    queue = env["SOHOA_QUEUE"]
    client = redis.Redis.from_url(env["SOHOA_BROKER_URL"])
    client.delete(f"{queue}.pages", f"{queue}.documents", f"unacked.{queue}",
                  f"unacked_index.{queue}", f"unacked_mutex.{queue}")
