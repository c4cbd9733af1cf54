"""Which failures are outages worth waiting out, and how to wait them out.

An outage is the object store, the database or the broker not answering for a while:
connection refused or reset, a timeout, an S3 5xx, a dropped database connection. Anything
else (a refusal, a corrupt object, a bug) is not retried: retrying would only repeat it.
"""
from __future__ import annotations

import errno
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("sohoa.transient")
T = TypeVar("T")
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 60.0
# S3 answers meaning "not now" rather than "no".
_S3_BUSY = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"}
# Network failures that are not ConnectionError subclasses.
_NET_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.ETIMEDOUT}


def is_transient(exc: BaseException) -> bool:
    """True for an outage of a service (retry later), False for anything else."""
    from pipeline.core.errors import SohoaError

    if isinstance(exc, SohoaError):  # our own verdicts (a corrupt object included) stand
        return False
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, OSError):  # a disk error or a missing file is not an outage
        return exc.errno in _NET_ERRNOS
    return _third_party_transient(exc)


def _third_party_transient(exc: BaseException) -> bool:
    import urllib3.exceptions
    from minio.error import S3Error, ServerError
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, (urllib3.exceptions.HTTPError, ServerError)):
        return True  # minio's own retries gave up: connection refused, reset, 5xx
    if isinstance(exc, S3Error):
        return exc.code in _S3_BUSY
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError)
                                             and exc.connection_invalidated):
        return True
    try:
        import kombu.exceptions
        import redis.exceptions
    except ImportError:
        return False
    return isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                            kombu.exceptions.OperationalError))


def backoff_s(attempt: int) -> float:
    """Exponential back-off with full jitter (attempt 0, 1, 2…): clients that failed
    together do not all come back in the same second."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def retry_transient(call: Callable[[], T], *, budget_s: float, what: str) -> T:
    """`call()`, again after back-off while it fails with an outage, for up to `budget_s`."""
    deadline = time.monotonic() + budget_s
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            delay = backoff_s(attempt)
            if time.monotonic() + delay > deadline:
                log.error("%s: outage outlasted %.0f s, giving up: %s", what, budget_s, exc)
                raise
            log.warning("%s: %s (%s), retry %d in %.1f s", what, type(exc).__name__, exc,
                        attempt + 1, delay)
            time.sleep(delay)
            attempt += 1
