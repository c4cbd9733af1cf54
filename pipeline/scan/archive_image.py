"""The page image the archive keeps: the scan's own pixels, turned by quarter turns only,
as a 24-bit colour JPEG (Thông tư 05/2025/TT-BNV Điều 8: at least 24 bit)."""
from __future__ import annotations

import cv2
import numpy as np

from pipeline.core.errors import InternalError

# Quality 60 with 4:2:0 subsampling: a quarter of OCRmyPDF's bytes per page at the same
# legibility (bench/run.py measures both).
JPEG_QUALITY = 60


def encode_page_image(pixels: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """24-bit colour JPEG of an RGB or grey page (4:2:0 subsampling keeps it small)."""
    if pixels.ndim == 2:
        bgr = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    else:
        bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                          cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise InternalError(detail="JPEG encoding failed")
    return buf.tobytes()
