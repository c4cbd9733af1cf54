"""Signing identities for the digitizing agency's signature.

A :class:`SigningIdentity` wraps the pyHanko signer (certificate, chain and private key)
that :func:`pipeline.signing.sign.sign_pdf` uses. Production identities come from a PKCS#12
file (:func:`load_pkcs12`) or, for officials' USB tokens and HSMs, from a PKCS#11 token
(:func:`pipeline.signing.pkcs11.load_pkcs11`; Thông tư 15/2025/TT-BKHCN Phụ lục I).

Failures raise :class:`pipeline.core.errors.IdentityError` (Vietnamese ``.message``,
stable ``.code``, English ``.detail``).

For development and tests, :func:`ensure_test_identity` creates, once, a throw-away
PKI under a directory outside the repository (by default ``~/.local/share/sohoa``):
a self-signed CA and an RSA-2048 end-entity certificate whose subject says plainly
that it is a TEST identity, NOT VALID FOR PRODUCTION.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import os
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import pkcs12 as _asn1_pkcs12, x509 as _asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from pipeline.core.errors import IdentityError

if TYPE_CHECKING:  # pyHanko is imported only where a signer is built: the batch client never needs it
    from pyhanko.sign.signers import Signer

__all__ = [
    "SigningIdentity",
    "TEST_IDENTITY_MARKER",
    "ensure_test_identity",
    "load_pkcs12",
    "load_test_identity",
    "describe_pkcs12",
    "stored_test_identity",
    "identity_ca_cert_path",
]

#: Text every development certificate carries in its common name; an identity whose
#: certificate carries it is reported with ``is_test=True``.
TEST_IDENTITY_MARKER = "NOT VALID FOR PRODUCTION"
_TEST_EE_CN = f"sohoa TEST signing identity - {TEST_IDENTITY_MARKER}"
_TEST_CA_CN = f"sohoa TEST root CA - {TEST_IDENTITY_MARKER}"
_TEST_VALIDITY = _dt.timedelta(days=3653)  # 10 years
_RSA_BITS = 2048

_P12_NAME = "signer.p12"
_PASS_NAME = "signer.passphrase"
_CA_NAME = "ca.pem"

_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SigningIdentity:
    """What :func:`pipeline.signing.sign.sign_pdf` needs to sign: a pyHanko signer (a
    :class:`SimpleSigner` over a PKCS#12 key, or a PKCS#11 token's signer).

    ``subject`` is the certificate subject in human-readable form; ``is_test`` is true
    for the development identities made by :func:`ensure_test_identity`.
    The repr shows only the subject, the flag and the certificate fingerprint, never
    key material. :meth:`close` (or ``with identity:``) releases a token session.
    """

    signer: Signer = field(repr=False, compare=False)
    subject: str
    is_test: bool
    closer: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        _parse_certificates(self.signer)

    def close(self) -> None:
        """Release what the identity holds open (a PKCS#11 session); idempotent."""
        if self.closer is not None:
            self.closer()

    def __enter__(self) -> SigningIdentity:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def certificate(self):
        """The signer's certificate (``asn1crypto.x509.Certificate``)."""
        return self.signer.signing_cert

    @property
    def cert_sha256(self) -> str:
        """SHA-256 fingerprint (hex) of the signer's certificate."""
        return hashlib.sha256(self.signer.signing_cert.dump()).hexdigest()

    def __repr__(self) -> str:
        return (
            f"SigningIdentity(subject={self.subject!r}, is_test={self.is_test}, "
            f"cert_sha256={self.cert_sha256[:16]}…)"
        )

    __str__ = __repr__


def _parse_certificates(signer: Signer) -> None:
    """Parse the signer's certificates all the way down, once, before any thread signs.

    asn1crypto parses a certificate lazily, field by field, the first time each is read,
    and that parse is not thread-safe: two documents signed at once by the same identity
    read the same half-parsed certificate and one fails with a KeyError ("No field
    numbered 1 is present"). ``.native`` walks every field, so afterwards the shared
    certificates are only read, never changed.
    """
    for cert in (signer.signing_cert, *(signer.cert_registry or ())):
        if cert is not None:
            cert.native  # noqa: B018 - parses every field now, in one thread


def load_pkcs12(
    path: Path, passphrase: bytes | None, *, prefer_pss: bool = False
) -> SigningIdentity:
    """Load a signing identity (key, certificate, chain) from a PKCS#12 file.

    ``prefer_pss`` signs with RSASSA-PSS (recommended by Thông tư 15/2025/TT-BKHCN)
    instead of RSA PKCS#1 v1.5. Raises :class:`IdentityError` if the file is missing,
    is not PKCS#12, the passphrase is wrong, or it holds no private key with its
    certificate.
    """
    from pyhanko.sign.signers import SimpleSigner

    from pipeline.signing.key_signer import KeyCachingSigner

    data, _ = _checked_pkcs12(Path(path), passphrase)
    try:
        loaded = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
        signer = KeyCachingSigner(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            prefer_pss=prefer_pss,
        )
    except Exception:
        raise IdentityError(
            detail=f"The private key in signing identity file {path} cannot be used.",
        ) from None
    subject, is_test = _describe(signer.signing_cert)
    return SigningIdentity(signer=signer, subject=subject, is_test=is_test)


def describe_pkcs12(path: Path, passphrase: bytes | None) -> tuple[str, bool]:
    """(subject, is_test) of a PKCS#12 identity, checked as :func:`load_pkcs12` checks
    it (same errors) but without building a signer: for a caller that only has to know
    the identity is usable before work starts."""
    _, cert = _checked_pkcs12(Path(path), passphrase)
    return _describe(_asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))


def _checked_pkcs12(path: Path, passphrase: bytes | None) -> tuple[bytes, x509.Certificate]:
    """The file's bytes and certificate, once it is known to be a PKCS#12 whose passphrase
    opens a private key with its certificate; IdentityError (Vietnamese message) if not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IdentityError(
            "Không tìm thấy tệp khóa ký số (PKCS#12).",
            "identity_missing",
            detail=f"Signing identity file {path} does not exist.",
        ) from None
    except OSError as e:
        raise IdentityError(
            "Không đọc được tệp khóa ký số (PKCS#12).",
            "identity_unreadable",
            detail=f"Signing identity file {path} cannot be read ({e.strerror or e}).",
        ) from None
    try:
        pfx = _asn1_pkcs12.Pfx.load(data, strict=True)
        pfx["auth_safe"]["content_type"].native  # noqa: B018 - forces parsing
        is_pfx = pfx["version"].native == "v3"
    except Exception:
        is_pfx = False
    if not is_pfx:
        raise IdentityError(
            "Tệp khóa ký số không phải tệp PKCS#12 (.p12/.pfx).",
            "identity_not_pkcs12",
            detail=f"Signing identity file {path} is not a PKCS#12 (.p12/.pfx) file.",
        )
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        raise IdentityError(
            "Sai mật khẩu của tệp khóa ký số (PKCS#12), hoặc tệp đã hỏng.",
            "wrong_passphrase",
            detail=f"Wrong passphrase for signing identity file {path}, or the file is corrupt.",
        ) from None
    except Exception:
        key = cert = None
    if key is None or cert is None:
        raise IdentityError(
            detail=f"Signing identity file {path} does not hold a private key with its certificate.",
        )
    return data, cert


def _describe(cert) -> tuple[str, bool]:
    """(human-readable subject, is a test identity) of an asn1crypto certificate."""
    common_name = cert.subject.native.get("common_name", "")
    if isinstance(common_name, list):
        common_name = " ".join(common_name)
    return cert.subject.human_friendly, TEST_IDENTITY_MARKER in common_name


def _identity_dir(home: Path, agency_name: str) -> Path:
    key = hashlib.sha256(unicodedata.normalize("NFC", agency_name).encode("utf-8"))
    return Path(home) / "test-identities" / key.hexdigest()[:16]


def identity_ca_cert_path(home: Path, agency_name: str) -> Path:
    """Path of the test CA certificate (PEM) belonging to the test identity of
    ``agency_name`` under ``home``; use it as the trust root when validating."""
    return _identity_dir(home, agency_name) / _CA_NAME


def _check_home(home: Path) -> Path:
    home = Path(home).expanduser().resolve()
    if home == _REPO_ROOT or _REPO_ROOT in home.parents:
        raise IdentityError(
            detail=f"Test identities must be kept outside the repository, not in {home}.",
        )
    return home


def _name(common_name: str, agency_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _generate(target: Path, agency_name: str) -> None:
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    not_before = now - _dt.timedelta(minutes=5)  # tolerate small clock skew
    not_after = not_before + _TEST_VALIDITY

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    ca_name = _name(_TEST_CA_CN, agency_name)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    ee_key = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    ee_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(_TEST_EE_CN, agency_name))
        .issuer_name(ca_name)
        .public_key(ee_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True,  # = nonRepudiation
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ee_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    passphrase = secrets.token_urlsafe(32).encode("ascii")
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"sohoa-test-signer",
        key=ee_key,
        cert=ee_cert,
        cas=[ca_cert],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    _write_private(target / _PASS_NAME, passphrase)
    _write_private(target / _P12_NAME, p12)
    _write_private(target / _CA_NAME, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    # The CA's private key is deliberately not kept: nothing else is ever issued from it.


def ensure_test_identity(home: Path, agency_name: str) -> Path:
    """Create (first call only) the development signing identity of ``agency_name``
    under ``home`` and return the path of its PKCS#12 file.

    Idempotent, and safe when several processes call it at once: the identity is
    built in a private temporary directory, then renamed into place atomically; a
    loser of the race discards its copy and uses the winner's. The .p12 and its
    passphrase file (``signer.passphrase``, next to it) are mode 0600; the test CA's
    certificate is :func:`identity_ca_cert_path`.
    """
    if not agency_name or not agency_name.strip():
        raise IdentityError(detail="The agency name of a test identity must not be empty.")
    home = _check_home(home)
    final = _identity_dir(home, agency_name)
    p12_path = final / _P12_NAME
    if p12_path.is_file():
        return p12_path
    parent = final.parent
    try:
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=parent))  # mode 0700
    except OSError as e:
        raise IdentityError(
            detail=f"Cannot create the test identity directory under {home} ({e.strerror or e}).",
        ) from None
    try:
        _generate(tmp, unicodedata.normalize("NFC", agency_name.strip()))
        try:
            os.rename(tmp, final)
        except OSError as e:
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            # another process won the race: its identity is complete (atomic rename)
    except OSError as e:
        raise IdentityError(
            detail=f"Cannot write the test identity under {home} ({e.strerror or e}).",
        ) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if not p12_path.is_file():
        raise IdentityError(
            detail=f"The test identity directory {final} is incomplete; delete it to have it recreated.",
        )
    return p12_path


def load_test_identity(home: Path, agency_name: str) -> SigningIdentity:
    """:func:`ensure_test_identity` then :func:`load_pkcs12` with the stored passphrase."""
    p12_path, passphrase = stored_test_identity(home, agency_name)
    identity = load_pkcs12(p12_path, passphrase)
    if not identity.is_test:
        raise IdentityError(detail=f"Test identity file {p12_path} does not hold a test certificate.")
    return identity


def stored_test_identity(home: Path, agency_name: str) -> tuple[Path, bytes]:
    """The test identity's PKCS#12 file (made on first use) and its passphrase."""
    p12_path = ensure_test_identity(home, agency_name)
    try:
        return p12_path, (p12_path.parent / _PASS_NAME).read_bytes().strip()
    except OSError as e:
        raise IdentityError(
            detail=f"Cannot read the passphrase of test identity {p12_path} ({e.strerror or e}).",
        ) from None
