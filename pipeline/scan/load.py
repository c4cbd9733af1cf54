"""Stage 1, load: open a scan (PNG, JPEG, TIFF, PDF) and hand out its pages as pixels.

The file type comes from its first bytes, never from its name. Sizes are checked from the
headers *before* anything is decoded, so a decompression bomb or a 35000×35000 page is
refused without allocating it.

A PDF page that is nothing but one JPEG drawn over the whole page (what scanners write) is
decoded straight from its JPEG: about 7x cheaper than rendering the page, and the pixels
are the scan's own. Any other page is rendered by poppler.
"""
from __future__ import annotations

import errno
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image, UnidentifiedImageError

from pipeline.core.errors import InputError
from pipeline.core.model import Limits
from pipeline.tools import poppler

A4_LONG_SIDE_IN = 11.69
FULL_PAGE_TOLERANCE_PT = 1.0  # an embedded scan may miss the page edge by this much


@dataclass(frozen=True)
class SourceInfo:
    kind: str  # "png" | "jpeg" | "tiff" | "pdf"
    page_count: int


@dataclass
class LoadedPage:
    pixels: np.ndarray  # uint8, H×W (grey) or H×W×3 (RGB)
    dpi: float
    photo: bool = False  # a photo's page, found and rectified (pipeline.scan.photo)


def sniff_kind(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def unreadable(exc: OSError, *, folder: bool = False) -> InputError:
    """The clerk's sentence for a file or folder the operating system would not open."""
    what = "thư mục" if folder else "tệp"
    if exc.errno in (errno.EACCES, errno.EPERM):
        message, code = (f"Không có quyền đọc {what} này nên "
                         + ("các tệp trong đó chưa được số hóa." if folder else "không thể số hóa."),
                         "permission_denied")
    elif exc.errno == errno.ENAMETOOLONG:
        message, code = (f"Đường dẫn của {what} dài quá giới hạn của hệ điều hành nên không mở "
                         "được.", "path_too_long")
    elif exc.errno == errno.ELOOP:
        message, code = (f"{what.capitalize()} là liên kết vòng (trỏ về chính nó) nên không mở "
                         "được.", "link_loop")
    else:
        message, code = f"Hệ thống tệp báo lỗi khi đọc {what} này nên không số hóa được.", "unreadable"
    return InputError(message, code, detail=f"{exc.filename}: {exc.strerror or exc}")


def inspect_source(path: Path, limits: Limits) -> SourceInfo:
    """Check that `path` is a scan we can read; count its pages. Raises InputError."""
    try:
        return _inspect(path, limits)
    except OSError as exc:  # no permission, a name too long, a disk error
        raise unreadable(exc) from exc


def _inspect(path: Path, limits: Limits) -> SourceInfo:
    size = path.stat().st_size
    if size == 0:
        raise InputError("Tệp rỗng (0 byte), không có trang nào để số hóa.", "empty_file")
    if size > limits.max_file_bytes:
        raise InputError(
            f"Tệp quá lớn ({size // 2**20} MB), vượt giới hạn {limits.max_file_bytes // 2**20} MB.",
            "file_too_large",
        )
    with path.open("rb") as fh:
        kind = sniff_kind(fh.read(1024))
    if kind is None:
        raise InputError(
            "Tệp không phải ảnh quét (PNG, JPEG, TIFF) hay PDF nên không thể số hóa.",
            "unsupported_type",
        )
    if kind == "pdf":
        return SourceInfo(kind, len(_pdf_page_dpis(path, limits)))
    with _open_image(path) as im:
        count = getattr(im, "n_frames", 1)
        _check_count(count, limits)
        for i in range(count):
            im.seek(i)
            _check_pixels(im.size[0], im.size[1], limits, i)
    return SourceInfo(kind, count)


def load_page(path: Path, kind: str, index: int, limits: Limits) -> LoadedPage:
    """Decode page `index` of a file that `inspect_source` accepted."""
    if kind == "pdf":
        return _render_pdf_page(path, index, limits)
    with _open_image(path) as im:
        im.seek(index)
        _check_pixels(im.size[0], im.size[1], limits, index)
        dpi = _image_dpi(im)
        if kind == "png" and getattr(im, "n_frames", 1) == 1 and im.mode in ("L", "RGB"):
            # libpng through OpenCV decodes straight into an array: half Pillow's cost
            pixels = _cv2_decode(path.read_bytes(), im.mode)
            if pixels is not None:
                return LoadedPage(pixels, dpi)
        try:
            pixels = _to_array(im)
        except (OSError, ValueError, SyntaxError) as exc:
            raise InputError(
                f"Trang {index + 1} của tệp ảnh bị hỏng hoặc không đầy đủ nên không đọc được.",
                "truncated_image",
            ) from exc
    return LoadedPage(pixels, dpi)


def _open_image(path: Path) -> Image.Image:
    # Pillow's bomb guard stays on (workers.tuning sets it to Settings.max_page_pixels):
    # past it, the page is refused like one our own check finds too large.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InputError("Ảnh có kích thước quá lớn để là một trang quét (có thể là tệp độc "
                         "hại).", "page_too_large", detail=str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            "Tệp ảnh bị hỏng hoặc không đầy đủ nên không đọc được.", "corrupt_image"
        ) from exc


def _check_count(count: int, limits: Limits) -> None:
    if count < 1:
        raise InputError("Tệp không có trang nào để số hóa.", "no_pages")
    if count > limits.max_pages:
        raise InputError(
            f"Tệp có {count} trang, vượt giới hạn {limits.max_pages} trang một tài liệu.",
            "too_many_pages",
        )


def _check_pixels(width: int, height: int, limits: Limits, index: int) -> None:
    if width * height > limits.max_page_pixels:
        raise InputError(
            f"Trang {index + 1} có kích thước {width}×{height} điểm ảnh, quá lớn để là một "
            "trang quét (có thể là tệp độc hại).",
            "page_too_large",
        )
    if width * height < limits.min_page_pixels:
        raise InputError(
            f"Trang {index + 1} chỉ có {width}×{height} điểm ảnh, quá nhỏ để đọc được.",
            "page_too_small",
        )


def _image_dpi(im: Image.Image) -> float:
    dpi = im.info.get("dpi")
    value = float(dpi[0]) if dpi else 0.0
    if 100 <= value <= 1200:
        return value
    # No usable density recorded: assume the long side is an A4 page's.
    return float(min(1200, max(100, round(max(im.size) / A4_LONG_SIDE_IN))))


def _cv2_decode(data: bytes, mode: str) -> np.ndarray | None:
    """An 8-bit grey or RGB image decoded by OpenCV, or None when it does not decode to
    what Pillow read from the header (the caller then lets Pillow decode it, and fail)."""
    import cv2  # here, not on top: the batch client only inspects files, and OpenCV is 25 MB

    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.dtype != np.uint8 or pixels.ndim != (2 if mode == "L" else 3) \
            or (pixels.ndim == 3 and pixels.shape[2] != 3):
        return None
    return pixels if mode == "L" else cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


def _to_array(im: Image.Image) -> np.ndarray:
    if im.mode in ("1", "L", "LA", "I;16", "I;16B", "I", "F"):
        if im.mode in ("I;16", "I;16B", "I", "F"):
            arr = np.asarray(im, dtype=np.float32)
            peak = max(float(arr.max()), 1.0)
            return np.clip(arr * (255.0 / peak), 0, 255).astype(np.uint8)
        return np.asarray(im if im.mode == "L" else im.convert("L"))
    # convert() would copy an image that is already RGB: one full-page copy fewer.
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))


def _pdf_page_dpis(path: Path, limits: Limits, only: int | None = None) -> list[float]:
    """Open the PDF safely and return each page's own resolution (from its largest image),
    checking its size and its images' sizes; with `only`, just that page's (a page task
    needs no other)."""
    try:
        with pikepdf.open(path) as pdf:
            pages = list(pdf.pages)
            _check_count(len(pages), limits)
            dpis = []
            for i in range(len(pages)) if only is None else [only]:
                width_in, height_in = _page_inches(pages[i], i)
                sizes = _image_sizes(pages[i])
                _check_images(sizes, limits, i)
                dpi = _page_dpi(sizes, max(width_in, height_in)) or 300.0
                _check_pixels(int(width_in * dpi), int(height_in * dpi), limits, i)
                dpis.append(dpi)
            return dpis
    except pikepdf.PasswordError as exc:
        raise InputError(
            "Tệp PDF được mã hóa bằng mật khẩu nên không thể mở để số hóa.", "encrypted_pdf"
        ) from exc
    except pikepdf.PdfError as exc:
        raise InputError("Tệp PDF bị hỏng nên không đọc được.", "corrupt_pdf") from exc


def _page_inches(page: pikepdf.Page, index: int) -> tuple[float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    except (TypeError, ValueError) as exc:  # a name or a string where numbers belong
        raise InputError(f"Trang {index + 1} của tệp PDF có khung trang không hợp lệ nên không "
                         "đọc được.", "corrupt_pdf", detail=f"/MediaBox: {exc}") from exc
    width, height = abs(x1 - x0) / 72.0, abs(y1 - y0) / 72.0
    if _rotation(page, index) % 180:
        width, height = height, width
    return width, height


def _rotation(page: pikepdf.Page, index: int) -> int:
    """The page's /Rotate: a whole multiple of 90 (ISO 32000 7.7.3.3); anything else (a
    name, a fraction) is a damaged page, refused rather than guessed."""
    value = page.obj.get("/Rotate", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value % 90:
        raise InputError(f"Trang {index + 1} của tệp PDF có góc xoay (/Rotate) không hợp lệ nên "
                         "không đọc được.", "corrupt_pdf", detail=f"/Rotate {value!r}")
    return value % 360


def _image_sizes(page: pikepdf.Page) -> list[tuple[int, int]]:
    """(width, height) each image of the page declares (inside form XObjects too)."""
    sizes = []
    for image in page.get_images().values():
        try:
            sizes.append((int(image.Width), int(image.Height)))
        except (AttributeError, ValueError, TypeError):
            continue
    return sizes


def _check_images(sizes: list[tuple[int, int]], limits: Limits, index: int) -> None:
    """Refuse a page drawing an image larger than a page may be: whatever the page's own
    size, drawing it decodes the whole image (a 20000×20000 JPEG on a 1-inch page is 400
    million pixels, not the 1200×1200 the page renders to)."""
    for width, height in sizes:
        if width * height > limits.max_page_pixels:
            raise _image_too_large(index, width, height)


def _image_too_large(index: int, width: int | None = None, height: int | None = None,
                     detail: str | None = None) -> InputError:
    image = f"ảnh {width}×{height} điểm ảnh," if width else "một ảnh"
    return InputError(f"Trang {index + 1} của tệp PDF chứa {image} quá lớn để là một trang quét "
                      "(có thể là tệp độc hại).", "page_too_large", detail=detail)


def _page_dpi(sizes: list[tuple[int, int]], long_side_in: float) -> float | None:
    best = max((max(w, h) for w, h in sizes), default=0)
    if not best or long_side_in <= 0:
        return None
    return float(min(1200, max(100, round(best / long_side_in))))


def _render_pdf_page(path: Path, index: int, limits: Limits) -> LoadedPage:
    dpi = _pdf_page_dpis(path, limits, only=index)[0]
    try:
        with pikepdf.open(path) as pdf:
            _check_jpeg_headers(pdf.pages[index], limits, index)
            pixels = _embedded_scan(pdf.pages[index], index)
    except pikepdf.PdfError:
        pixels = None  # poppler gets its chance and says what is wrong
    if pixels is not None:
        return LoadedPage(pixels, dpi)
    with poppler.render_page(path, index, dpi) as im:
        return LoadedPage(_to_array(im), dpi)


def _check_jpeg_headers(page: pikepdf.Page, limits: Limits, index: int) -> None:
    """A JPEG is decoded at the size its own header says, whatever the PDF's /Width and
    /Height: check that size too (header only; Pillow's bomb guard stays on)."""
    for image in page.get_images().values():
        if _filters(image) != [pikepdf.Name.DCTDecode]:
            continue  # a JPEG behind another filter is not unpacked here (that could be a bomb too)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(image.read_raw_bytes())) as im:
                    width, height = im.size
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise _image_too_large(index, detail=str(exc)) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            continue  # not a JPEG after all: poppler says what is wrong with it
        if width * height > limits.max_page_pixels:
            raise _image_too_large(index, width, height)


def _filters(image: pikepdf.Object) -> list:
    found = image.get("/Filter")
    return list(found) if isinstance(found, pikepdf.Array) else [found]


def _embedded_scan(page: pikepdf.Page, index: int) -> np.ndarray | None:
    """The pixels of the one JPEG a page draws over its whole area and nothing else, or None
    when the page is anything else (then it is rendered)."""
    if _rotation(page, index) or "/CropBox" in page.obj and \
            [float(v) for v in page.obj.CropBox] != [float(v) for v in page.mediabox]:
        return None
    drawn = _single_image_placement(page)
    if drawn is None:
        return None
    name, (a, b, c, d, e, f) = drawn
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    tol = FULL_PAGE_TOLERANCE_PT
    if abs(b) > 1e-6 or abs(c) > 1e-6 or abs(e - x0) > tol or abs(f - y0) > tol \
            or abs(a - (x1 - x0)) > tol or abs(d - (y1 - y0)) > tol:
        return None
    image = page.obj.get("/Resources", {}).get("/XObject", {}).get(name)
    if image is None or image.get("/Subtype") != pikepdf.Name.Image:
        return None
    channels = {"/DeviceRGB": 3, "/DeviceGray": 1}.get(str(image.get("/ColorSpace")))
    if (image.get("/Filter") != pikepdf.Name.DCTDecode or channels is None
            or int(image.get("/BitsPerComponent", 0)) != 8
            or any(k in image for k in ("/SMask", "/Mask", "/ImageMask", "/Decode", "/DecodeParms"))):
        return None
    try:
        raw = image.read_raw_bytes()
        with Image.open(io.BytesIO(raw)) as im:
            # the JPEG's own header must agree with the PDF before a pixel is decoded
            if im.format != "JPEG" or im.size != (int(image.Width), int(image.Height)) \
                    or im.mode != ("RGB" if channels == 3 else "L"):
                return None
            pixels = _cv2_decode(raw, im.mode)  # libjpeg-turbo into an array, ~2x Pillow's speed
            return pixels if pixels is not None and pixels.shape[:2] == im.size[::-1] else np.asarray(im)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def _single_image_placement(page: pikepdf.Page) -> tuple[pikepdf.Name, list[float]] | None:
    """(image name, its placement matrix) when the page's content is only `q cm Do Q`
    operations drawing one image; None when it draws anything else."""
    try:
        operations = pikepdf.parse_content_stream(page)
    except pikepdf.PdfError:
        return None
    matrix, saved, drawn = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [], None
    for operands, operator in operations:
        op = str(operator)
        if op == "q":
            saved.append(matrix)
        elif op == "Q" and saved:
            matrix = saved.pop()
        elif op == "cm" and len(operands) == 6:
            a, b, c, d, e, f = (float(v) for v in operands)
            m = matrix
            matrix = [a * m[0] + b * m[2], a * m[1] + b * m[3], c * m[0] + d * m[2],
                      c * m[1] + d * m[3], e * m[0] + f * m[2] + m[4], e * m[1] + f * m[3] + m[5]]
        elif op == "Do" and drawn is None and len(operands) == 1:
            drawn = (operands[0], matrix)
        else:
            return None
    return drawn
