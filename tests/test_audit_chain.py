"""The audit trail's chain under concurrent appends, on the real PostgreSQL: 16 threads in
each of two processes append at once (group commits in each process, the advisory lock
between them); every event is there once, seq has no gap, the chain verifies, and each
append returned its own committed event."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from storage.audit import AuditTrail
from storage.index_db import make_engine, upgrade
from tests.conftest import postgres_schema

WRITER = textwrap.dedent("""
    import sys, threading
    from storage.audit import AuditTrail
    from storage.index_db import make_engine
    url, name = sys.argv[1], sys.argv[2]
    trail = AuditTrail(make_engine(url))
    barrier, seen, errors = threading.Barrier(16), [], []
    def work(t):
        try:
            barrier.wait(timeout=60)
            for i in range(25):
                event = trail.append(actor=name, action="document.viewed",
                                     object_type="document", object_id=f"{t}-{i}",
                                     changes={"token": "secret-value"})
                assert event.object_id == f"{t}-{i}" and event.actor == name
                seen.append(event.seq)
        except Exception as exc:
            errors.append(repr(exc))
    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    [t.start() for t in threads]; [t.join() for t in threads]
    assert not errors, errors
    print(" ".join(map(str, seen)))
""")


def test_concurrent_appends_from_two_processes_keep_one_chain():
    with postgres_schema("audit_chain") as url:
        upgrade(url)
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, f"p{k}"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for k in range(2)]
        seqs = []
        for w in writers:
            out, err = w.communicate(timeout=300)
            assert w.returncode == 0, err
            seqs += [int(s) for s in out.split()]
        assert sorted(seqs) == list(range(1, 2 * 16 * 25 + 1))  # each its own, no gap
        engine = make_engine(url)
        trail = AuditTrail(engine)
        try:
            assert trail.verify() == [] and trail.count() == 800
            events = trail.events()
            assert {(e.actor, e.object_id) for e in events} == {
                (f"p{k}", f"{t}-{i}") for k in range(2) for t in range(16) for i in range(25)}
            assert all("secret-value" not in e.changes for e in events)
        finally:
            engine.dispose()
