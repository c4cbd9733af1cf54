"""Where the S3 store's time goes: every HTTP request `sohoa process` makes to the object
store, counted by method and kind of object, with the client's time inside them.

    .venv/bin/python -m bench.s3_requests BATCH --endpoint 127.0.0.1:PORT [--out OUT]
    .venv/bin/python -m bench.s3_requests BATCH [--out OUT]     # the local store, to compare

Keys from SOHOA_BENCH_S3_ACCESS_KEY / SOHOA_BENCH_S3_SECRET_KEY. The batch runs in this
process (the local executor, no broker), on a fresh bucket, so every request is seen. The
S3 server's own CPU is not measured here (bench.scale does that).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path

import urllib3

_lock = threading.Lock()
counts: collections.Counter = collections.Counter()
seconds: collections.Counter = collections.Counter()


def _kind(method: str, url: str) -> str:
    path = urllib3.util.parse_url(url).path or "/"
    query = urllib3.util.parse_url(url).query or ""
    parts = path.lstrip("/").split("/", 2)
    if len(parts) < 2 or not parts[1]:
        what = "bucket" + (f"?{query.split('=')[0]}" if query else "")
    else:
        what = re.sub(r"/.*", "", parts[1].split("/")[0]) if len(parts) < 3 else parts[1]
        if "versions" in query:
            what += "?versions"
    return f"{method} {what}"


def _instrument() -> None:
    original = urllib3.PoolManager.urlopen

    def urlopen(self, method, url, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, method, url, *args, **kwargs)
        finally:
            key = _kind(method, url)
            with _lock:
                counts[key] += 1
                seconds[key] += time.perf_counter() - started

    urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", type=Path)
    parser.add_argument("--endpoint", help="host:port of the S3 server (none: the local store)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="sohoa-s3-requests-")) / "out"
    if args.endpoint:
        os.environ.update({
            "SOHOA_S3_ENDPOINT": args.endpoint, "SOHOA_S3_SECURE": "false",
            "SOHOA_S3_ACCESS_KEY": os.environ.get("SOHOA_BENCH_S3_ACCESS_KEY", ""),
            "SOHOA_S3_SECRET_KEY": os.environ.get("SOHOA_BENCH_S3_SECRET_KEY", ""),
            "SOHOA_S3_BUCKET": f"req-{uuid.uuid4().hex[:8]}"})
    else:
        os.environ.pop("SOHOA_S3_ENDPOINT", None)
    os.environ.pop("SOHOA_BROKER_URL", None)
    _instrument()
    from pipeline.core.settings import Settings
    from workers.runner import run_batch

    started, cpu = time.perf_counter(), time.process_time()
    summaries = run_batch(args.batch, out, Settings())
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    results = [json.loads(p.read_text("utf-8")) for p in out.rglob("*.result.json")
               if ".sohoa" not in p.parts]
    pages = sum(len(r.get("pages") or []) for r in results)
    total = sum(counts.values())
    print(f"{len(summaries)} documents, {pages} pages; {total} requests "
          f"({total / max(pages, 1):.2f} per page), {sum(seconds.values()):.2f} s inside them; "
          f"run {wall:.1f} s wall, {cpu:.1f} s CPU of this process")
    for key, n in counts.most_common():
        print(f"  {key:36}{n:6}{n / max(pages, 1):8.2f}/page{seconds[key] * 1000 / n:9.1f} ms each")


if __name__ == "__main__":
    main()
