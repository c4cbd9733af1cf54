"""What a signed PDF gained after a signature that pyHanko's difference analysis lets pass.

pyHanko's default policy (``DEFAULT_DIFF_POLICY``) is made for documents anyone may keep
editing: it clears a replaced ``/Info`` dictionary and a replaced XMP metadata stream (the
archive metadata of Nghị định 30/2020 Phụ lục VI lives in sohoa's XMP) as "long-term
validation updates", an invisible new signature field likewise, and a visible new
signature field, appearance and all, as "form filling" like a later signature; and it
never looks at bytes after the last ``%%EOF`` it reads, nor at bytes between two
revisions that no cross-reference section points to (garbage, an unlisted object). For
sohoa's outputs nothing but long-term validation data (DSS, document timestamps with
their own VRI) and later signatures in their own fields may follow a signature: the
checks here name, in Vietnamese, everything else those rules let through.

:func:`open_pdf` also reads a file whose last incremental update cannot be parsed (pyHanko
refuses the whole file): the revisions before it are verified and the update is named.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.metadata.model import NS, ExpandedName
from pyhanko.pdf_utils.metadata.xmp_xml import parse_xmp
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from pipeline.pdf.revisions import revision_end

__all__ = ["Tail", "field_changes", "inserted_bytes", "metadata_changes", "open_pdf"]

# pyHanko rewrites these on every incremental save (its own signatures, DSS, timestamps)
_VOLATILE_XMP = frozenset({ExpandedName(NS["xmp"], "ModifyDate"),
                           ExpandedName(NS["xmp"], "MetadataDate"),
                           ExpandedName(NS["pdf"], "Producer")})
_VOLATILE_INFO = frozenset({"/ModDate", "/Producer"})
_PREFIX = {uri: prefix for prefix, uri in NS.items()}
_XMP_WHAT = "siêu dữ liệu XMP (nơi ghi siêu dữ liệu lưu trữ theo Nghị định 30/2020)"
_INFO_WHAT = "thông tin mô tả tài liệu (từ điển /Info)"
# a hostile file may hold thousands of %%EOF markers: each retry is a full parse
_MAX_RETRIES = 16
_PDF_SYNTAX = re.compile(rb"\d+\s+\d+\s+obj\b|\bxref\b|\btrailer\b|startxref|%%EOF")
_MAX_NAMES = 8


# ------------------------------------------------------------------ the file's end


@dataclass(frozen=True)
class Tail:
    """Bytes after the end (``%%EOF`` and its line end) of the last revision read."""

    offset: int
    data: bytes

    def sentence(self) -> str:
        if _PDF_SYNTAX.search(self.data):  # objects, a cross-reference section...
            return (f"Sau khi ký, tệp đã bị nối thêm một bản cập nhật không đọc được "
                    f"({len(self.data)} byte sau dấu kết thúc tệp %%EOF).")
        return (f"Sau khi ký, tệp đã bị nối thêm {len(self.data)} byte dữ liệu lạ sau dấu "
                f"kết thúc tệp %%EOF.")


def open_pdf(data: bytes) -> tuple[PdfFileReader, Tail | None]:
    """pyHanko's reader of ``data`` and what follows its last revision. When the file as
    a whole cannot be read, the longest prefix ending at a ``%%EOF`` that can is read
    instead (an update that cannot be parsed was appended: it is the tail); when none
    can, the first error is raised."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except Exception as first:
        for end in _eof_ends(data):
            try:
                reader = PdfFileReader(io.BytesIO(data[:end]), strict=False)
            except Exception:
                continue
            return reader, Tail(end, data[end:])
        raise first
    end = revision_end(data, reader, reader.xrefs.total_revisions - 1)
    if end is None or end >= len(data):
        return reader, None
    return reader, Tail(end, data[end:])


def _eof_ends(data: bytes):
    """Ends (after the line end) of the ``%%EOF`` markers, last first, short of the
    file's own end (the whole file was tried). The last marker counts: pyHanko looks for
    it in the last 1024 bytes only, so a long enough tail of garbage hides it."""
    pos = len(data)
    for _ in range(_MAX_RETRIES):
        pos = data.rfind(b"%%EOF", 0, pos)
        if pos < 0:
            return
        end = pos + len(b"%%EOF")
        end += 2 if data[end:end + 2] == b"\r\n" else int(data[end:end + 1] in (b"\r", b"\n"))
        if end < len(data):
            yield end


# ------------------------------------------------------------ between revisions


def inserted_bytes(data: bytes, reader: PdfFileReader) -> dict[int, str]:
    """{revision: sentence} for each incremental update holding bytes that none of its own
    objects, nor its cross-reference section and trailer, account for: garbage, or an
    object no cross-reference section lists, slipped in between the end of the revision
    before (its ``%%EOF``) and the update's last ``%%EOF``. A reader that rebuilds the
    cross-reference table would see such an object; the signature does not cover it. Only
    line ends may stand between the objects of an update."""
    found = {}
    for revision in range(1, reader.xrefs.total_revisions):
        try:
            stray = _stray_bytes(data, reader, revision)
        except Exception:  # an update pyHanko reads but we cannot walk: name it all
            stray = -1
        if stray:
            found[revision] = (
                "Sau khi ký, tệp đã bị chèn dữ liệu lạ vào giữa các phiên bản của tệp "
                f"(trước phiên bản {revision + 1}): " + (f"{stray} byte không thuộc đối tượng nào "
                "của bản cập nhật." if stray > 0 else "không đọc được cấu trúc của bản cập nhật."))
    return found


def _stray_bytes(data: bytes, reader: PdfFileReader, revision: int) -> int:
    """How many bytes of update ``revision`` lie outside its objects, its cross-reference
    section and trailer, other than whitespace."""
    start = revision_end(data, reader, revision - 1)
    end = revision_end(data, reader, revision)
    if start is None or end is None:
        return -1
    xref = reader.xrefs.get_xref_container_info(revision).start_location
    spans = [(xref, end)]
    for idnum, (generation, offset) in reader.xrefs.get_xref_data(revision).standard_xrefs.items():
        if start <= offset < xref:
            spans.append((offset, _object_end(data, reader, idnum, generation, offset)))
    spans.sort()
    stray, pos = 0, start
    for begin, stop in spans:
        if begin > pos:
            stray += len(data[pos:begin].strip(b"\t\n\x0c\r "))
        pos = max(pos, stop)
    return stray + (len(data[pos:end].strip(b"\t\n\x0c\r ")) if pos < end else 0)


def _object_end(data: bytes, reader: PdfFileReader, idnum: int, generation: int,
                offset: int) -> int:
    """Offset just after the ``endobj`` of the object at ``offset``."""
    from pyhanko.pdf_utils.xref import read_object_header

    stream = io.BytesIO(data)
    stream.seek(offset)
    if read_object_header(stream, strict=False) != (idnum, generation):
        raise misc.PdfReadError(f"object {idnum} {generation} is not at {offset}")
    generic.read_object(stream, generic.Reference(idnum, generation, reader))
    generic.read_non_whitespace(stream, seek_back=True)
    if stream.read(6) != b"endobj":
        raise misc.PdfReadError(f"object {idnum} {generation} has no endobj")
    return stream.tell()


# ----------------------------------------------------------------------- fields


def field_changes(reader: PdfFileReader, revision: int, later_signed: set[str],
                  changed: set[str]) -> list[str]:
    """Signature fields that appeared after ``revision`` and form fields pyHanko saw
    changed (``changed``), except the fields of signatures and document timestamps made
    after it (``later_signed``): each a Vietnamese sentence."""
    if revision >= reader.xrefs.total_revisions - 1:
        return []  # nothing came after (pyHanko's coverage says "entire file")
    before = {name for name, _, _ in enumerate_sig_fields(reader.get_historical_resolver(revision))}
    found, new = [], set()
    for name, value, ref in enumerate_sig_fields(reader):
        if name in before or name in later_signed:
            continue
        new.add(name)
        found.append(_new_field_sentence(reader, name, value, ref))
    for name in sorted(changed - later_signed - new):
        found.append(f"Sau khi ký, trường «{_shown(name)}» của biểu mẫu đã bị điền hoặc sửa.")
    return found


def _new_field_sentence(reader: PdfFileReader, name: str, value,
                        field_ref: generic.IndirectObject) -> str:
    widgets = _widgets(field_ref)
    what = f"trường «{_shown(name)}»" + (", chưa ký" if value is None else "")
    if not any(_area(w.get_object()) for w in widgets):
        return f"Sau khi ký, tệp đã bị thêm trường chữ ký mới không hiển thị ({what})."
    pages = _pages_holding(reader, {w.reference for w in widgets})
    if not pages:
        return f"Sau khi ký, tệp đã bị thêm trường chữ ký mới ({what}, không gắn vào trang nào)."
    paints = any("/AP" in w.get_object() for w in widgets)
    verb = "vẽ lên" if paints else "đặt trên"
    where = ", ".join(str(p + 1) for p in pages)
    return f"Sau khi ký, tệp đã bị thêm trường chữ ký mới {verb} trang {where} ({what})."


def _widgets(field_ref: generic.IndirectObject) -> list[generic.IndirectObject]:
    """The field's widget annotations: its /Kids, or the field itself (merged widget)."""
    kids = _get(field_ref.get_object(), "/Kids")
    if isinstance(kids, generic.ArrayObject) and kids:
        raw = (kids.raw_get(i) for i in range(len(kids)))
        return [k for k in raw if isinstance(k, generic.IndirectObject)]
    return [field_ref]


def _area(annot) -> float:
    try:
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return abs(x2 - x1) * abs(y2 - y1)


def _pages_holding(reader: PdfFileReader, refs: set) -> list[int]:
    """0-based indices of the pages whose /Annots hold one of ``refs``."""
    held = []
    for index, page in enumerate(_pages(reader)):
        annots = _get(page, "/Annots")
        if not isinstance(annots, generic.ArrayObject):
            continue
        raw = (annots.raw_get(i) for i in range(len(annots)))
        if any(isinstance(a, generic.IndirectObject) and a.reference in refs for a in raw):
            held.append(index)
    return held


def _pages(reader: PdfFileReader):
    """The page dictionaries in order; a node seen twice (a loop) is skipped."""
    stack, seen = [reader.root.raw_get("/Pages")], set()
    while stack:
        node = stack.pop()
        if isinstance(node, generic.IndirectObject):
            if node.reference in seen:
                continue
            seen.add(node.reference)
        node = node.get_object()
        if not isinstance(node, generic.DictionaryObject):
            continue
        kids = _get(node, "/Kids")
        if _get(node, "/Type") == "/Pages" or isinstance(kids, generic.ArrayObject):
            if isinstance(kids, generic.ArrayObject):
                stack.extend(reversed([kids.raw_get(i) for i in range(len(kids))]))
            continue
        yield node


def _get(dictionary: generic.DictionaryObject, key: str):
    """The value under ``key``, dereferenced (``dict.get`` would return the reference)."""
    try:
        return dictionary[key]
    except KeyError:
        return None


def _shown(name: str) -> str:
    """A name from the file, inert in a sentence (no control characters), not too long."""
    clean = "".join(c if c.isprintable() else "?" for c in str(name))
    return clean if len(clean) <= 60 else clean[:59] + "…"


# --------------------------------------------------------------------- metadata


def metadata_changes(reader: PdfFileReader, revision: int) -> list[str]:
    """What changed in the XMP metadata and in ``/Info`` between ``revision`` and the last
    revision, beyond what pyHanko rewrites on every save (modification date, producer)."""
    last = reader.xrefs.total_revisions - 1
    if revision >= last:
        return []
    then, now = reader.get_historical_resolver(revision), reader.get_historical_resolver(last)
    return [s for s in (_xmp_change(then, now), _info_change(then, now)) if s]


def _xmp_change(then: HistoricalResolver, now: HistoricalResolver) -> str | None:
    try:
        before, after = _xmp_fields(then), _xmp_fields(now)
    except Exception:  # not XMP pyHanko parses: only unchanged bytes are the same metadata
        if _metadata_bytes(then) == _metadata_bytes(now):
            return None
        return f"Sau khi ký, {_XMP_WHAT} đã bị thay bằng dữ liệu không đọc được."
    return _sentence(_XMP_WHAT, before, after, _xmp_name)


def _xmp_fields(resolver: HistoricalResolver) -> dict | None:
    """{property: value} of the XMP at this revision without the volatile properties;
    None when there is no metadata stream."""
    stream = _metadata_stream(resolver)
    if stream is None:
        return None
    fields: dict = {}
    for description in parse_xmp(io.BytesIO(stream.data)):
        fields.update(dict(description))  # several rdf:Description: pyHanko merges them too
    return {k: v for k, v in fields.items() if k not in _VOLATILE_XMP}


def _metadata_stream(resolver: HistoricalResolver):
    ref = resolver.root.get_value_as_reference("/Metadata", optional=True)
    if ref is None:
        return None
    stream = resolver(ref)
    if not isinstance(stream, generic.StreamObject):
        raise misc.PdfReadError("/Metadata is not a stream")
    return stream


def _metadata_bytes(resolver: HistoricalResolver) -> bytes | None:
    try:
        stream = _metadata_stream(resolver)
        return None if stream is None else stream.data
    except Exception:
        return b"?"  # unreadable: differs from any readable stream


def _xmp_name(name: ExpandedName) -> str:
    prefix = _PREFIX.get(name.ns)
    return f"{prefix}:{name.local_name}" if prefix else str(name)


def _info_change(then: HistoricalResolver, now: HistoricalResolver) -> str | None:
    return _sentence(_INFO_WHAT, _info_entries(then), _info_entries(now), str)


def _info_entries(resolver: HistoricalResolver) -> dict | None:
    """{key: value as text} of the trailer's /Info without the volatile entries; None
    when there is no /Info."""
    try:
        info = resolver.trailer_view.raw_get("/Info")
    except KeyError:
        return None
    if isinstance(info, generic.IndirectObject):
        info = resolver(info.reference)
    if not isinstance(info, generic.DictionaryObject):
        return {"": repr(info)}
    return {key: repr(info.raw_get(key)) for key in info if key not in _VOLATILE_INFO}


def _sentence(what: str, before: dict | None, after: dict | None, show) -> str | None:
    if before == after:
        return None
    if after is None:
        return f"Sau khi ký, {what} đã bị xóa."
    if before is None:
        return f"Sau khi ký, {what} đã bị thêm vào tệp."
    names = sorted(show(k) for k in before.keys() | after.keys()
                   if before.get(k) != after.get(k))
    shown = ", ".join(_shown(n) for n in names[:_MAX_NAMES]) + (", …" if len(names) > _MAX_NAMES else "")
    return f"Sau khi ký, {what} đã bị thay thế hoặc sửa: {shown}."


# ------------------------------------------------------- pyHanko's refusals, for people

_MODIFIED = ("Tài liệu đã bị sửa đổi nội dung sau khi ký: đối tượng của bản đã ký bị thay "
             "hoặc thêm mới.")
# (words of pyHanko's English message, the Vietnamese sentence); first match wins
_SUSPICIOUS_VI = (
    (("freed",), "Sau khi ký, một số đối tượng của bản đã ký đã bị xóa khỏi tệp."),
    (("DSS", "VRI"), "Sau khi ký, kho dữ liệu xác thực dài hạn (DSS) bị thêm mục lạ hoặc bị "
                     "sửa sai quy cách."),
    (("Metadata", "XMP"), f"Sau khi ký, {_XMP_WHAT} đã bị thay bằng dữ liệu không hợp lệ."),
    (("More form fields added",), "Sau khi ký, tệp đã bị thêm trường biểu mẫu không phải "
                                  "trường chữ ký."),
    (("deleted",), "Sau khi ký, trường biểu mẫu hoặc chú thích đã bị xóa."),
    (("locked",), "Sau khi ký, trường đã bị khóa vẫn bị sửa."),
    (("certification signature",), "Sau khi ký chứng nhận, tệp bị thêm hoặc sửa điều chữ ký "
                                    "chứng nhận không cho phép."),
    (("appearance", "AP entry"), "Sau khi ký, hình hiển thị của một trường chữ ký đã bị thay."),
    (("page tree",), "Sau khi ký, cấu trúc trang của tài liệu đã bị thay đổi."),
    (("not recognised",), "Sau khi ký, trang đã bị thêm chú thích lạ."),
)


def modified_sentence(diff: object) -> str:
    """pyHanko's difference analysis refusing a change (``SuspiciousModification``, whose
    English message goes to the technicians' detail), as a Vietnamese sentence."""
    text = str(diff)
    return next((vi for words, vi in _SUSPICIOUS_VI if any(w in text for w in words)),
                _MODIFIED)
