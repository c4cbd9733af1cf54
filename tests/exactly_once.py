"""What "every document exactly once" means, checked in OUT, the registry and the index."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import read_results


def assert_exactly_once(out: Path, sources: set[str], database_url: str | None = None) -> dict:
    results = read_results(out)
    assert set(results) == sources, set(results) ^ sources
    assert all(r["status"] != "failed" for r in results.values()), \
        {s: r.get("error") for s, r in results.items() if r["status"] == "failed"}
    ids = [r["document_id"] for r in results.values()]
    assert len(set(ids)) == len(ids), ids
    published = [p for p in out.rglob("*.pdf") if ".sohoa" not in p.parts]
    assert len(published) == 2 * len(sources), sorted(map(str, published))
    for r in results.values():  # what result.json promises is what OUT holds
        for kind in ("pdfa", "signed"):
            data = (out / r["artifacts"][kind]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == r["sha256"][kind], (r["source"], kind)
    engine = create_engine(database_url or f"sqlite:///{out / '.sohoa' / 'sohoa.sqlite'}")
    with engine.connect() as conn:
        root = str(out)
        dossiers = conn.execute(text("SELECT source FROM dossiers WHERE source LIKE :r"),
                                {"r": f"{root}/%"}).scalars().all()
        documents = conn.execute(text("SELECT source FROM dossier_documents WHERE source LIKE :r"),
                                 {"r": f"{root}/%"}).scalars().all()
        indexed = conn.execute(text("SELECT document_id, sha256_signed FROM index_documents "
                                    "WHERE out_root = :r"), {"r": root}).all()
    engine.dispose()
    assert len(dossiers) == len(set(dossiers)) == len(sources)
    assert len(documents) == len(set(documents)) == len(sources)
    assert sorted(indexed) == sorted((r["document_id"], r["sha256"]["signed"])
                                     for r in results.values())
    return results
