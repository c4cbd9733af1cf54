"""Names the rules fix (Thông tư 01/2023/TT-VPCP, rules.md): a dossier's mã hồ sơ reads
`{agency code}-{yymmdd}-{sequence}` and a digitized file `<mã hồ sơ>.<order>`."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
_AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.]{0,30}$")


def vietnam_now() -> datetime:
    return datetime.now(VIETNAM).replace(microsecond=0)


def ma_ho_so(agency_code: str, day: date, sequence: int) -> str:
    if not _AGENCY_CODE.match(agency_code):
        raise ValueError(f"agency code {agency_code!r} is not like H15.50.05.13")
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def document_name(ma: str, order: int) -> str:
    return f"{ma}.{order}"
