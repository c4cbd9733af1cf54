"""Fixtures: the loopback PKI of samples/pki_loopback.py (one per test session) and a real
SoftHSM2 token. Test modules use them with ``pytest_plugins = ["pki_fixtures"]``."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from samples.pki_loopback import LoopbackPki, free_port

# ------------------------------------------------------------------------- SoftHSM2

SOFTHSM_MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)


def softhsm_module() -> str | None:
    return next((p for p in SOFTHSM_MODULE_CANDIDATES if os.path.exists(p)), None)


def ensure_softhsm() -> str:
    """The SoftHSM2 PKCS#11 module, installed from Debian if missing."""
    if softhsm_module() is None or shutil.which("softhsm2-util") is None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        "softhsm2"], env=env, capture_output=True, timeout=600)
    module = softhsm_module()
    if module is None:
        pytest.fail("SoftHSM2 is not installed and apt-get could not install it")
    return module


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    running = LoopbackPki(tmp_path_factory.mktemp("pki")).start()
    yield running
    running.stop()


@pytest.fixture
def dead_url() -> str:
    """An http URL on loopback where nothing listens: a service that is down, for real."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def softhsm_conf(tmp_path_factory):
    """A SoftHSM2 configuration with its own token folder. The module reads
    $SOFTHSM2_CONF once, when a process first loads it: one per test session."""
    module = ensure_softhsm()
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\n"
                    "objectstore.backend = file\nlog.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    yield module
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous
