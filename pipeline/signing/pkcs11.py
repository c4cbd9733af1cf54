"""Signing identities on PKCS#11 tokens: officials' USB tokens and HSMs (chữ ký số
chuyên dùng công vụ, Thông tư 15/2025/TT-BKHCN Phụ lục I).

The private key never leaves the token: pyHanko's :class:`PKCS11Signer` asks the token
to sign (RSA PKCS#1 v1.5 or PSS; ECDSA over a digest made here). The certificate is read
from the token too (its CA chain from the certificates on the token, or ``ca_chain``).
The session stays open while the identity is used; close it with ``identity.close()``
or ``with load_pkcs11(...) as identity:``. The PIN logs in and is not kept here.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pkcs11
from pkcs11 import exceptions as p11_errors
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.general import SigningError as _PyHankoSigningError
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

from pipeline.core.errors import IdentityError
from pipeline.signing.identity import TEST_IDENTITY_MARKER, SigningIdentity

__all__ = ["load_pkcs11"]

_PIN_ERRORS = {
    p11_errors.PinIncorrect: ("Sai mã PIN của thiết bị ký số (token/HSM).", "wrong_pin"),
    p11_errors.PinLocked: ("Thiết bị ký số đã bị khóa do nhập sai mã PIN quá nhiều lần.",
                           "pin_locked"),
    p11_errors.PinExpired: ("Mã PIN của thiết bị ký số đã hết hạn, cần đổi mã PIN.",
                            "pin_expired"),
    p11_errors.PinInvalid: ("Mã PIN của thiết bị ký số không hợp lệ.", "wrong_pin"),
    p11_errors.PinLenRange: ("Mã PIN của thiết bị ký số không đúng độ dài.", "wrong_pin"),
}


def _open(module: str, slot: int | None, token_label: str | None, pin: str):
    try:
        return open_pkcs11_session(
            module, slot_no=slot,
            token_criteria=TokenCriteria(label=token_label) if token_label else None,
            user_pin=pin,
        )
    except tuple(_PIN_ERRORS) as e:
        message, code = _PIN_ERRORS[type(e)]
        raise IdentityError(message,
                            code,
                            detail=f"PKCS#11 login to {token_label or 'the token'} failed: "
                            f"{type(e).__name__}.") from None
    except (p11_errors.PKCS11Error, _PyHankoSigningError) as e:
        raise IdentityError(
            "Không tìm thấy thiết bị ký số (token/HSM) hoặc không mở được phiên làm việc.",
            "token_not_found",
            detail=f"No usable PKCS#11 token {token_label or ''} via {module}: "
            f"{type(e).__name__} {e}",
        ) from None


def load_pkcs11(
    module: str | Path,
    *,
    pin: str,
    token_label: str | None = None,
    slot: int | None = None,
    key_label: str | None = None,
    cert_label: str | None = None,
    key_id: bytes | None = None,
    ca_chain=(),
    prefer_pss: bool = False,
) -> SigningIdentity:
    """Open a PKCS#11 token and return a :class:`SigningIdentity` signing with its key.

    ``module`` is the PKCS#11 library (e.g. ``/usr/lib/softhsm/libsofthsm2.so`` or a
    token vendor's); the token is chosen by ``token_label`` or ``slot``; the key and
    certificate by label (``key_label``; ``cert_label`` defaults to it) or ``key_id``.
    ``prefer_pss`` signs RSA keys with RSASSA-PSS. Raises :class:`IdentityError`
    (Vietnamese ``.message``) for a wrong PIN, a missing token, key or certificate.
    """
    module = str(module)
    if not Path(module).is_file():
        raise IdentityError("Không tìm thấy thư viện PKCS#11 của thiết bị ký số.",
                            "pkcs11_module_missing",
                            detail=f"PKCS#11 module {module} does not exist.")
    session = _open(module, slot, token_label, pin)
    try:
        signer = PKCS11Signer(
            session, cert_label=cert_label or key_label, key_label=key_label,
            key_id=key_id, cert_id=key_id, ca_chain=list(ca_chain), prefer_pss=prefer_pss,
            other_certs_to_pull=None,  # every certificate on the token: the CA chain
        )
        cert = signer.signing_cert  # loads the key and the certificate now
    except (p11_errors.PKCS11Error, _PyHankoSigningError) as e:
        session.close()
        raise IdentityError(
            "Không tìm thấy khóa ký số hoặc chứng thư số trên thiết bị ký số.",
            "token_key_missing",
            detail=f"Key or certificate {key_label or key_id!r} not usable on the PKCS#11 token: "
            f"{type(e).__name__} {e}",
        ) from None
    if cert.public_key.algorithm == "ec":
        # hash here, sign on the token with plain CKM_ECDSA: every token has that one,
        # many (SoftHSM 2.6 among them) lack CKM_ECDSA_SHA256 and friends
        signer.use_raw_mechanism = True
    common_name = cert.subject.native.get("common_name", "")
    if isinstance(common_name, list):
        common_name = " ".join(common_name)
    return SigningIdentity(
        signer=signer,
        subject=cert.subject.human_friendly,
        is_test=TEST_IDENTITY_MARKER in common_name,
        closer=_closer(session),
    )


def _closer(session: pkcs11.Session):
    closed = False

    def close() -> None:
        nonlocal closed
        if not closed:
            closed = True
            # the token may have been pulled out: nothing left to release then
            with contextlib.suppress(p11_errors.PKCS11Error):
                session.close()

    return close
