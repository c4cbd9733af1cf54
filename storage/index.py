"""The document index for reuse: who a document is about, what it says, where its files are.

One schema on SQLite (embedded default, FTS5) and PostgreSQL (server default, tsvector),
created by alembic on first use. Text is folded once in Python (storage.index_text) and
stored folded, so both backends match the same way; only the full-text ranking call
differs (FTS5 bm25 / ts_rank). Failed results are not indexed: they have no signed file to
reuse, and an earlier good record of the same document stays as it was.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import (
    Select,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
    tuple_,
)

from storage.index_archive import document_archive

# Imported under other names: the public API's parameters `owners` and `fields` shadow them.
from storage.index_db import (
    FIELD_MATCH_CHARS,
    DatabaseStore,
    documents,
    dossiers,
    fields as fields_table,
    owners as owners_table,
    pages,
    reading,
)
from storage.index_hits import Hit, Page, hit_from_row
from storage.index_text import fold, parse_query, search_text, snippet

__all__ = ["DocumentIndex", "Hit", "Page", "fold"]
DEFAULT_LANGUAGE = "Tiếng Việt"
_MAX_PER_PAGE = 1000
_fts5 = table("index_pages_fts", column("rowid"))


class DocumentIndex(DatabaseStore):
    def __init__(self, url: str):
        super().__init__(url)
        if self.insert is None:
            raise ValueError(f"the index does not support {self.engine.dialect.name} databases")

    # -- writing -----------------------------------------------------------------------
    def record(self, result: dict, *, out_root: str, owners: list[str],
               archive: dict | None = None) -> None:
        """Index one result.json; re-recording a document_id replaces its rows atomically."""
        self.record_many([(result, owners, archive)], out_root=out_root)

    def record_many(self, results: list[tuple[dict, list[str], dict | None]], *,
                    out_root: str) -> None:
        """Index (result, owners, archive) triples in one transaction (as `record` each)."""
        prepared = [_rows(r, str(out_root), o, a) for r, o, a in results
                    if r["status"] != "failed"]
        if not prepared:
            return
        prepared = list({p[0]["document_id"]: p for p in prepared}.values())  # the last wins
        rows = [p[0] for p in prepared]
        ids = [row["document_id"] for row in rows]
        children = [(pages, [r for p in prepared for r in p[1]]),
                    (fields_table, [r for p in prepared for r in p[2]]),
                    (owners_table, [r for p in prepared for r in p[3]])]
        with self.engine.begin() as conn:
            conn.execute(self.insert(dossiers).on_conflict_do_nothing(
                index_elements=["dossier_id"]), [{"dossier_id": d} for d in
                                                 dict.fromkeys(r["dossier_id"] for r in rows)])
            # The upsert locks the documents' rows first, so concurrent re-records of the
            # same document run one after the other instead of colliding on inserts.
            upsert = self.insert(documents)
            conn.execute(upsert.on_conflict_do_update(
                index_elements=["document_id"],
                set_={k: upsert.excluded[k] for k in rows[0] if k != "document_id"}), rows)
            for child, child_rows in children:
                conn.execute(delete(child).where(child.c.document_id.in_(ids)))
                if child_rows:
                    conn.execute(insert(child), child_rows)

    def set_dossier(self, dossier_id: str, *, title: str | None = None,
                    maintenance: str | None = None, language: str | None = None) -> None:
        """Dossier-level archive metadata that documents cannot tell (Title, Maintenance,
        Language); values left None are kept as they were."""
        given = {k: v for k, v in {"title": title, "maintenance": maintenance,
                                   "language": language}.items() if v is not None}
        upsert = self.insert(dossiers).values(dossier_id=dossier_id, **given)
        upsert = (upsert.on_conflict_do_update(index_elements=["dossier_id"], set_=given)
                  if given else upsert.on_conflict_do_nothing(index_elements=["dossier_id"]))
        with self.engine.begin() as conn:
            conn.execute(upsert)

    # -- reading -----------------------------------------------------------------------
    def get(self, document_id: str) -> Hit | None:
        hits = self._hits(select(documents).where(documents.c.document_id == document_id))
        return hits[0] if hits else None

    def page_texts(self, document_id: str) -> list[str]:
        """The OCR text of each page of a document, in page order."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(pages.c.text).where(
                pages.c.document_id == document_id).order_by(pages.c.page_index)).scalars())

    def find_owner(self, personal_id: str, *, within: str | None = None) -> list[Hit]:
        """Everything held about one person (số định danh), oldest issue date first;
        `within`: only dossiers whose mã hồ sơ starts `<within>-` (one agency's)."""
        return self._hits(_filtered(select(documents), None, None, personal_id, within).order_by(
            documents.c.issued_date, documents.c.document_id))

    def dossier_documents(self, dossier_id: str) -> list[Hit]:
        return self._hits(select(documents).where(documents.c.dossier_id == dossier_id)
                          .order_by(documents.c.document_id))

    def find_fields(self, *, document_type: str | None = None,
                    fields: dict[str, str] | None = None, owner: str | None = None,
                    page: int = 1, per_page: int = 20, within: str | None = None,
                    status: str | None = None) -> Page:
        """Documents whose fields equal the given values, compared folded (no diacritics,
        no case, whitespace collapsed); optionally of one type and about one person."""
        query = _filtered(select(documents), document_type, fields, owner, within, status)
        return self._page(query.order_by(documents.c.dossier_id, documents.c.document_id),
                          page, per_page)

    def search(self, query: str, *, document_type: str | None = None,
               fields: dict[str, str] | None = None, owner: str | None = None,
               page: int = 1, per_page: int = 20, within: str | None = None,
               status: str | None = None) -> Page:
        """Full text over the pages, all words required ("quoted phrases" kept together),
        best document first; a document ranks by its best page."""
        _check_paging(page, per_page)
        groups = parse_query(query)
        if not groups:
            return Page(items=[], total=0, page=page, per_page=per_page)
        matching = self._matching_pages(groups)
        # Materialized: SQLite would otherwise flatten the subquery and then refuse bm25()
        # outside the MATCH query; PostgreSQL accepts the same hint.
        found = matching.cte("matching").prefix_with("MATERIALIZED")
        best = (select(found.c.document_id, func.max(found.c.score).label("score"))
                .group_by(found.c.document_id).subquery())
        ranked = _filtered(select(documents, best.c.score).join(
            best, best.c.document_id == documents.c.document_id), document_type, fields, owner,
            within, status)
        result = self._page(ranked.order_by(best.c.score.desc(), documents.c.document_id),
                            page, per_page)
        self._add_snippets(result.items, matching, groups)
        return result

    def dossier_metadata(self, dossier_id: str) -> dict:
        """Dossier-level archive metadata (Nghị định 30/2020 Phụ lục VI), totals computed
        from its indexed documents. KeyError for a dossier the index does not hold."""
        with self.engine.connect() as conn:
            dossier = conn.execute(select(dossiers).where(
                dossiers.c.dossier_id == dossier_id)).first()
            totals = conn.execute(select(
                func.count(), func.coalesce(func.sum(documents.c.page_count), 0),
                func.min(documents.c.issued_date), func.max(documents.c.issued_date))
                .where(documents.c.dossier_id == dossier_id)).one()
        if dossier is None:
            raise KeyError(dossier_id)
        return {"FileCode": dossier_id, "Title": dossier.title,
                "Maintenance": dossier.maintenance,
                "Language": dossier.language or DEFAULT_LANGUAGE,
                "StartDate": totals[2], "EndDate": totals[3],
                "DocTotal": int(totals[0]), "PageTotal": int(totals[1])}

    # -- helpers -----------------------------------------------------------------------
    def _matching_pages(self, groups: list[list[str]]) -> Select:
        """(document_id, page_index, score) of every page matching, higher score better."""
        if self.engine.dialect.name == "sqlite":
            # Tokens are letters/digits only (index_text), so quoting cannot break out.
            expression = " AND ".join('"' + " ".join(group) + '"' for group in groups)
            fts = literal_column("index_pages_fts")
            return (select(pages.c.document_id, pages.c.page_index,
                           (-func.bm25(fts)).label("score"))
                    .select_from(_fts5.join(pages, pages.c.id == _fts5.c.rowid))
                    .where(fts.op("MATCH")(expression)))
        tsquery = func.to_tsquery(literal_column("'simple'::regconfig"),
                                  " & ".join("(" + " <-> ".join(g) + ")" for g in groups))
        tsv = literal_column("index_pages.search_tsv")
        return (select(pages.c.document_id, pages.c.page_index,
                       func.ts_rank(tsv, tsquery).label("score"))
                .where(tsv.op("@@")(tsquery)))

    def _add_snippets(self, hits: list[Hit], matching: Select, groups: list[list[str]]) -> None:
        if not hits:
            return
        ids = [hit.document_id for hit in hits]
        with self.engine.connect() as conn:
            rows = conn.execute(matching.where(pages.c.document_id.in_(ids))).all()
            best = {}
            for row in sorted(rows, key=lambda r: (-r.score, r.page_index)):
                best.setdefault(row.document_id, row.page_index)
            texts = {(r.document_id, r.page_index): r.text for r in conn.execute(
                select(pages.c.document_id, pages.c.page_index, pages.c.text).where(
                    tuple_(pages.c.document_id, pages.c.page_index).in_(list(best.items()))))}
        for hit in hits:
            hit.pages = sorted(r.page_index for r in rows if r.document_id == hit.document_id)
            text = texts.get((hit.document_id, best.get(hit.document_id)))
            hit.snippet = snippet(text, groups) if text else None

    def _page(self, query: Select, page: int, per_page: int) -> Page:
        _check_paging(page, per_page)
        with reading(self.engine) as conn:  # one connection for the count and the page
            total = conn.execute(select(func.count()).select_from(
                query.order_by(None).subquery())).scalar_one()
            items = self._hits(query.limit(per_page).offset((page - 1) * per_page), conn)
        return Page(items=items, total=total, page=page, per_page=per_page)

    def _hits(self, query: Select, conn=None) -> list[Hit]:
        if conn is None:
            with reading(self.engine) as own:
                return self._hits(query, own)
        rows = conn.execute(query).all()
        ids = [row.document_id for row in rows]
        held: dict[str, list[str]] = {}
        if ids:
            for owner in conn.execute(select(owners_table).where(
                    owners_table.c.document_id.in_(ids)).order_by(owners_table.c.personal_id)):
                held.setdefault(owner.document_id, []).append(owner.personal_id)
        return [hit_from_row(row, held.get(row.document_id, [])) for row in rows]


def _rows(result: dict, out_root: str, owners: list[str], archive: dict | None) -> tuple:
    """(document row, page rows, field rows, owner rows) of one result."""
    document_id = result["document_id"]
    meta = document_archive(result, archive)
    sha256, artifacts = result.get("sha256") or {}, result.get("artifacts") or {}
    row = {
        "document_id": document_id, "dossier_id": result["dossier_id"],
        "source": result["source"], "status": result["status"],
        "document_type": result.get("document_type"), "fields": result.get("fields") or {},
        "valid": bool((result.get("validation") or {}).get("valid")),
        "out_root": out_root, "sha256_original": sha256.get("original"),
        "sha256_pdfa": sha256.get("pdfa"), "sha256_signed": sha256.get("signed"),
        "artifact_pdfa": artifacts.get("pdfa"), "artifact_signed": artifacts.get("signed"),
        "page_count": len(result.get("pages") or []), "archive": meta,
        "type_name": meta.get("TypeName"), "code_number": meta.get("CodeNumber"),
        "code_notation": meta.get("CodeNotation"), "issued_date": meta.get("IssuedDate"),
        "organ_name": meta.get("OrganName"), "subject": meta.get("Subject"),
        "valid_until": meta.get("ValidUntil"), "procedure_code": meta.get("ProcedureCode"),
        "recorded_at": datetime.now(UTC),
    }
    texts = result["text"].split("\f") if result.get("text") else []
    page_rows = [{"document_id": document_id, "page_index": i, "text": t,
                  "search_text": search_text(t)} for i, t in enumerate(texts)]
    field_rows = [{"document_id": document_id, "key": key, "value": _text(value),
                   "value_folded": fold(_text(value))[:FIELD_MATCH_CHARS]}
                  for key, value in row["fields"].items() if value not in (None, "")]
    owner_rows = [{"document_id": document_id, "personal_id": pid}
                  for pid in sorted({str(p).strip() for p in owners} - {""})]
    return row, page_rows, field_rows, owner_rows


def _filtered(query: Select, document_type: str | None, fields: dict[str, str] | None,
              owner: str | None, within: str | None = None, status: str | None = None) -> Select:
    """`query` over index_documents narrowed to a type, field values, an owner, the
    dossiers of one agency (mã hồ sơ `<within>-…`; codes hold no '-', '%' or '_') and a
    status."""
    if within is not None:
        query = query.where(documents.c.dossier_id.like(f"{within}-%"))
    if status:
        query = query.where(documents.c.status == status)
    if document_type:
        query = query.where(documents.c.document_type == document_type)
    # IN (subquery), not a correlated EXISTS: both planners then start from the
    # (key, value_folded) and personal_id indexes instead of scanning every document.
    for key, value in (fields or {}).items():
        query = query.where(documents.c.document_id.in_(select(fields_table.c.document_id).where(
            fields_table.c.key == key.strip(),
            fields_table.c.value_folded == fold(_text(value))[:FIELD_MATCH_CHARS])))
    if owner is not None:
        query = query.where(documents.c.document_id.in_(select(owners_table.c.document_id).where(
            owners_table.c.personal_id == owner.strip())))
    return query


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _check_paging(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= _MAX_PER_PAGE:
        raise ValueError(f"page must be >= 1 and per_page within 1..{_MAX_PER_PAGE}")
