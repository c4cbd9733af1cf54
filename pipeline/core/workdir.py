"""The private work folder of a process that works on pages.

Page images, Tesseract's outputs and poppler's renderings hold what the scans hold: names,
birth dates, personal ID numbers. Written straight into the shared temporary folder they
are readable by every local user (Tesseract writes its outputs 0644), and a crash leaves
them there. So a process that works on pages owns one folder,
``<tmp>/sohoa-<uid>/run-<pid>-<random>/`` (both mode 0700), and points Python's
``tempfile`` and its child programs' ``TMPDIR`` at it. The folder is removed when the
process exits; one a crashed run left behind is removed by the next run that starts: a
live run holds a lock on its folder, a dead one's lock is free.
"""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger("sohoa.workdir")
LOCK_NAME = ".lock"
RUN_PREFIX = "run-"
# A run folder without its lock file is being made right now (or its run died in the
# microseconds between the two): removed only once it is this old.
UNLOCKED_GRACE_S = 3600.0

_current: Path | None = None  # inherited by forked children (Celery's pool): they share it
_lock_fd: int | None = None


def use_private_workdir() -> Path:
    """Make (once per process tree) and use this run's private work folder; remove the
    folders of crashed runs first. Returns the folder."""
    global _current, _lock_fd
    if _current is not None:
        return _current
    base = _private_base(_shared_tmp())
    remove_abandoned(base)
    run = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-", dir=base))  # 0700
    _lock_fd = os.open(run / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    tempfile.tempdir = str(run)
    os.environ["TMPDIR"] = str(run)  # tesseract, pdftoppm and whatever they start
    atexit.register(_remove_own, run, os.getpid())
    _current = run
    return run


def _shared_tmp() -> Path:
    """The folder `tempfile` would use, found without `tempfile.gettempdir()`: that one
    tries a file of its own in it first, and nothing but our folder should go there."""
    if tempfile.tempdir:
        return Path(tempfile.tempdir)
    chosen = next((os.environ[v] for v in ("TMPDIR", "TEMP", "TMP") if os.environ.get(v)), "/tmp")
    return Path(chosen)


def _private_base(tmp: Path) -> Path:
    """``<tmp>/sohoa-<uid>``, a 0700 folder of ours; a fresh one if that name is taken by
    anything else (another user's folder, a link): nobody can plant our folder."""
    base = tmp / f"sohoa-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        base.mkdir(mode=0o700)
    info = os.lstat(base)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        log.warning("%s is not a folder of ours: using a fresh one", base)
        return Path(tempfile.mkdtemp(prefix=f"sohoa-{os.getuid()}-", dir=tmp))
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(base, 0o700)
    return base


def remove_abandoned(base: Path) -> list[Path]:
    """Remove the run folders under `base` whose run is gone; the ones removed."""
    removed = []
    for folder in sorted(base.glob(f"{RUN_PREFIX}*")):
        if folder.is_dir() and not folder.is_symlink() and _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
            log.info("removed %s, left by a run that did not finish", folder)
    return removed


def _abandoned(folder: Path) -> bool:
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE_S
        except OSError:  # removed meanwhile by another run starting
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its run is alive
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return True


def _remove_own(run: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child exiting before its parent
        shutil.rmtree(run, ignore_errors=True)
