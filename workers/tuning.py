"""Process-wide tuning for the commands that work on pages (`sohoa process`, `sohoa
worker`, the benchmark), made by one call, :func:`tune_for_pages`, never at import:

- Tesseract's OpenMP threads: one (they make it ~3.7x slower on 2 cores; pages run in
  parallel instead);
- Pillow's decompression-bomb guard: kept on, at our own page limit (Settings.max_page_pixels)
  rather than Pillow's default, so every page we accept opens and anything bigger is refused
  before it is decoded;
- glibc's allocator, so a long batch's memory stays flat (below);
- a private work folder for temporary files (pipeline.core.workdir): page images and OCR
  outputs never lie readable in the shared /tmp, nor stay there after a crash.

Keeping a long batch's memory flat: page-sized buffers go back to the OS when freed.

glibc serves big blocks with mmap, but raises that threshold after each one is freed (up
to 32 MB), so a run of page images ends up on the heap, in one arena per thread, where a
freed page is fragmented and kept. A fixed threshold stops the climb, and one arena lets
every thread reuse what another freed. (Python's own small objects never come here.)

Measured on a 200-page generated batch, two threads (peak PSS of the whole run, CPU):
glibc's defaults 456-470 MB; a 4 MB threshold 357-362 MB but 5% more CPU (the kernel
zeroes every fresh mapping); 16 MB and one arena 366-381 MB, 2-3% more CPU, and no
growth from the first quarter of the run to the last.
"""
from __future__ import annotations

import ctypes
import os

from pipeline.core.model import Limits
from pipeline.core.workdir import use_private_workdir

_M_ARENA_MAX = -8  # mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 << 20  # above a 300-dpi grey page (9 MB), below a colour one (26 MB)


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: its allocator has its own habits
        return None


def tune_for_pages(limits: Limits, *, private_tmp: bool = True) -> None:
    """Call once, early, before the first page is decoded or read. `private_tmp=False`
    leaves the temporary folder alone (a test process: pytest keeps its own there)."""
    from PIL import Image

    if private_tmp:
        use_private_workdir()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # read when libtesseract loads, and by OSD runs
    Image.MAX_IMAGE_PIXELS = limits.max_page_pixels
    _map_page_buffers()


def _map_page_buffers() -> None:
    """Serve blocks of MMAP_THRESHOLD and more straight from the OS, and keep one arena
    (call once, early, before the page threads start)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_ARENA_MAX, 1)


def release_memory() -> None:
    """Give freed heap back to the OS, so a long batch does not creep upwards."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
