"""A real archive service for tests: `sohoa serve` as a subprocess on a free loopback port,
and a client holding tokens."""
from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import SOHOA


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(data: Path | None, env: dict, log: Path,
                   port: int | None = None) -> Iterator[str]:
    """The base URL of `sohoa serve --data DATA` (no --data: the default archive), up and
    answering; stopped afterwards."""
    port = port or free_port()
    where = ["--data", str(data)] if data is not None else []
    with log.open("w") as out:
        proc = subprocess.Popen([SOHOA, "serve", *where, "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def make_token(run_sohoa, data: Path, agency: str, scopes: str, env: dict | None = None,
               agency_name: str | None = None) -> str:
    named = ["--agency-name", agency_name] if agency_name else []
    made = run_sohoa("token", "create", "--data", data, "--agency", agency, "--scopes", scopes,
                     *named, env=env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("sohoa_") and token not in made.stderr
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def wait_for_job(client: httpx.Client, url: str, token: str, timeout: float = 300) -> dict:
    deadline = time.time() + timeout
    while True:
        job = client.get(url, headers=bearer(token)).json()
        if job["state"] not in ("queued", "running"):
            return job
        if time.time() > deadline:
            raise AssertionError(f"job still {job['state']}: {job}")
        time.sleep(0.5)


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["detail"] and body["code"]
    if code:
        assert body["code"] == code, body
    return body
