"""The identities the settings name: the agency's (digitization stamp, certified copies)
and the certifier's. Without a configured PKCS#12, development identities created under
SOHOA_HOME, whose certificates say NOT VALID FOR PRODUCTION."""
from __future__ import annotations

from pathlib import Path

from pipeline.core.settings import Settings
from pipeline.signing.identity import (
    SigningIdentity,
    describe_pkcs12,
    identity_ca_cert_path,
    load_pkcs12,
    load_test_identity,
    stored_test_identity,
)


def agency_identity(settings: Settings) -> SigningIdentity:
    """The configured PKCS#12 identity, else the test identity (created on first use)."""
    if settings.signing_p12:
        return load_pkcs12(settings.signing_p12, settings.passphrase())
    return load_test_identity(settings.home, settings.agency_name)


def describe_agency_identity(settings: Settings) -> tuple[str, bool]:
    """(subject, is_test) of the identity agency_identity would load, without loading
    pyHanko (the batch client checks the key before work starts; workers sign)."""
    if settings.signing_p12:
        return describe_pkcs12(settings.signing_p12, settings.passphrase())
    return describe_pkcs12(*stored_test_identity(settings.home, settings.agency_name))


def certifier_test_name(agency_name: str) -> str:
    """The organization of the certifier's development identity."""
    return f"{agency_name} - cán bộ chứng thực"


def certifier_identity(settings: Settings) -> SigningIdentity:
    if not settings.certifier_p12:
        return load_test_identity(settings.home, certifier_test_name(settings.agency_name))
    return load_pkcs12(settings.certifier_p12, settings.certifier_passphrase_bytes())


def development_ca_paths(settings: Settings) -> list[Path]:
    """The development CAs (agency's and certifier's) that exist under SOHOA_HOME."""
    names = (settings.agency_name, certifier_test_name(settings.agency_name))
    return [p for p in (identity_ca_cert_path(settings.home, n) for n in names) if p.is_file()]
