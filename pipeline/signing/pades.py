"""PAdES baseline levels, signing profiles and the PKI services they need.

Thông tư 15/2025/TT-BKHCN Phụ lục I: PDF signatures are PAdES (ETSI EN 319 142-1);
RSA ≥ 2048 bit (PSS recommended) or ECDSA ≥ 256 bit, SHA-256/384/512; revocation by
OCSP or CRL, kept with the signature for long-term validation; timestamps from an
RFC 3161 authority. The levels:

* B-B   signature only (``/SubFilter /ETSI.CAdES.detached``);
* B-T   plus a signature timestamp from the TSA;
* B-LT  plus the certificates and OCSP responses / CRLs of the signer and the TSA in
  the document security store (DSS);
* B-LTA plus a document timestamp over all of it.

A :class:`SigningProfile` chooses the level, the lowest level it accepts when a service
is down (``min_level``), and the :class:`PkiServices` (TSA, trust roots, retries).
:func:`sign_with_profile` is the engine behind :func:`pipeline.signing.sign.sign_pdf`: it
checks the signer's certificate, retries unreachable services with backoff, falls back
only as far as the profile allows, and says so in the :class:`SigningResult`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.general import SigningError as _PyHankoSigningError
from pyhanko.sign.signers import (
    PdfSignatureMetadata,
    PdfSigner,
    Signer,
    constants as signer_constants,
)
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InsufficientRevinfoError, RevokedError
from pyhanko_certvalidator.fetchers import OwnedFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from pipeline.core.errors import SigningError

__all__ = [
    "PadesLevel", "PkiServices", "SigningProfile", "SigningResult", "DEFAULT_PROFILE",
    "check_signer_certificate", "sign_with_profile", "trust_roots",
]

log = logging.getLogger(__name__)

ALLOWED_DIGESTS = ("sha256", "sha384", "sha512")
_EC_CURVES = {"secp256r1": 256, "secp384r1": 384, "secp521r1": 521}


class PadesLevel(str, enum.Enum):  # noqa: UP042 (StrEnum would change str() and f-strings)
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def rank(self) -> int:
        return list(PadesLevel).index(self)

    @property
    def needs_tsa(self) -> bool:
        return self.rank >= 1

    @property
    def embeds_revinfo(self) -> bool:
        return self.rank >= 2


@dataclass(frozen=True)
class PkiServices:
    """Where the timestamps come from, which roots the signer's chain ends in (to
    collect revocation data along it), and how hard to try an unreachable service."""

    tsa_url: str | None = None
    trust_roots: tuple[x509.Certificate, ...] = ()
    timeout: float = 5.0  # seconds, per HTTP request
    retries: int = 3  # attempts per level before giving up or falling back
    backoff: float = 0.25  # seconds before the 2nd attempt, doubled for each further one


@dataclass(frozen=True)
class SigningProfile:
    level: PadesLevel = PadesLevel.B_B
    min_level: PadesLevel | None = None  # None: no fallback below ``level``
    services: PkiServices = PkiServices()
    md_algorithm: str = "sha256"
    # None: check revocation (OCSP/CRL) exactly when the level embeds it (B-LT, B-LTA)
    check_revocation: bool | None = None

    def __post_init__(self):
        object.__setattr__(self, "level", PadesLevel(self.level))
        if self.min_level is not None:
            object.__setattr__(self, "min_level", PadesLevel(self.min_level))
            if self.min_level.rank > self.level.rank:
                raise ValueError("min_level must not be above level")
        if self.md_algorithm not in ALLOWED_DIGESTS:
            raise ValueError(f"digest {self.md_algorithm!r} not in {ALLOWED_DIGESTS}")
        if self.level.needs_tsa and not self.services.tsa_url:
            raise ValueError(f"PAdES {self.level.value} needs a TSA URL")

    def levels(self) -> list[PadesLevel]:
        """The levels to try, best first."""
        lowest = (self.min_level or self.level).rank
        return [lv for lv in reversed(PadesLevel) if lowest <= lv.rank <= self.level.rank]

    def checks_revocation(self, level: PadesLevel) -> bool:
        if self.check_revocation is None:
            return level.embeds_revinfo
        return self.check_revocation or level.embeds_revinfo


DEFAULT_PROFILE = SigningProfile()


@dataclass(frozen=True)
class SigningResult:
    pdf: bytes = dataclasses.field(repr=False)
    level: PadesLevel
    requested_level: PadesLevel
    revocation_checked: bool
    fallback_reason: str | None = None  # Vietnamese, for people; set when level < requested

    @property
    def fell_back(self) -> bool:
        return self.level != self.requested_level


def trust_roots(paths: Iterable[str | Path]) -> tuple[x509.Certificate, ...]:
    """Certificates from PEM/DER files (Settings.trust_root_paths and the development CAs)."""
    certs = []
    for path in paths:
        try:
            certs.extend(load_certs_from_pemder([str(path)]))
        except (OSError, ValueError) as e:
            raise SigningError(
                f"Không đọc được tệp chứng thư gốc tin cậy {path}.",
                "trust_root_unreadable",
                detail=f"Trust root file {path} cannot be read ({e}).",
            ) from None
    return tuple(certs)


# ------------------------------------------------------------------ certificates


def _date_vi(when: datetime) -> str:
    return when.strftime("%d/%m/%Y")


def check_signer_certificate(cert: x509.Certificate, when: datetime) -> None:
    """Refuse a signer certificate that is not valid at ``when``, may not sign, or has
    a key weaker than Thông tư 15/2025/TT-BKHCN allows."""
    start, end = cert.not_valid_before, cert.not_valid_after
    if not start <= when <= end:
        expired = when > end
        raise SigningError(
            f"Chứng thư số của người ký đã hết hạn ngày {_date_vi(end)}, không được dùng để ký."
            if expired else
            f"Chứng thư số của người ký chỉ có hiệu lực từ ngày {_date_vi(start)}, "
            "chưa được dùng để ký.",
            "certificate_expired" if expired else "certificate_not_yet_valid",
            detail=f"The signing certificate is not valid at the signing time {when.isoformat()} "
            f"(valid {start.isoformat()} to {end.isoformat()}).",
        )
    usage = set(cert.key_usage_value.native) if cert.key_usage_value is not None else None
    if usage is not None and not usage & {"digital_signature", "non_repudiation"}:
        raise SigningError(
            "Chứng thư số của người ký không cho phép dùng để ký số "
            "(thiếu mục đích ký số và chống chối bỏ).",
            "certificate_key_usage",
            detail=f"The signing certificate's key usage {sorted(usage)} allows neither "
            "digital_signature nor non_repudiation.",
        )
    key = cert.public_key
    algo = key.algorithm
    ok = (algo == "rsa" and key.bit_size >= 2048) or (
        algo == "ec" and _EC_CURVES.get(key.curve[1] if key.curve[0] == "named" else "", 0) >= 256
    )
    if not ok:
        raise SigningError(
            "Khóa của chứng thư số quá yếu (yêu cầu RSA từ 2048 bit hoặc ECDSA từ 256 bit).",
            "weak_key",
            detail=f"The signing key ({algo}, {key.bit_size} bit) is below RSA-2048 / ECDSA P-256.",
        )


# --------------------------------------------------------------------- services


class _ServiceDown(Exception):
    def __init__(self, service: str, detail: str):
        super().__init__(detail)
        self.service = service  # "tsa" or "revocation"


class _RetryingTimeStamper(HTTPTimeStamper):
    """HTTPTimeStamper whose requests are retried with exponential backoff."""

    def __init__(self, services: PkiServices):
        super().__init__(services.tsa_url, timeout=services.timeout)
        self.services = services

    async def async_request_tsa_response(self, req):
        s = self.services
        for attempt in range(1, s.retries + 1):
            try:
                return await super().async_request_tsa_response(req)
            except TimestampRequestError as e:
                cause = e.__cause__ or e
                log.warning("TSA %s attempt %d/%d failed: %s", s.tsa_url, attempt, s.retries, cause)
                if attempt == s.retries:
                    raise
                await asyncio.sleep(s.backoff * 2 ** (attempt - 1))


_TIMESTAMPERS: dict[PkiServices, _RetryingTimeStamper] = {}


def _timestamper(services: PkiServices) -> _RetryingTimeStamper:
    # kept per process: it caches a dummy token for sizing signatures
    if services not in _TIMESTAMPERS:
        _TIMESTAMPERS[services] = _RetryingTimeStamper(services)
    return _TIMESTAMPERS[services]


def _validation_context(services: PkiServices, signer: Signer) -> ValidationContext:
    roots = list(services.trust_roots) or [
        c for c in signer.cert_registry if c.self_signed == "maybe" or c.self_signed == "yes"
    ]
    return ValidationContext(
        trust_roots=roots,
        other_certs=list(signer.cert_registry),
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=OwnedFetcherBackend(
            AIOHttpFetcherBackend(per_request_timeout=services.timeout)
        ),
    )


def _classify(e: BaseException) -> BaseException:
    """Turn pyHanko's failure into a refusal (SigningError) or a service outage."""
    chain, seen = [], e
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for err in chain:
        if isinstance(err, RevokedError):
            return SigningError(
                "Chứng thư số của người ký đã bị thu hồi, không được dùng để ký.",
                "certificate_revoked",
                detail=f"The signing certificate is revoked: {err}",
            )
        if isinstance(err, TimestampRequestError):
            return _ServiceDown("tsa", f"{err}: {err.__cause__ or ''}")
        if isinstance(err, InsufficientRevinfoError):
            return _ServiceDown("revocation", str(err))
    return SigningError(
        "Không xác thực được chứng thư số của người ký với chứng thư gốc tin cậy.",
        "certificate_untrusted",
        detail=f"The signer's certificate could not be validated: {chain[-1]}",
    )


# ----------------------------------------------------------------------- engine


class _Pdf17Signer(PdfSigner):
    """PdfSigner that keeps the file PDF 1.7 (PDF/A-2 is based on it): it declares the
    ESIC extension PAdES needs, but not ISO 32002, which pyHanko declares for ECDSA and
    which makes the file PDF 2.0 (ECDSA is a PAdES algorithm under ESIC anyway)."""

    def register_extensions(self, pdf_out, *, md_algorithm: str):
        pdf_out.ensure_output_version(version=(1, 7))
        if pdf_out.output_version < (2, 0):
            pdf_out.register_extension(signer_constants.ESIC_EXTENSION_1)


_RESERVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _sign_once(pdf: bytes, meta: PdfSignatureMetadata, signer: Signer, *, level,
                     profile: SigningProfile, when: datetime, signer_kwargs: dict,
                     text_params: dict, existing_fields_only: bool) -> BytesIO:
    services = profile.services
    check = profile.checks_revocation(level)
    vc = _validation_context(services, signer) if check else None
    timestamper = _timestamper(services) if level.needs_tsa else None
    meta = dataclasses.replace(
        meta, md_algorithm=profile.md_algorithm, validation_context=vc,
        embed_validation_info=level.embeds_revinfo, use_pades_lta=level == PadesLevel.B_LTA,
        signer_key_usage=set(),  # checked by check_signer_certificate
    )
    pdf_signer = _Pdf17Signer(meta, signer, timestamper=timestamper, **signer_kwargs)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    try:
        # PdfSigner.async_sign_pdf, with the session clock set to the caller's signing
        # time: it becomes the signature's /M (PAdES has no CMS signing-time attribute).
        session = pdf_signer.init_signing_session(writer, existing_fields_only)
        session.system_time = when
        try:
            info = await session.perform_presign_validation(writer)
        except (_PyHankoSigningError, TimestampRequestError) as e:
            raise _classify(e) from e
        # The container's size depends on the signer and the level: estimate it (a
        # dry-run signature, 50% margin) once per signer and level.
        sizes = _RESERVED.setdefault(signer, {})
        key = (level, profile.md_algorithm)
        if key not in sizes:
            try:  # a dry run that already asks the TSA for a timestamp
                sizes[key] = await session.estimate_signature_container_size(info)
            except TimestampRequestError as e:
                raise _ServiceDown("tsa", str(e.__cause__ or e)) from e
        tbs = session.prepare_tbs_document(
            validation_info=info, bytes_reserved=sizes[key], appearance_text_params=text_params
        )
        prepared, output = tbs.digest_tbs_document(in_place=True)
        try:
            post = await tbs.perform_signature(
                document_digest=prepared.document_digest,
                pdf_cms_signed_attrs=PdfCMSSignedAttributes(
                    signing_time=when, adobe_revinfo_attr=None, cades_signed_attrs=None
                ),
            )
            await post.post_signature_processing(output)
        except TimestampRequestError as e:
            raise _ServiceDown("tsa", str(e.__cause__ or e)) from e
        # a stream, not bytes: asyncio.run's SIGINT bookkeeping (Python 3.11) can repr()
        # the task's result, and repr of a 6 MB bytes object costs ~75 ms
        return output
    finally:
        if vc is not None:
            await vc.aclose()


_DOWN_VI = {
    "tsa": "không kết nối được máy chủ cấp dấu thời gian (TSA)",
    "revocation": "không kiểm tra được tình trạng thu hồi của chứng thư số (OCSP/CRL)",
}


def _sign_with_retries(pdf, meta, signer, level, profile, down, kwargs) -> bytes | None:
    """Sign at ``level``; None (and ``down`` updated) if a service stays unreachable.
    The timestamper retries by itself; revocation fetches are retried here, with a
    fresh validation context each time (it would remember the failure)."""
    s = profile.services
    for attempt in range(1, s.retries + 1):
        try:
            stream = asyncio.run(_sign_once(pdf, meta, signer, level=level, profile=profile,
                                            **kwargs))
            return stream.getvalue()
        except _ServiceDown as e:
            log.warning("PAdES %s attempt %d/%d: %s unavailable (%s)",
                        level.value, attempt, s.retries, e.service, e)
            if e.service == "tsa" or attempt == s.retries:
                down[e.service] = str(e)
                return None
        time.sleep(s.backoff * 2 ** (attempt - 1))
    return None


def sign_with_profile(pdf: bytes, meta: PdfSignatureMetadata, signer: Signer, *,
                      profile: SigningProfile, when: datetime, signer_kwargs: dict,
                      text_params: dict, existing_fields_only: bool = False) -> SigningResult:
    """Sign at the profile's level, falling back (only as far as ``min_level``) when
    the TSA or the revocation services stay unreachable after the retries."""
    check_signer_certificate(signer.signing_cert, when)
    down: dict[str, str] = {}  # service -> English detail
    for level in profile.levels():
        if (level.needs_tsa and "tsa" in down) or (
                profile.checks_revocation(level) and "revocation" in down):
            continue
        signed = _sign_with_retries(pdf, meta, signer, level, profile, down, dict(
            when=when, signer_kwargs=signer_kwargs, text_params=text_params,
            existing_fields_only=existing_fields_only,
        ))
        if signed is None:
            continue
        reason = None
        if level != profile.level:
            why = " và ".join(_DOWN_VI[s] for s in down)
            reason = (f"Tài liệu được ký ở mức PAdES {level.value} thay cho {profile.level.value} "
                      f"vì {why}.")
            log.warning("signed at PAdES %s instead of %s: %s", level.value,
                        profile.level.value, "; ".join(f"{k}: {v}" for k, v in down.items()))
        return SigningResult(signed, level, profile.level, profile.checks_revocation(level), reason)
    service = "tsa" if "tsa" in down else "revocation"
    n = profile.services.retries
    raise SigningError(
        f"Không ký được tài liệu vì {_DOWN_VI[service]} sau {n} lần thử.",
        "tsa_unreachable" if service == "tsa" else "revocation_unreachable",
        detail=f"PAdES {profile.level.value} signing failed, {service} unavailable after {n} "
        f"attempts: {down[service]}",
    )
