"""Which database a command reads: SOHOA_DATABASE_URL, else the SQLite file of an output
folder (`sohoa process --out`)."""
from __future__ import annotations

from pathlib import Path

from pipeline.core.errors import ConfigurationError
from pipeline.core.settings import Settings


def database_url(settings: Settings, out: Path | None) -> str:
    if settings.database_url:
        return settings.database_url
    if out is None:
        raise ConfigurationError("Cần --out THƯ_MỤC_KẾT_QUẢ (hoặc đặt SOHOA_DATABASE_URL).")
    return settings.database_for(out)


def not_made_yet(url: str) -> bool:
    """An output folder's SQLite file that no run has made: nothing to read there."""
    return url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file()
