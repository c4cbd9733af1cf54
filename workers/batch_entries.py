"""Batch entries: every entry a batch holds, and where its results go under OUT.

A batch is a folder; each sub-folder is a dossier and each entry in it a document; an
entry directly in the batch folder is a dossier of its own (../shared/spec/documents.md).
Nothing is left out silently: a FIFO, a device, a link, a folder that cannot be listed is
an entry too, which the runner refuses with its own sentence. So is a hidden folder at the
top of the batch (`.git`, `.Trash-1000`): it is not taken for a dossier, and not opened,
but it is one `failed` entry whose sentence says how to have it digitized (rename it) or
gone from the report (move it out of the batch): a dossier whose name starts with a dot
is never lost without a word. The only entries left out are the operating system's litter
files (`Thumbs.db`, `desktop.ini`, `.DS_Store`, macOS `._*` twins) and `.json` sidecars.

Output names come from input names, and input names can be hostile: `...png` would make
`..` its dossier folder, `.sohoa.png` the object store's; a 255-byte name leaves no room
for `.result.json`; a name may not be UTF-8, or may carry terminal escapes. An ordinary
name is kept as it is (`OUT/<dossier>/<file>.result.json`); any other becomes a safe name
(unsafe characters replaced, cut to fit) with a short hash of the original, never `.`,
`..`, empty or one of OUT's own folders, and never one another entry already has.
"""
from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import ConfigurationError, InputError
from pipeline.scan.load import unreadable

# Operating-system litter, never scans. Anything else is looked at: a file silently
# skipped could be a document lost.
SKIPPED_NAMES = {"Thumbs.db", "desktop.ini", ".DS_Store"}
HIDDEN_FOLDER = ("Thư mục ẩn (tên bắt đầu bằng dấu chấm) không phải hồ sơ nên không được "
                 "số hóa; nếu là hồ sơ, hãy bỏ dấu chấm đầu tên, nếu không, hãy chuyển nó ra "
                 "khỏi thư mục lô.")
SIDECAR_SUFFIXES = {".json"}  # metadata next to scans (e.g. a generator's truth.json)
RESERVED = {".sohoa", "certified"}  # OUT's own folders (object store and index; copies)
RESULT_SUFFIX = ".result.json"
NAME_MAX = 255  # bytes in one file name (Linux, every common file system)
PATH_MAX = 4096  # bytes in a whole path, with its final NUL
HASH_CHARS = 8


@dataclass(frozen=True)
class Source:
    path: Path  # the entry, under its name as the OS gives it
    rel: str  # relative to the batch, "/"-separated, printable (result.json's `source`)
    dossier: str  # output folder of its dossier, relative to OUT
    result_path: str  # its result.json, relative to OUT
    key: str  # the dossier registry's name for it: `rel`, made unique if `rel` was escaped
    problem: InputError | None = None  # found while listing: a folder that cannot be read


def discover(batch: Path, out: Path) -> list[Source]:
    """Every entry of `batch` in a stable order, each with its own result path."""
    batch, out = batch.resolve(), out.resolve()
    try:
        top = _listing(batch)
    except OSError as exc:
        raise ConfigurationError("Không đọc được thư mục lô cần số hóa.", "batch_unreadable",
                                 detail=f"{batch}: {exc}") from exc
    folders = [e for e in top if _is_dir(e)]
    loose = [e for e in top if not _is_dir(e)]
    # A loose file is its own dossier, in a folder named after it (its stem, unless a
    # folder already has that name).
    wanted = [e.name for e in folders]
    seen = set(wanted)
    for entry in loose:
        stem = Path(entry.name).stem
        wanted.append(entry.name if stem in seen else stem)
        seen.add(wanted[-1])
    names = Names(reserved=RESERVED).assign(wanted, dossier=True)
    sources: list[Source] = []
    for entry, dossier in zip(folders + loose, names):
        if not _is_dir(entry):
            inside = iter([(batch / entry.name, (), None)])
        elif entry.name.startswith("."):  # .git, .Trash-1000: one entry, not opened
            inside = iter([(batch / entry.name, (), InputError(HIDDEN_FOLDER, "hidden_folder"))])
        else:
            inside = _walk(batch / entry.name, ())
        sources += _dossier_sources(out, entry.name, dossier, list(inside))
    return sources


def _dossier_sources(out: Path, top: str, dossier: str,
                     entries: list[tuple[Path, tuple[str, ...], InputError | None]]
                     ) -> list[Source]:
    """The sources of one dossier; result names are handed out per output folder."""
    folders: dict[tuple[str, ...], Names] = {}
    mapped: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}  # input folder -> output folder

    def output_folder(parts: tuple[str, ...]) -> tuple[str, ...]:
        if parts not in mapped:
            parent = output_folder(parts[:-1])
            mapped[parts] = (*parent, folders.setdefault(parent, Names()).claim(parts[-1]))
        return mapped[parts]

    sources = []
    for path, parts, problem in entries:
        leaf = parts[-1] if parts else top  # a loose file, or a whole dossier unreadable
        where = output_folder(parts[:-1])
        if not _fits(out, (dossier, *where)):  # too deep to mirror: flat in the dossier
            where = ()
        names = folders.setdefault(where, Names())
        result = names.claim(leaf, suffix=RESULT_SUFFIX, salt="/".join(parts))
        rel_parts = (top, *parts)
        rel = "/".join(printable(p) for p in rel_parts)
        escaped = any(printable(p) != p for p in rel_parts)
        sources.append(Source(
            path=path, rel=rel, dossier=dossier,
            result_path="/".join((dossier, *where, result)),
            key=f"{rel}\n{_digest('/'.join(rel_parts))}" if escaped else rel,  # \n: never in rel
            problem=problem))
    return sources


def _walk(folder: Path, parts: tuple[str, ...]
          ) -> Iterator[tuple[Path, tuple[str, ...], InputError | None]]:
    """(path, parts inside the dossier, problem) of everything under a dossier folder; a
    folder that cannot be listed is itself an entry, with its problem."""
    try:
        entries = _listing(folder)
    except OSError as exc:
        yield folder, parts, unreadable(exc, folder=True)
        return
    for entry in entries:
        if _is_dir(entry):
            yield from _walk(folder / entry.name, (*parts, entry.name))
        else:
            yield folder / entry.name, (*parts, entry.name), None


def _listing(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as listing:
        return sorted((e for e in listing if not _skip(e)), key=lambda e: e.name)


def _is_dir(entry: os.DirEntry) -> bool:
    """A real folder (never a link to one: links are entries, checked like files)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _skip(entry: os.DirEntry) -> bool:
    """OS litter files and sidecars, nothing else (a folder never: a hidden one at the
    top is an entry of its own, inside a dossier its files are documents)."""
    name = entry.name
    if _is_dir(entry):
        return False
    try:
        sidecar = Path(name).suffix.lower() in SIDECAR_SUFFIXES and entry.is_file()
    except OSError:  # a link that loops: an entry, refused with its own sentence
        sidecar = False
    return name in SKIPPED_NAMES or name.startswith("._") or sidecar  # ._: macOS twins


def _fits(out: Path, folder: tuple[str, ...]) -> bool:
    """Whether any file name fits in this output folder without the path exceeding the
    OS's limit (a deep input tree under a longer OUT would not)."""
    return len(os.fsencode(out.joinpath(*folder))) + 1 + NAME_MAX < PATH_MAX


class Names:
    """Names handed out in one output folder: safe, bounded, never the same twice."""

    def __init__(self, reserved: set[str] | frozenset[str] = frozenset()):
        self.reserved = {r.casefold() for r in reserved}  # OUT may be on a FAT or SMB share
        self.taken: set[str] = set()

    def assign(self, raws: list[str], *, dossier: bool = False) -> list[str]:
        """Names for `raws`, in order; ordinary ones first, so a made-up name never takes
        a real one's place."""
        names: list[str | None] = [None] * len(raws)
        for i, raw in enumerate(raws):
            if self._keeps(raw, "", dossier):
                names[i] = raw
                self.taken.add(raw)
        for i, raw in enumerate(raws):
            if names[i] is None:
                names[i] = self.claim(raw, dossier=dossier)
        return [n for n in names if n is not None]

    def claim(self, raw: str, *, suffix: str = "", salt: str = "", dossier: bool = False) -> str:
        """`raw + suffix` if ordinary and free, else a safe name made from it."""
        name = raw + suffix if self._keeps(raw, suffix, dossier) else None
        attempt = 0
        while name is None or name in self.taken:
            name = _made_up(raw, suffix, f"{salt}\0{attempt}" if attempt else salt or raw)
            attempt += 1
        self.taken.add(name)
        return name

    def _keeps(self, raw: str, suffix: str, dossier: bool) -> bool:
        return (raw + suffix not in self.taken and printable(raw) == raw
                and raw not in ("", ".", "..") and len(os.fsencode(raw + suffix)) <= NAME_MAX
                and not (dossier and (raw.startswith(".") or raw.casefold() in self.reserved)))


def _made_up(raw: str, suffix: str, salt: str) -> str:
    """`<cleaned stem, cut>~<hash><ext><suffix>`, within NAME_MAX bytes: readable enough
    to tell which file it was, and the hash keeps it apart from every other."""
    stem, ext = os.path.splitext(raw)
    if len(os.fsencode(ext)) > 16 or printable(ext) != ext:
        stem, ext = raw, ""
    tag = f"~{_digest(salt)}"
    room = NAME_MAX - len((tag + ext + suffix).encode())
    cleaned = "".join(c if _plain(c) else "_" for c in printable(stem)).lstrip(".") or "hoso"
    return _cut(cleaned, room) + tag + ext + suffix


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    return text.encode()[:limit].decode("utf-8", "ignore")


def _plain(char: str) -> bool:
    return char not in "\\/" and not unicodedata.category(char).startswith("C")


def _digest(text: str) -> str:
    return hashlib.sha256(os.fsencode(text)).hexdigest()[:HASH_CHARS]


def printable(name: str) -> str:
    """`name` as text fit for JSON, a database and a terminal: bytes that are not UTF-8
    and control or formatting characters (escapes, bidi overrides) as `\\xNN` escapes."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if not unicodedata.category(c).startswith("C") else
                   (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") for c in text)
