"""Measuring a command honestly: wall time, CPU of the whole process tree, peak RSS of the
whole tree (sampled), and character error rate against ground truth."""
from __future__ import annotations

import re
import resource
import subprocess
import time
import unicodedata
from dataclasses import dataclass

import psutil
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein


@dataclass
class Usage:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0  # PSS summed over the process tree (see _sample_tree)


def _sample_tree(proc: psutil.Process, cpu_seen: dict) -> int:
    """Memory of the whole tree now (PSS: shared pages counted once, in shares), and each
    process's own CPU time as last seen.

    Sampling is needed because a process pool's workers hang under a forkserver that
    nobody waits for, so the kernel's RUSAGE_CHILDREN never hears of their CPU time.
    """
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            with p.oneshot():
                total += p.memory_full_info().pss
                times = p.cpu_times()
                cpu_seen[(p.pid, p.create_time())] = times.user + times.system
        except psutil.Error:
            pass
    return total


def run_measured(commands: list[list[str]], env: dict, parallel: int = 1) -> Usage:
    """Run commands (at most `parallel` at once); CPU counts every descendant process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, peak, cpu_seen = time.perf_counter(), 0, {}
    queue, running = list(commands), []
    while queue or running:
        while queue and len(running) < parallel:
            cmd = queue.pop(0)
            running.append((cmd, subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.PIPE)))
        sample = 0
        for _, p in running:
            try:
                sample += _sample_tree(psutil.Process(p.pid), cpu_seen)
            except psutil.Error:
                pass
        peak = max(peak, sample)
        for item in list(running):
            if item[1].poll() is not None:
                running.remove(item)
                if item[1].returncode not in (0, 1):
                    print(f"  ! {' '.join(item[0][:3])}… exited {item[1].returncode}: "
                          f"{item[1].stderr.read().decode(errors='replace')[-300:]}")
        time.sleep(0.05)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # Whichever sees more: the kernel's count of reaped descendants, or the sampled tree.
    return Usage(time.perf_counter() - start, max(reaped, sum(cpu_seen.values())), peak / 2**20)


_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def char_errors(truth: str, ocr: str) -> tuple[int, int]:
    """(character errors, reference length), robust to reading order.

    Side-by-side blocks (a header's two columns, a form's two sides) may be read in
    another order by an engine without a letter being wrong, so each printed line is
    matched to the OCR span that fits it best, which is then used up; what is left of the
    OCR text unmatched (junk, leader dots read as letters) counts as insertions. Every tool
    in the benchmark is scored with this same function.
    """
    lines = sorted((normalise(line) for line in truth.splitlines()), key=len, reverse=True)
    lines = [line for line in lines if line]
    hyp = normalise(ocr)
    errors = 0
    for line in lines:
        if len(line) > len(hyp):
            errors += Levenshtein.distance(line, hyp)
            hyp = ""
            continue
        found = fuzz.partial_ratio_alignment(line, hyp)
        if found is None or found.score < 40:
            errors += len(line)
            continue
        start, end = _widen(line, hyp, found.dest_start, found.dest_end)
        errors += Levenshtein.distance(line, hyp[start:end])
        hyp = hyp[:start] + " " + hyp[end:]
    errors += len(hyp.replace(" ", ""))
    return errors, sum(len(line) for line in lines)


def _widen(line: str, hyp: str, start: int, end: int) -> tuple[int, int]:
    """Let the matched span grow or shrink by a few characters where that fits better
    (the aligner's span has the line's length, an OCR insertion or deletion shifts it)."""
    best = (Levenshtein.distance(line, hyp[start:end]), start, end)
    for ds in range(-3, 4):
        for de in range(-3, 4):
            s, e = max(0, start + ds), min(len(hyp), end + de)
            if s < e:
                best = min(best, (Levenshtein.distance(line, hyp[s:e]), s, e))
    return best[1], best[2]
