"""The archive service under load (a benchmark, not a test):

    .venv/bin/python -m bench.api [--documents 100000] [--data DIR] [--workers 2]
                                  [--rate 30] [--clients 20] [--seconds 20]
                                  [--ingest-pages 6] [--no-ingest]

1. An archive of N generated document records (fictitious people: ID cards and birth
   certificates), written straight through storage (index and first versions), under
   DIR (kept, so a second run reuses it) with SQLite unless SOHOA_DATABASE_URL is set.
2. `sohoa serve --workers N` on loopback; p50/p95 latency of document fetch, field search
   and person lookup: one request at a time; then under a bounded open-loop load (requests
   sent at --rate per second on a fixed schedule, whatever the answers do, latency counted
   from each request's scheduled time, so a slow answer cannot hide the queue behind it);
   then requests/s and latencies at --clients concurrent closed-loop clients (each sends
   its next request when the last is answered; httpx async) for --seconds.
3. Ingest: the same small batch of generated scans through `sohoa process` and through
   the API (one dossier, until its job has finished), pages/s each.

Every request is a real one: token checked, agency filter, audit event written.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pipeline.core.settings import load_settings
from storage.archive import ArchiveDatabase

AGENCY = "H00.00.00.00"
BATCH = 2000
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương",
         "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngọc", "Phúc", "Quân", "Quỳnh",
         "Sơn", "Tâm", "Thảo", "Thắng", "Thu", "Trang", "Trung", "Tuấn", "Vân", "Việt", "Yến"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Bảo", "Gia", "Xuân"]
PLACES = ["Xã Tân Lập, Huyện Đan Phượng, Hà Nội", "Phường 3, Quận 5, TP. Hồ Chí Minh",
          "Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng", "Phường Trần Phú, TP. Hà Tĩnh, Hà Tĩnh"]


def _surnames() -> list[str]:
    path = Path(__file__).parent.parent / "schemas" / "reference" / "surnames.json"
    return json.loads(path.read_text("utf-8"))["surnames"][:40]


def _person(rng: random.Random, surnames: list[str]) -> tuple[str, str, str]:
    name = f"{rng.choice(surnames)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}".upper()
    born = f"{rng.randint(1950, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"0{rng.randint(10**10, 10**11 - 1)}", name, born


def _record(i: int, rng: random.Random, surnames: list[str]) -> tuple[dict, list[str]]:
    """One fictitious document: the result.json an ID card or a birth certificate gives."""
    dossier = f"{AGENCY}-{260101 + (i // 5000) % 28:06d}-{i // 5 % 1000 + 1:04d}"
    document_id = f"{dossier}.{i % 5 + 1}"
    number, name, born = _person(rng, surnames)
    if i % 3:
        kind = "can_cuoc"
        fields = {"so": number, "ho_ten": name, "ngay_sinh": born, "gioi_tinh": rng.choice(
            ["Nam", "Nữ"]), "quoc_tich": "Việt Nam", "que_quan": rng.choice(PLACES),
            "noi_thuong_tru": rng.choice(PLACES)}
    else:
        kind = "giay_khai_sinh"
        fields = {"so": str(rng.randint(1, 999)), "quyen_so": "01", "ho_ten": name,
                  "ngay_sinh": born, "so_dinh_danh": number, "noi_sinh": rng.choice(PLACES),
                  "me_ho_ten": _person(rng, surnames)[1], "cha_ho_ten": _person(rng, surnames)[1],
                  "noi_dang_ky": "UBND " + rng.choice(PLACES), "ngay_dang_ky": born}
    text = " ".join(str(v) for v in fields.values())
    digest = f"{i:064x}"
    return ({"document_id": document_id, "dossier_id": dossier, "source": f"{dossier}/{i}.png",
             "status": "done", "document_type": kind, "fields": fields,
             "validation": {"valid": True, "errors": []}, "pages": [{}], "text": text,
             "sha256": {"original": digest, "pdfa": digest, "signed": digest},
             "artifacts": {"signed": f"{dossier}/{document_id}.pdf"}}, [number])


def build_archive(data: Path, count: int) -> tuple[list[str], list[str], list[str]]:
    """The archive's documents (made now if it holds fewer than `count`): their ids, names
    and personal ids, for the requests to ask about."""
    settings = load_settings(data_dir=data)
    with ArchiveDatabase(settings.database_for(data)) as db:
        with db.engine.connect() as conn:
            have = conn.exec_driver_sql("SELECT count(*) FROM index_documents").scalar_one()
        rng, surnames = random.Random(7), _surnames()
        started = time.perf_counter()
        ids, names, owners = [], [], []
        for start in range(0, count, BATCH):
            batch = [_record(i, rng, surnames) for i in range(start, min(count, start + BATCH))]
            ids += [r["document_id"] for r, _ in batch]
            names += [r["fields"]["ho_ten"] for r, _ in batch]
            owners += [o[0] for _, o in batch]
            if have >= count:
                continue
            db.index.record_many([(r, o, None) for r, o in batch], out_root=str(data))
            db.versions.add_many([dict(
                document_id=r["document_id"], version=1, document_type=r["document_type"],
                status="done", fields=r["fields"], field_sources={k: "ocr" for k in r["fields"]},
                errors=[], sha256_original=r["sha256"]["original"],
                sha256_pdfa=r["sha256"]["pdfa"], sha256_signed=r["sha256"]["signed"],
                reason=None, actor="bench") for r, _ in batch])
        if have < count:
            took = time.perf_counter() - started
            print(f"archive: {count} documents written in {took:.0f} s ({count / took:.0f}/s)")
        db.tokens.ensure_agency(AGENCY)
        token = db.tokens.create(AGENCY, ["documents:read", "persons:read"], label="bench").token
    os.environ["BENCH_TOKEN"] = token
    return ids, names, owners


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sohoa() -> str:
    return str(Path(sys.executable).with_name("sohoa"))


class Server:
    def __init__(self, data: Path, log: Path, workers: int = 1):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.proc = subprocess.Popen([_sohoa(), "serve", "--data", str(data), "--port",
                                      str(self.port), "--workers", str(workers)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the server did not start: see {log}")
            time.sleep(0.3)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def _requests(ids, names, owners, rng: random.Random):
    """(kind, path, params) of a random lookup."""
    kind = rng.choice(("document", "field_search", "person"))
    if kind == "document":
        return kind, f"/api/v1/documents/{rng.choice(ids)}", None
    if kind == "field_search":
        return kind, "/api/v1/documents", {"field": f"ho_ten:{rng.choice(names)}",
                                           "per_page": 20}
    return kind, f"/api/v1/persons/{rng.choice(owners)}/documents", None


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def _report(title: str, times: dict[str, list[float]], seconds: float | None = None) -> dict:
    out = {}
    print(title)
    for kind, values in sorted(times.items()):
        ms = [v * 1000 for v in values]
        out[kind] = {"n": len(ms), "p50_ms": round(_pct(ms, 50), 1),
                     "p95_ms": round(_pct(ms, 95), 1)}
        print(f"  {kind:13s} n={len(ms):6d}  p50 {out[kind]['p50_ms']:7.1f} ms  "
              f"p95 {out[kind]['p95_ms']:7.1f} ms")
    if seconds:
        total = sum(len(v) for v in times.values())
        out["requests_per_s"] = round(total / seconds, 1)
        print(f"  {total} requests in {seconds:.1f} s: {total / seconds:.1f} requests/s")
    return out


async def _client(base, headers, ids, names, owners, seed, until, times, errors) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        while time.perf_counter() < until:
            kind, path, params = _requests(ids, names, owners, rng)
            started = time.perf_counter()
            answer = await client.get(path, params=params)
            took = time.perf_counter() - started
            if answer.status_code != 200:
                errors.append((path, answer.status_code))
            times.setdefault(kind, []).append(took)


async def _open_loop(base, headers, ids, names, owners, rate: float, seconds: float,
                     times, errors) -> float:
    """Requests sent at `rate` per second on a fixed schedule (not waiting for answers);
    each latency from its scheduled send time. The achieved rate is returned."""
    rng = random.Random(13)
    count = int(rate * seconds)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60,
                                 limits=limits) as client:
        start = time.perf_counter()

        async def one(at: float, kind: str, path: str, params) -> None:
            await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
            answer = await client.get(path, params=params)
            times.setdefault(kind, []).append(time.perf_counter() - (start + at))
            if answer.status_code != 200:
                errors.append((path, answer.status_code))

        await asyncio.gather(*(one(i / rate, *_requests(ids, names, owners, rng))
                               for i in range(count)))
        return count / (time.perf_counter() - start)


def lookups(base: str, ids, names, owners, clients: int, seconds: float,
            sequential: int, rate: float, server_pid: int | None = None) -> dict:
    headers = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}"}
    rng = random.Random(11)
    times: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for _ in range(30):  # warm up
            kind, path, params = _requests(ids, names, owners, rng)
            client.get(path, params=params)
        for _ in range(sequential):
            kind, path, params = _requests(ids, names, owners, rng)
            started = time.perf_counter()
            answer = client.get(path, params=params)
            times.setdefault(kind, []).append(time.perf_counter() - started)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    result = {"one_client": _report("one client at a time:", times)}
    if rate:
        paced: dict[str, list[float]] = {}
        paced_errors: list = []
        achieved = asyncio.run(_open_loop(base, headers, ids, names, owners, rate, seconds,
                                          paced, paced_errors))
        result["open_loop"] = _report(f"open loop, {rate:g} requests/s offered for "
                                      f"{seconds:g} s (achieved {achieved:.1f}/s):", paced)
        result["open_loop"].update(offered_per_s=rate, achieved_per_s=round(achieved, 1),
                                   errors=len(paced_errors))
        if paced_errors:
            print(f"  {len(paced_errors)} answers not 200, e.g. {paced_errors[:3]}")
    loaded: dict[str, list[float]] = {}
    errors: list = []
    until = time.perf_counter() + seconds
    started = time.perf_counter()

    async def run() -> None:
        await asyncio.gather(*(_client(base, headers, ids, names, owners, 100 + k, until,
                                       loaded, errors) for k in range(clients)))

    cpu_before = _cpu_seconds(server_pid) if server_pid else None
    asyncio.run(run())
    took = time.perf_counter() - started
    result["concurrent"] = _report(f"{clients} concurrent closed-loop clients:", loaded, took)
    if cpu_before is not None:
        served = sum(len(v) for v in loaded.values())
        per = (_cpu_seconds(server_pid) - cpu_before) / max(1, served) * 1000
        result["concurrent"]["server_cpu_ms_per_request"] = round(per, 2)
        print(f"  server processes' CPU: {per:.2f} ms per request (PostgreSQL's not counted)")
    result["concurrent"]["errors"] = len(errors)
    if errors:
        print(f"  {len(errors)} answers not 200, e.g. {errors[:3]}")
    return result


def _scans(folder: Path, pages: int) -> list[Path]:
    from samples.render import render_document

    rng = random.Random(5)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(pages):
        kind = ("can_cuoc", "giay_khai_sinh")[i % 2]
        path = folder / f"scan-{i + 1}.png"
        buffer = io.BytesIO()
        render_document(kind, rng, dpi=200).pages[0].save(buffer, "PNG", dpi=(200, 200))
        path.write_bytes(buffer.getvalue())
        out.append(path)
    return out


def ingest(work: Path, pages: int) -> dict:
    """pages/s of `sohoa process` and of the API on the same scans (one page each)."""
    batch = work / "batch"
    scans = _scans(batch / "HS-1", pages)
    started = time.perf_counter()  # the same settings (database, store) for both
    subprocess.run([_sohoa(), "process", str(batch), "--out", str(work / "out")],
                   check=True, capture_output=True)
    process_s = time.perf_counter() - started
    data = work / "api-archive"
    settings = load_settings(data_dir=data)
    data.mkdir(parents=True, exist_ok=True)
    with ArchiveDatabase(settings.database_for(data)) as db:
        db.tokens.ensure_agency(AGENCY)
        token = db.tokens.create(AGENCY, ["dossiers:write"], label="bench").token
    server = Server(data, work / "ingest-server.log")
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=600) as client:
            started = time.perf_counter()
            sent = client.post("/api/v1/dossiers", files=[
                ("files", (p.name, p.read_bytes(), "image/png")) for p in scans])
            sent.raise_for_status()
            while True:
                job = client.get(sent.json()["url"]).json()
                if job["state"] not in ("queued", "running"):
                    break
                time.sleep(0.2)
            api_s = time.perf_counter() - started
    finally:
        server.stop()
    out = {"pages": pages, "process_s": round(process_s, 1), "api_s": round(api_s, 1),
           "process_pages_per_s": round(pages / process_s, 3),
           "api_pages_per_s": round(pages / api_s, 3), "api_job_state": job["state"]}
    print(f"ingest of {pages} pages: sohoa process {process_s:.1f} s "
          f"({out['process_pages_per_s']} pages/s), API {api_s:.1f} s "
          f"({out['api_pages_per_s']} pages/s), job {job['state']}")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="the archive (kept; reused when big enough)")
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes (sohoa serve --workers)")
    parser.add_argument("--rate", type=float, default=30,
                        help="open-loop requests/s (0: skip); keep it well below capacity")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sequential", type=int, default=600, help="one-at-a-time requests")
    parser.add_argument("--ingest-pages", type=int, default=6)
    parser.add_argument("--no-ingest", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    data = (args.data or Path(tempfile.mkdtemp(prefix="sohoa-bench-api-"))).resolve()
    data.mkdir(parents=True, exist_ok=True)
    ids, names, owners = build_archive(data, args.documents)
    server = Server(data, data / "bench-server.log", args.workers)
    try:
        figures = {"documents": args.documents, "workers": args.workers,
                   "cpus": os.cpu_count(),
                   "database": "postgresql" if os.environ.get("SOHOA_DATABASE_URL") else "sqlite",
                   **lookups(server.base, ids, names, owners, args.clients, args.seconds,
                             args.sequential, args.rate, server.proc.pid)}
    finally:
        server.stop()
    if not args.no_ingest:
        work = Path(tempfile.mkdtemp(prefix="sohoa-bench-ingest-"))
        try:
            figures["ingest"] = ingest(work, args.ingest_pages)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
