"""Copy ids, the short verification code printed on a certified copy, and its QR code.

A copy id is 12 random symbols of Crockford's base32 alphabet (digits and capitals
without I, L, O, U, so nothing reads two ways): 60 bits from `secrets`, too many to guess.
The verification code is the same id in groups of four (`7KQ2-M9XH-4RTD`), so a citizen
who types it gives back the copy id itself; reading it, O counts as 0 and I/L as 1.
The QR code carries `<public base URL>/verify/<copy id>` and is drawn as vector squares
(no image, nothing PDF/A could object to).
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from itertools import groupby

import segno

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COPY_ID_LENGTH = 12
QUIET_ZONE = 4  # modules of white border the QR standard asks for
_COPY_ID = re.compile(f"^[{ALPHABET}]{{{COPY_ID_LENGTH}}}$")
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_copy_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(COPY_ID_LENGTH))


def is_copy_id(text: str) -> bool:
    return isinstance(text, str) and bool(_COPY_ID.match(text))


def verification_code(copy_id: str) -> str:
    """`7KQ2M9XH4RTD` -> `7KQ2-M9XH-4RTD`."""
    if not is_copy_id(copy_id):
        raise ValueError(f"{copy_id!r} is not a copy id")
    return "-".join(copy_id[i:i + 4] for i in range(0, COPY_ID_LENGTH, 4))


def parse_code(typed: str) -> str:
    """The copy id of a code as a person typed it (any case, spaces or dashes anywhere)."""
    cleaned = re.sub(r"[\s\-]", "", typed or "").upper().translate(_TYPO)
    if not is_copy_id(cleaned):
        raise ValueError("Mã kiểm tra không hợp lệ: cần 12 ký tự (chữ số và chữ cái).")
    return cleaned


def verify_url(public_base_url: str, copy_id: str) -> str:
    if not is_copy_id(copy_id):
        raise ValueError(f"{copy_id!r} is not a copy id")
    base = public_base_url.rstrip("/")
    if not re.match(r"^https?://[^\s/]+", base):
        raise ValueError(f"the public base URL {public_base_url!r} is not an http(s) URL")
    return f"{base}/verify/{copy_id}"


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR symbol's modules (True = dark), without the quiet zone. Error correction
    level M at least (segno raises it when that costs no extra size)."""
    symbol = segno.make(data, error="m", micro=False)
    return [[bool(v) for v in row] for row in symbol.matrix]


def dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each run of dark modules in a row of `matrix`: a run
    is drawn as one rectangle, which keeps the drawing small."""
    for r, row in enumerate(matrix):
        c = 0
        for dark, run in groupby(row):
            length = len(list(run))
            if dark:
                yield r, c, length
            c += length
