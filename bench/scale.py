"""Scale-out benchmark: Celery with 1 and 2 worker processes on the same batch, the S3 store
against the local one (with 2 worker processes, and with 1, which leaves the S3 server a CPU
of its own), the `tesseract` command alone in 1 and 2 processes as the reference, and a
capacity estimate from the per-page costs measured, in one run.

    .venv/bin/python -m bench.scale [--per-type 6] [--seed 21] [--repeat 1]

The default batch (6 documents of each type, 48 pages) is long enough that a run's start
and end (the first upload, the last page and assembly) weigh little in its throughput.
Every run digitizes the same generated batch into a fresh output folder (nothing reused)
through a real Celery worker on the local Redis, on a queue of its own. The S3 runs use a
throwaway Ceph radosgw started by scripts/radosgw.sh on a free port (or
SOHOA_BENCH_S3_ENDPOINT with SOHOA_BENCH_S3_ACCESS_KEY / _SECRET_KEY). The machine may be
shared: the figures are what this run measured, with the load average printed beside them.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil

from samples.generate import generate_batch

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
BROKER = os.environ.get("SOHOA_BENCH_BROKER", "redis://127.0.0.1:6379/11")
S3_KEYS = ("sohoa-bench", "sohoa-bench-secret-key")  # a loopback server's, data in RAM
TARGET_SPEEDUP, TARGET_S3_OVERHEAD = 1.8, 0.10


@dataclass
class Run:
    label: str
    wall_s: list[float] = field(default_factory=list)  # the whole `sohoa process` command
    busy_s: list[float] = field(default_factory=list)  # first task received to last task done
    in_flight: list[float] = field(default_factory=list)  # tasks running at once, on average
    lead_s: list[float] = field(default_factory=list)  # command start to the first task received
    tail_s: list[float] = field(default_factory=list)  # last task done to the command's end
    server_cpu_s: list[float] = field(default_factory=list)  # the S3 server's, during the run
    worker_cpu_s: list[float] = field(default_factory=list)
    client_cpu_s: list[float] = field(default_factory=list)  # `sohoa process` itself
    pages: int = 0
    documents: int = 0
    store_bytes: int = 0
    original_bytes: int = 0
    database_bytes: int = 0

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_s)

    @property
    def busy(self) -> float:
        return statistics.median(self.busy_s)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.busy

    @property
    def cpu_per_page(self) -> float:
        return statistics.median(self.worker_cpu_s) / self.pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=6)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each setup (median).")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-scale-"))
    batch = work / "batch"
    generate_batch(batch, args.per_type, args.seed)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")},
           "SOHOA_HOME": str(work / "home"), "OMP_THREAD_LIMIT": "1"}
    _warm_up(batch, work, env)
    s3 = _S3(work / "ceph")
    try:
        s3_env = s3.start()
        s3.bucket(s3_env, work / "warm-up-cache", warm_up=True)
        runs = [Run("Celery, 1 worker process"), Run("Celery, 2 worker processes"),
                Run("Celery, 2 processes, S3 store"), Run("Celery, 1 process, S3 store")]
        for i in range(args.repeat):  # interleaved, so a burst of load hits every setup alike
            _measure(runs[0], batch, work / f"out-1-{i}", env, processes=1)
            _measure(runs[1], batch, work / f"out-2-{i}", env, processes=2)
            for run, processes in ((runs[2], 2), (runs[3], 1)):
                bucket = s3.bucket(s3_env, work / "bucket-cache")  # a deployment has its bucket
                before = s3.cpu_s()
                _measure(run, batch, work / f"out-s3-{processes}-{i}",
                         {**env, **s3_env, "SOHOA_S3_BUCKET": bucket}, processes=processes)
                run.server_cpu_s.append(s3.cpu_s() - before)
    finally:
        s3.stop()
    _report(runs, _tesseract_alone(work / "out-1-0", env))


def _measure(run: Run, batch: Path, out: Path, env: dict, processes: int) -> None:
    env = {**env, "SOHOA_BROKER_URL": BROKER, "SOHOA_QUEUE": f"bench-{uuid.uuid4().hex[:10]}"}
    log = out.parent / f"{out.name}.worker.log"
    worker = _start_worker(env, log, processes)
    try:
        started, children, clock = time.monotonic(), _children_cpu(), datetime.now()
        done = subprocess.run([str(BIN / "sohoa"), "process", str(batch), "--out", str(out)],
                              env=env, capture_output=True, text=True)
        run.wall_s.append(time.monotonic() - started)
        run.client_cpu_s.append(_children_cpu() - children)
        run.worker_cpu_s.append(_tree_cpu(worker.pid))
        first, last = _task_stamps(log)
        run.busy_s.append((last - first).total_seconds())
        run.lead_s.append((first - clock).total_seconds())
        run.tail_s.append(run.wall_s[-1] - run.lead_s[-1] - run.busy_s[-1])
        run.in_flight.append(_task_seconds(log) / run.busy_s[-1])
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=120)
        _delete_queues(env)
    if done.returncode not in (0, 1):
        raise SystemExit(f"sohoa process failed ({done.returncode}): {done.stderr[-2000:]}")
    _sizes(run, out)


def _tesseract_alone(out: Path, env: dict) -> tuple[float, float]:
    """The reference tool: the `tesseract` command alone on the run's page images (archive
    JPEGs, read with sohoa's language), one process at a time, then two. Its speed-up is
    what this machine's CPUs give a CPU-bound program: the ceiling of sohoa's."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.core.settings import Settings
    from storage.objects import LocalObjectStore

    store = LocalObjectStore(out / ".sohoa" / "objects")
    keys = [json.loads(p.read_bytes())["jpeg"]
            for p in sorted((store.root / "named" / "pages").rglob("*.json"))]
    language = Settings().ocr_language

    def read(key: str) -> None:
        subprocess.run(["tesseract", str(store.local_path(key)), "-", "-l", language], env=env,
                       capture_output=True, check=True)

    seconds = []
    for processes in (1, 2):
        started = time.monotonic()
        with ThreadPoolExecutor(processes) as pool:
            list(pool.map(read, keys))
        seconds.append(time.monotonic() - started)
    return seconds[0], seconds[1]


def _warm_up(batch: Path, work: Path, env: dict) -> None:
    """One document in-process first: the test signing identity is made once, caches fill."""
    one = work / "warm-up"
    first = sorted(p for p in batch.rglob("*") if p.is_file() and p.suffix != ".json")[0]
    (one / first.parent.name).mkdir(parents=True)
    (one / first.parent.name / first.name).write_bytes(first.read_bytes())
    subprocess.run([str(BIN / "sohoa"), "process", str(one), "--out", str(work / "warm-up-out")],
                   env=env, capture_output=True, check=False)


def _task_stamps(log: Path) -> tuple[datetime, datetime]:
    """When the first task a worker received arrived and the last one it finished ended
    (its log): between them, the workers' busy span, without the client's start-up and
    planning before or its recording after."""
    stamps = [datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
              for line in log.read_text().splitlines()
              if "] received" in line or "] succeeded" in line]
    if not stamps:
        raise SystemExit(f"no task in the worker's log {log}")
    return min(stamps), max(stamps)


def _task_seconds(log: Path) -> float:
    """The tasks' own durations summed (Celery logs each: "succeeded in 1.23s")."""
    import re

    return sum(float(m) for m in re.findall(r"\] succeeded in ([0-9.]+)s", log.read_text()))


def _start_worker(env: dict, log: Path, processes: int) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "sohoa"), "worker", "--concurrency", str(processes)],
                            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    return proc


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid: int) -> float:
    """CPU seconds of the worker and its pool processes (all alive: no task limit hit)."""
    total = 0.0
    root = psutil.Process(pid)
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _delete_queues(env: dict) -> None:
    import redis

    q = env["SOHOA_QUEUE"]
    redis.Redis.from_url(BROKER).delete(f"{q}.pages", f"{q}.documents", f"unacked.{q}",
                                       f"unacked_index.{q}", f"unacked_mutex.{q}")


def _sizes(run: Run, out: Path) -> None:
    import json

    results = [json.loads(p.read_text("utf-8")) for p in out.rglob("*.result.json")
               if ".sohoa" not in p.parts]
    run.documents = len(results)
    run.pages = sum(len(r.get("pages") or []) for r in results)
    objects = out / ".sohoa" / "objects"
    if objects.is_dir():
        run.store_bytes = sum(p.stat().st_size for p in objects.rglob("*") if p.is_file())
        originals = {r["sha256"]["original"] for r in results}
        run.original_bytes = sum((objects / "sha256" / k[:2] / k[2:]).stat().st_size for k in originals)
    database = out / ".sohoa" / "sohoa.sqlite"
    run.database_bytes = database.stat().st_size if database.is_file() else 0


class _S3:
    def __init__(self, workdir: Path):
        self.dir, self.port = workdir, None

    def start(self) -> dict:
        endpoint = os.environ.get("SOHOA_BENCH_S3_ENDPOINT")
        keys = (os.environ.get("SOHOA_BENCH_S3_ACCESS_KEY"), os.environ.get("SOHOA_BENCH_S3_SECRET_KEY"))
        if not endpoint:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            env = {**os.environ, "RGW_ACCESS_KEY": S3_KEYS[0], "RGW_SECRET_KEY": S3_KEYS[1]}
            subprocess.run(["bash", str(ROOT / "scripts" / "radosgw.sh"), "start", str(self.dir),
                            str(self.port)], env=env, check=True, capture_output=True, timeout=900)
            endpoint, keys = f"127.0.0.1:{self.port}", S3_KEYS
        return {"SOHOA_S3_ENDPOINT": endpoint, "SOHOA_S3_ACCESS_KEY": keys[0] or "",
                "SOHOA_S3_SECRET_KEY": keys[1] or "", "SOHOA_S3_SECURE": "false"}

    @staticmethod
    def bucket(s3_env: dict, cache: Path, warm_up: bool = False) -> str:
        """A new bucket, made before the run is timed, as a deployment has its bucket.
        `warm_up` also stores an object in it: a new radosgw makes its pools with its first
        bucket and its data pool with its first object, seconds once per cluster (measured:
        the first S3 run's client waited 4.6 s before its first task, the next 1.6 s)."""
        from pipeline.core.settings import Settings
        from storage.s3 import S3ObjectStore

        name = f"bench-{uuid.uuid4().hex[:8]}"
        settings = Settings(s3_endpoint=s3_env["SOHOA_S3_ENDPOINT"], s3_secure=False,
                            s3_access_key=s3_env["SOHOA_S3_ACCESS_KEY"],
                            s3_secret_key=s3_env["SOHOA_S3_SECRET_KEY"], s3_bucket=name)
        store = S3ObjectStore.from_settings(settings, cache)
        if warm_up:
            store.put(os.urandom(1 << 20))
        return name

    def cpu_s(self) -> float:
        """CPU seconds used so far by the Ceph processes this benchmark started."""
        total = 0.0
        for pidfile in (self.dir / "run").glob("*.pid") if self.port else ():
            try:
                t = psutil.Process(int(pidfile.read_text())).cpu_times()
                total += t.user + t.system
            except (psutil.Error, ValueError, OSError):
                pass
        return total

    def stop(self) -> None:
        if self.port is not None:
            subprocess.run(["bash", str(ROOT / "scripts" / "radosgw.sh"), "stop", str(self.dir)],
                           check=False, capture_output=True, timeout=120)


def _report(runs: list[Run], tesseract: tuple[float, float]) -> None:
    one, two, s3, s3_one = runs
    print(f"\nBatch: {one.documents} documents, {one.pages} pages; {os.cpu_count()} CPUs; "
          f"load average now {os.getloadavg()[0]:.2f} (shared machine)")
    print("command s: wall time of the whole `sohoa process`; workers busy s: wall time from the "
          "first task a worker received to the last it finished; CPU: user+system seconds")
    print("before / after: the command's start to the first task received, the last task "
          "done to its end")
    print(f"{'':32}{'command s':>10}{'workers busy s':>15}{'before s':>9}{'after s':>8}{'pages/s':>9}"
          f"{'worker CPU s/page':>19}{'client CPU s':>13}{'tasks at once':>14}{'cores obtained':>15}")
    for r in runs:
        cores = statistics.median(r.worker_cpu_s) / r.busy
        print(f"{r.label:32}{r.wall:10.1f}{r.busy:15.1f}{statistics.median(r.lead_s):9.1f}"
              f"{statistics.median(r.tail_s):8.1f}{r.pages_per_s:9.2f}{r.cpu_per_page:19.2f}"
              f"{statistics.median(r.client_cpu_s):13.1f}{statistics.median(r.in_flight):14.2f}"
              f"{cores:15.2f}")
    for r in (s3, s3_one):
        if r.server_cpu_s:
            print(f"S3 server (Ceph on this machine) CPU during '{r.label}': "
                  f"{statistics.median(r.server_cpu_s):.1f} s "
                  f"({statistics.median(r.server_cpu_s) / r.pages:.2f} s/page)")
    speedup, speedup_wall = one.busy / two.busy, one.wall / two.wall
    overhead, overhead_wall = s3.busy / two.busy - 1, s3.wall / two.wall - 1
    worker_cpu = statistics.median(s3.worker_cpu_s) / statistics.median(two.worker_cpu_s) - 1
    client_cpu = statistics.median(s3.client_cpu_s) / statistics.median(two.client_cpu_s) - 1
    server = statistics.median(s3.server_cpu_s) if s3.server_cpu_s else 0.0
    total_cpu = (statistics.median(s3.worker_cpu_s) + statistics.median(s3.client_cpu_s) + server) / \
        (statistics.median(two.worker_cpu_s) + statistics.median(two.client_cpu_s)) - 1
    print(f"\n2 processes / 1 process: {speedup:.3f}x workers busy, {speedup_wall:.3f}x whole command "
          f"(target >= {TARGET_SPEEDUP}x) {'MET' if speedup >= TARGET_SPEEDUP else 'NOT MET'}")
    print(f"  reference, the tesseract command alone on the same {one.pages} page images: "
          f"{tesseract[0] / tesseract[1]:.3f}x ({tesseract[0]:.1f} s in 1 process, "
          f"{tesseract[1]:.1f} s in 2): what this machine's CPUs give a CPU-bound program")
    print(f"S3 store vs local store: {overhead:+.1%} workers busy, {overhead_wall:+.1%} whole command "
          f"(target <= {TARGET_S3_OVERHEAD:.0%}) {'MET' if overhead <= TARGET_S3_OVERHEAD else 'NOT MET'}"
          "; the S3 server (Ceph) shares both CPUs with the two workers")
    # With one worker process the S3 server has the other CPU to itself, as a deployment's
    # S3 servers have their own machines: what is left is sohoa's side of using S3.
    alone, alone_wall = s3_one.busy / one.busy - 1, s3_one.wall / one.wall - 1
    print(f"S3 store vs local store, 1 worker process (the S3 server has the other CPU): "
          f"{alone:+.1%} workers busy, {alone_wall:+.1%} whole command (target <= "
          f"{TARGET_S3_OVERHEAD:.0%}) {'MET' if alone <= TARGET_S3_OVERHEAD else 'NOT MET'}")
    print(f"S3 store vs local store, CPU: workers {worker_cpu:+.1%}, client {client_cpu:+.1%}, "
          f"all (workers + client + S3 server) {total_cpu:+.1%}")
    _capacity(one, two)


def _capacity(one: Run, two: Run) -> None:
    """Workers, storage and database from the measured per-page costs."""
    cpu_page = one.cpu_per_page  # one process: its CPU is the page's whole cost, assembly included
    store_page = one.store_bytes / one.pages
    original_page = one.original_bytes / one.pages
    db_page = one.database_bytes / one.pages
    utilisation = 0.7  # headroom: queues drain, retries, uneven days
    print(f"\nMeasured per page: {cpu_page:.2f} CPU s (worker, all stages); store "
          f"{store_page / 1e3:.0f} kB of which originals {original_page / 1e3:.0f} kB; "
          f"index database {db_page / 1e3:.1f} kB (SQLite; PostgreSQL with its indexes: "
          "plan about 2x)")
    print(f"{'':34}{'worker cores':>13}{'store':>10}{'database':>10}")
    for label, pages, seconds in (("province, 10 000 pages/day, 8 h", 10_000, 8 * 3600),
                                  ("province, 10 000 pages/day, 24 h", 10_000, 24 * 3600),
                                  ("backlog 100 M pages in 1 year", 100_000_000, 365 * 86400),
                                  ("backlog 100 M pages in 3 years", 100_000_000, 3 * 365 * 86400)):
        cores = pages * cpu_page / seconds / utilisation
        per_year = 365 if pages == 10_000 else 1  # a daily load grows the archive every day
        print(f"{label:34}{cores:13.1f}{_size(pages * per_year * store_page):>10}"
              f"{_size(pages * per_year * db_page * 2):>10}")
    print("(store and database for the province: one year of intake; worker cores at "
          f"{utilisation:.0%} utilisation; the 2-process run's pages/s says how far one host scales)")


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000:
            return f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} EB"


if __name__ == "__main__":
    main()
