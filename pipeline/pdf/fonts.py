"""The one place that finds the font sohoa prints visible text in (the signing stamp, the
certification page, the printed register): Liberation Serif 2, Debian's fonts-liberation2,
metric-compatible with the Times New Roman the rules ask for and WITH Vietnamese glyphs.

Liberation 1.x (Debian's fonts-liberation) lacks them; its folder is tried only in case a
distribution patched it, and a font without every Vietnamese letter is never taken.
"""
from __future__ import annotations

import os
from functools import lru_cache

from fontTools import ttLib

from pipeline.core.errors import FontError

FONT_DIR_ENV_VAR = "SOHOA_FONT_DIR"
_FONT_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation")
REGULAR = "LiberationSerif-Regular.ttf"
BOLD = "LiberationSerif-Bold.ttf"

# Vietnamese letters the font must have (NFC forms).
VIETNAMESE = (
    "ĂÂĐÊÔƠƯăâđêôơư"
    "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)


def _has_vietnamese(path: str) -> bool:
    try:
        # closed here, not by the garbage collector: an unclosed-file warning raised in the
        # middle of pikepdf's PDF/A check once failed a document
        with ttLib.TTFont(path, lazy=True) as font:
            codepoints = font.getBestCmap() or {}
    except Exception:  # missing or not a font: the next folder may have it
        return False
    return all(ord(c) in codepoints for c in VIETNAMESE)


@lru_cache(maxsize=8)
def font_path(file_name: str = REGULAR, font_dir: str | None = None) -> str:
    """Path of `file_name` (REGULAR or BOLD) in `font_dir`, else in $SOHOA_FONT_DIR, else
    in Debian's folders. A folder given explicitly or by the environment is the only one
    looked in: a wrong setting is reported, not silently replaced by another font."""
    override = font_dir or os.environ.get(FONT_DIR_ENV_VAR)
    for folder in [override] if override else _FONT_DIRS:
        path = os.path.join(folder, file_name)
        if _has_vietnamese(path):
            return path
    raise FontError(detail=(
        f"No {file_name} with Vietnamese glyphs in {override or ' or '.join(_FONT_DIRS)}: "
        f"install Debian's fonts-liberation2 (scripts/install.sh does) or point "
        f"{FONT_DIR_ENV_VAR} at a folder holding Liberation Serif 2."))
