"""A real offline PKI on loopback for the signing tests and the benchmark: fictitious like
the sample scans, so it lives with them (tests/pki_fixtures.py wraps it in fixtures).

The PKI is ``samples/pki/certomancer.yml``: root CA → sub CA → signers, an OCSP responder,
CRLs and an RFC 3161 TSA, served by certomancer's web animator (``certomancer ...
animate``) on 127.0.0.1. Its private keys are throw-away, generated into a temporary
folder here; nothing is downloaded.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pipeline.signing.identity import SigningIdentity, load_pkcs12
from pipeline.signing.pades import PadesLevel, PkiServices, SigningProfile

CONFIG = Path(__file__).parent / "pki" / "certomancer.yml"
ARCH = ArchLabel("sohoa-test")
CERTOMANCER = str(Path(sys.executable).parent / "certomancer")
# key label -> (kind, size): RSA-1024 only to prove that weak keys are refused
KEYS = {
    "root": ("rsa", 2048), "interm": ("rsa", 2048), "ocsp": ("rsa", 2048),
    "tsa": ("rsa", 2048), "signer-rsa": ("rsa", 2048), "signer-ec": ("ec", 256),
    "signer-weak": ("rsa", 1024), "official-rsa": ("rsa", 2048), "official-ec": ("ec", 256),
}


def free_port() -> int:
    """A loopback port nobody listens on (now): also an 'unreachable service'."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _generate_keys(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for label, (kind, size) in KEYS.items():
        path = folder / f"{label}.key.pem"
        if path.exists():
            continue
        key = (ec.generate_private_key(ec.SECP256R1()) if kind == "ec"
               else rsa.generate_private_key(public_exponent=65537, key_size=size))
        path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))
        path.chmod(0o600)


class LoopbackPki:
    """certomancer's CA, CRLs, OCSP and TSA on ``http://127.0.0.1:<port>``."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.keys = self.workdir / "keys"
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.arch = None  # certomancer's view of the PKI, once started
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    def start(self, timeout: float = 30) -> LoopbackPki:
        _generate_keys(self.keys)
        for _ in range(3):  # the port may be taken between free_port() and bind
            self.port = free_port()
            self._log = open(self.workdir / f"animator-{self.port}.log", "wb")  # noqa: SIM115
            self.process = subprocess.Popen(
                [CERTOMANCER, "--config", str(CONFIG), "--key-root", str(self.keys),
                 "--service-url-prefix", self.url, "animate", "--port", str(self.port),
                 "--no-web-ui"],
                stdout=self._log, stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    probe = f"{self.url}/{ARCH}/crls/root/latest.crl"
                    with urllib.request.urlopen(probe, timeout=2):
                        self.arch = self._arch(self.url)
                        return self
                except OSError:
                    time.sleep(0.1)
            self.stop()
        raise RuntimeError(f"certomancer animator did not start; see {self.workdir}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _arch(self, url_prefix: str):
        config = CertomancerConfig.from_file(
            str(CONFIG), key_search_dir=str(self.keys), external_url_prefix=url_prefix
        )
        return config.get_pki_arch(ARCH)

    # ---------------------------------------------------------------- material

    def cert(self, label: str):
        return self.arch.get_cert(CertLabel(label))

    @property
    def root(self):
        return self.cert("root")

    def key_der(self, label: str) -> bytes:
        """The private key (PKCS#8 DER) of ``label``'s key: for importing into a token."""
        return self.arch.key_set.get_private_key(KeyLabel(label)).dump()

    def p12(self, label: str, passphrase: bytes, *, url_prefix: str | None = None) -> Path:
        """``label``'s certificate, key and chain as a PKCS#12 file. With ``url_prefix``
        the chain's OCSP/CRL addresses point there instead (e.g. at a dead port)."""
        arch = self.arch if url_prefix is None else self._arch(url_prefix)
        data = arch.package_pkcs12(CertLabel(label), password=passphrase)
        path = self.workdir / f"{label}-{secrets.token_hex(4)}.p12"
        path.write_bytes(data)
        return path

    def identity(self, label: str, *, prefer_pss: bool = False,
                 url_prefix: str | None = None) -> SigningIdentity:
        passphrase = secrets.token_hex(8).encode()
        return load_pkcs12(self.p12(label, passphrase, url_prefix=url_prefix), passphrase,
                           prefer_pss=prefer_pss)

    def services(self, **kwargs) -> PkiServices:
        kwargs.setdefault("tsa_url", self.tsa_url)
        kwargs.setdefault("trust_roots", (self.root,))
        kwargs.setdefault("backoff", 0.05)
        return PkiServices(**kwargs)

    def profile(self, level: str, **kwargs) -> SigningProfile:
        services = self.services(**kwargs.pop("services", {}))
        return SigningProfile(level=PadesLevel(level), services=services, **kwargs)
