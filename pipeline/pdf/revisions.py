"""Incremental revisions of a PDF: where one ends, so the file as it was before a
signature (the PDF/A the digitizing agency signed) can be cut out and checked."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import PdfFileReader

_EOL = re.compile(rb"\r\n|\r|\n|")


def revision_end(data: bytes, reader: PdfFileReader, revision: int) -> int | None:
    """Byte offset just after revision `revision`'s %%EOF and its line end, or None when
    the marker cannot be found after that revision's cross-reference section."""
    xref_end = reader.xrefs.get_xref_container_info(revision).end_location
    eof = data.find(b"%%EOF", xref_end)
    if eof < 0:
        return None
    end = eof + len(b"%%EOF")
    match = _EOL.match(data, end)
    return end + (len(match.group()) if match else 0)
