"""Measuring a command honestly: wall time, CPU of the whole process tree, peak RSS of the
whole tree (sampled). The character error rate against ground truth is
samples.accuracy.char_errors."""
from __future__ import annotations

import contextlib
import ctypes
import platform
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass

import psutil


@dataclass
class Usage:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0  # PSS summed over the process tree (see _sample_tree)
    quarter_peaks_mb: tuple[float, ...] = ()  # the same, in each quarter of the run's time


_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())  # kcmp(2) syscall number
_KCMP_VM = 1
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _borrows_parent_memory(pid: int, ppid: int) -> bool:
    """True for a child between vfork() and exec(): it runs in its parent's address space,
    so its PSS is the parent's again. Python's subprocess starts every program this way; a
    sample taken in that instant would count the parent twice."""
    if _KCMP is None:
        return False
    args = (ctypes.c_int(pid), ctypes.c_int(ppid), ctypes.c_int(_KCMP_VM), ctypes.c_ulong(0), ctypes.c_ulong(0))
    return _libc.syscall(ctypes.c_long(_KCMP), *args) == 0


def _sample_tree(proc: psutil.Process, cpu_seen: dict) -> int:
    """Memory of the whole tree now (PSS: shared pages counted once, in shares), and each
    process's own CPU time as last seen.

    Sampling is needed for CPU time too: processes that nobody waits for (a forkserver's
    children) never reach the kernel's RUSAGE_CHILDREN.
    """
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            with p.oneshot():
                # Checked before reading: once exec() has run, the child's memory is its own.
                if p.pid == proc.pid or not _borrows_parent_memory(p.pid, p.ppid()):
                    total += p.memory_full_info().pss
                times = p.cpu_times()
                cpu_seen[(p.pid, p.create_time())] = times.user + times.system
        except psutil.Error:
            pass
    return total


def run_measured(commands: list[list[str]], env: dict, parallel: int = 1) -> Usage:
    """Run commands (at most `parallel` at once); CPU counts every descendant process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, samples, cpu_seen = time.perf_counter(), [], {}
    queue, running = list(commands), []
    while queue or running:
        while queue and len(running) < parallel:
            cmd = queue.pop(0)
            # stderr to a file: a long report must not fill a pipe and stall the tool
            log = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the command ends)
            running.append((cmd, subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log), log))
        sample = 0
        for _, p, _ in running:
            with contextlib.suppress(psutil.Error):
                sample += _sample_tree(psutil.Process(p.pid), cpu_seen)
        samples.append((time.perf_counter() - start, sample))
        for item in list(running):
            if item[1].poll() is not None:
                running.remove(item)
                cmd, proc, log = item
                if proc.returncode not in (0, 1):
                    log.seek(0)
                    print(f"  ! {' '.join(cmd[:3])}… exited {proc.returncode}: "
                          f"{log.read().decode(errors='replace')[-300:]}")
                log.close()
        time.sleep(0.05)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    wall = time.perf_counter() - start
    quarters = [max((m for t, m in samples if q <= 4 * t / wall < q + 1), default=0) / 2**20
                for q in range(4)]
    # Whichever sees more: the kernel's count of reaped descendants, or the sampled tree.
    return Usage(wall, max(reaped, sum(cpu_seen.values())), max(quarters), tuple(quarters))
