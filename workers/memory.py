"""Keeping a long batch's memory flat: page-sized buffers go back to the OS when freed.

glibc serves big blocks with mmap, but raises that threshold after each one is freed (up
to 32 MB), so a run of page images ends up on the heap and in per-thread arenas, where a
freed page is fragmented and kept. Fixing the threshold stops the climb: blocks of a few
megabytes (a page image, a copy of one) are mapped and unmapped; small objects stay on
the heap. Measured on the benchmark batch: peak memory about a fifth lower, CPU about 5%
higher (the kernel zeroes the fresh pages).
"""
from __future__ import annotations

import ctypes

_M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
MMAP_THRESHOLD = 4 << 20


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: its allocator has its own habits
        return None


def map_page_buffers() -> None:
    """Serve blocks of MMAP_THRESHOLD and more straight from the OS (call once, early)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_memory() -> None:
    """Give freed heap back to the OS, so a long batch does not creep upwards."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
