"""Text from outside (file names, OCR text, field values) on the operator's terminal.

rich reads `[...]` in a printed string as markup: a file name holding `[/bold]` made the
final report crash, `[red]` restyles it; a name holding an escape sequence (ESC [2J) can
clear the screen or rewrite what it shows. Every such text goes through `inert` first.
"""
from __future__ import annotations

import unicodedata

from rich.markup import escape


def inert(text: object) -> str:
    """`text` shown as it is: markup escaped, control and formatting characters (escapes,
    bidi overrides) written as `\\xNN` / `\\uNNNN`."""
    visible = "".join(_visible(c) for c in str(text))
    return escape(visible)


def _visible(char: str) -> str:
    if not unicodedata.category(char).startswith("C"):
        return char
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
