"""Text from outside (file names, OCR text, field values) on the operator's terminal.

rich reads `[...]` in a printed string as markup: a file name holding `[/bold]` made the
final report crash, `[red]` restyles it; a name holding an escape sequence (ESC [2J) can
clear the screen or rewrite what it shows. Every such text goes through `inert` first
(`visible` where nothing reads markup: `sohoa verify` prints with click).
"""
from __future__ import annotations

import unicodedata

from rich.markup import escape


def inert(text: object) -> str:
    """`text` shown as it is: markup escaped, control and formatting characters (escapes,
    bidi overrides) written as `\\xNN` / `\\uNNNN`."""
    return escape(visible(text))


def visible(text: object, keep: str = "") -> str:
    """`text` for plain output (click.echo, no markup): control and formatting characters
    written as `\\xNN` / `\\uNNNN`, except those in `keep` (a report's line ends)."""
    return "".join(c if c in keep else _visible(c) for c in str(text))


def visible_json(text: str) -> str:
    """JSON text with every control or formatting character (C1 controls, bidi overrides,
    lone surrogates of undecodable names) as a `\\uNNNN` escape: the same JSON, inert on a
    terminal. Line ends between values stay."""
    return "".join(c if c == "\n" or not unicodedata.category(c).startswith("C")
                   else _json_escape(c) for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP: a surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _visible(char: str) -> str:
    if not unicodedata.category(char).startswith("C"):
        return char
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
