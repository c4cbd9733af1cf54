"""Diacritic folding for the index, done once in Python so SQLite and PostgreSQL store,
and therefore match, exactly the same folded text.

`fold("  TRẦN  Thị Đức ")` -> "tran thi duc". Full-text columns go one step further
(`search_text`): only letter/digit words separated by single spaces, so FTS5's unicode61
tokenizer and PostgreSQL's 'simple' parser see the same tokens (PostgreSQL would otherwise
keep "05/03/2021" or "qd-ubnd" as one token where FTS5 splits them).
"""
from __future__ import annotations

import re

from pipeline.core.text import fold as _fold, strip_accents

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")
_QUOTED = re.compile(r'"([^"]*)"')


def _fold_char(char: str) -> str:
    return strip_accents(char).lower()


def fold(text: str) -> str:
    """pipeline.core.text.fold keeping punctuation: accents dropped, đ -> d, lower case,
    whitespace collapsed and trimmed."""
    return _fold(text, keep_punct=True)


def search_text(text: str) -> str:
    """`fold` reduced to its words: what the full-text indexes are built over."""
    return " ".join(_WORD.findall(fold(text)))


def parse_query(query: str) -> list[list[str]]:
    """A user query as groups of tokens that must appear in a row: a quoted "phrase", or a
    space-free chunk such as "511/QĐ-UBND" or "05/03/2021". Every group must match (AND);
    an empty list means there is nothing to look for."""
    chunks = _QUOTED.findall(query) + _QUOTED.sub(" ", query).replace('"', " ").split()
    return [tokens for tokens in (search_text(chunk).split() for chunk in chunks) if tokens]


def snippet(text: str, groups: list[list[str]], width: int = 160) -> str:
    """A piece of the original `text` (accents kept) around the first query word it holds."""
    # Fold char by char so a position in the folded text maps back to the original.
    folded, origin = [], []
    for position, char in enumerate(text):
        for out in _fold_char(char):
            folded.append(out)
            origin.append(position)
    haystack = "".join(folded)
    first = None
    for word in (w for group in groups for w in group):
        for match in re.finditer(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", haystack):
            first = match.start() if first is None else min(first, match.start())
            break
    center = origin[first] if first is not None else 0
    start = max(0, center - width // 3)
    end = min(len(text), start + width)
    piece = _SPACE.sub(" ", text[start:end]).strip()
    return ("…" if start > 0 else "") + piece + ("…" if end < len(text) else "")
