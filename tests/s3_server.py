"""A real S3 server (Ceph radosgw, via scripts/radosgw.sh) for one test session.

Use it from a test module with `from s3_server import s3_server  # noqa: F401`.
If something already answers on the port (e.g. a gateway kept running between sessions with
`RGW_ACCESS_KEY=sohoa-test RGW_SECRET_KEY=sohoa-test-secret-key \
 scripts/radosgw.sh start /tmp/sohoa-radosgw-17480 17480`), it is reused and left running.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "radosgw.sh"
PORT = int(os.environ.get("SOHOA_TEST_S3_PORT", "17480"))
# Test-only credentials of a loopback server whose data lives in RAM.
ACCESS_KEY = "sohoa-test"
SECRET_KEY = "sohoa-test-secret-key"
CANNOT_INSTALL = 3  # the script's exit code when the Debian packages cannot be installed


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port
    access_key: str
    secret_key: str

    def client(self):
        from minio import Minio

        return Minio(self.endpoint, self.access_key, self.secret_key, secure=False)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    server = S3Server(f"127.0.0.1:{PORT}", ACCESS_KEY, SECRET_KEY)
    if _answers(PORT):
        yield server
        return
    workdir = Path(tempfile.gettempdir()) / f"sohoa-radosgw-{PORT}"
    env = {**os.environ, "RGW_ACCESS_KEY": ACCESS_KEY, "RGW_SECRET_KEY": SECRET_KEY}
    # Up to ~15 s once installed; the first run may install Ceph's Debian packages.
    started = subprocess.run(["bash", str(SCRIPT), "start", str(workdir), str(PORT)], env=env,
                             capture_output=True, text=True, timeout=900)
    if started.returncode == CANNOT_INSTALL:
        pytest.fail(f"radosgw cannot be installed here: {started.stderr.strip()}")
    if started.returncode != 0:
        pytest.fail(f"radosgw did not start (exit {started.returncode}):\n{started.stderr[-3000:]}")
    try:
        yield server
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(workdir)], timeout=120, check=False)
