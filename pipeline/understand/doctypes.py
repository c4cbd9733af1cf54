"""Document types as data: each type is two files in a schema folder,

    <type>.schema.json  JSON Schema (Draft 2020-12) of its fields
    <type>.rules.json   how to recognise it, where each field is printed, how values are
                        normalised, which cross-field checks apply, owners, archive metadata

so adding a type is adding two files (../shared/spec/documents.md fixes the seven we ship).
Reference lists (provinces, ethnic groups, family names) live in schemas/reference/.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "schemas"
DIGITIZED_FROM_PAPER = "02"  # mức độ tin cậy (Nghị định 30/2020 Phụ lục VI)


@dataclass(frozen=True)
class FieldRule:
    key: str
    title: str | None = None  # what a clerk calls it (defaults to its first label)
    kind: str = "text"  # normaliser: text, name, date, year, sex, personal_id, ethnic, ...
    labels: tuple[str, ...] = ()
    finders: tuple[dict, ...] = ()  # position rules tried when no label gives a value
    column: str | None = None
    after: str | None = None  # the label must come after this field's label
    before: str | None = None
    region: dict | None = None  # the label must sit in this part of the page
    multiline: bool = False
    next_line: bool = True  # value may sit on the line under the label
    pattern: str | None = None  # the normalised value must match (else the next occurrence)
    options: dict = field(default_factory=dict)  # normaliser options (mask, prefixes, ...)


@dataclass(frozen=True)
class DocumentType:
    key: str
    name: str
    schema: dict
    titles: tuple[str, ...]
    keywords: tuple[str, ...]
    markers: tuple[str, ...]  # regexes over the folded text that count as a title
    fields: tuple[FieldRule, ...]
    stops: tuple[str, ...] = ()  # printed labels that are not fields but end a value
    columns: dict = field(default_factory=dict)  # column name -> header labels
    checks: tuple[dict, ...] = ()
    owners: tuple[str, ...] = ()
    archive: dict = field(default_factory=dict)

    def field(self, key: str) -> FieldRule:
        return next(f for f in self.fields if f.key == key)

    def owners_of(self, fields: dict) -> list[str]:
        """The personal IDs the document is about (Nghị định 45/2020: reuse by person)."""
        return [fields[k] for k in self.owners if fields.get(k)]

    def archive_metadata(self, fields: dict, pages: int) -> dict:
        """Document-level metadata of Nghị định 30/2020 Phụ lục VI (TypeName, CodeNumber, ...):
        the rules name the field each comes from, or give a literal."""
        keys = {f.key for f in self.fields}
        meta = {}
        for name, source in self.archive.items():
            sources = source if isinstance(source, list) else [source]
            values = [str(fields[s]) for s in sources if s in fields]
            if values:
                meta[name] = ", ".join(values)
            elif not isinstance(source, list) and source not in keys:
                meta[name] = source  # a literal, e.g. the type's name
        meta.setdefault("TypeName", self.name)
        code = meta.get("CodeNumber")
        if code and "/" in code and meta.get("CodeNotation", code) == code:
            # "511/QĐ-UBND": số 511, ký hiệu QĐ-UBND
            meta["CodeNumber"], meta["CodeNotation"] = (p.strip() for p in code.split("/", 1))
        meta["PageAmount"] = pages
        meta["ConfidenceLevel"] = DIGITIZED_FROM_PAPER
        return meta

    def display_name(self, key: str) -> str:
        """The field as printed on the form, for messages: "Số định danh cá nhân"."""
        rule = next((f for f in self.fields if f.key == key), None)
        if rule is None:
            return key
        name = rule.title or (rule.labels[0] if rule.labels else key.replace("_", " "))
        return name.split(" / ")[0]  # the Vietnamese half of a bilingual label


def load_type(rules_path: Path) -> DocumentType:
    rules = json.loads(rules_path.read_text("utf-8"))
    schema_path = rules_path.with_name(rules_path.name.replace(".rules.json", ".schema.json"))
    schema = json.loads(schema_path.read_text("utf-8"))
    fields = []
    for key, spec in rules["fields"].items():
        spec = dict(spec)
        finders = spec.pop("find", [])
        fields.append(FieldRule(key=key, labels=tuple(spec.pop("labels", ())),
                                finders=tuple(finders if isinstance(finders, list) else [finders]),
                                options=spec.pop("options", {}), **spec))
    classify = rules.get("classify", {})
    return DocumentType(
        key=rules["type"], name=rules["name"], schema=schema,
        titles=tuple(classify.get("titles", ())), keywords=tuple(classify.get("keywords", ())),
        markers=tuple(classify.get("markers", ())),
        fields=tuple(fields), stops=tuple(rules.get("stops", ())),
        columns=rules.get("columns", {}), checks=tuple(rules.get("checks", ())),
        owners=tuple(rules.get("owners", ())), archive=rules.get("archive", {}))


@lru_cache(maxsize=8)
def load_types(extra_dirs: tuple[str, ...] = ()) -> dict[str, DocumentType]:
    """The shipped types plus any defined in extra folders (a later folder wins)."""
    types: dict[str, DocumentType] = {}
    for folder in (SHIPPED / "documents", *map(Path, extra_dirs)):
        for rules_path in sorted(Path(folder).glob("*.rules.json")):
            doc_type = load_type(rules_path)
            types[doc_type.key] = doc_type
    return types


@cache
def reference(name: str) -> dict:
    """A reference list from schemas/reference/<name>.json, read once; callers only read it."""
    return json.loads((SHIPPED / "reference" / f"{name}.json").read_text("utf-8"))
