"""Text helpers shared by classification, extraction, validation and the index.

`fold` is the one way sohoa compares Vietnamese text tolerantly: OCR loses diacritics and
case, so labels, titles and searches are matched on the folded form, never on raw strings.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s/]", re.UNICODE)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def collapse(text: str) -> str:
    """NFC, whitespace collapsed to single spaces, trimmed."""
    return _SPACES.sub(" ", nfc(text)).strip()


def strip_accents(text: str) -> str:
    """Drop Vietnamese diacritics: 'Đặng Thị Ánh' -> 'Dang Thi Anh' (đ has no decomposition)."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


def fold(text: str, *, keep_punct: bool = False) -> str:
    """Lower-case, accent-free, punctuation-free, whitespace-collapsed form for matching."""
    folded = strip_accents(text).lower()
    if not keep_punct:
        folded = _PUNCT.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


# Marks Vietnamese writes: the five tones and the circumflex, breve and horn.
_VIETNAMESE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def tone_key(text: str) -> str:
    """`text` casefolded with each word's tone moved to its end: "Hoà" and "Hòa" (the old
    and the new placement, both printed, the register using both) are one spelling."""
    words = []
    for word in unicodedata.normalize("NFD", text.casefold()).split():
        tones = "".join(c for c in word if c in _TONES)
        words.append("".join(c for c in word if c not in _TONES) + tones)
    return " ".join(words)


def vietnamese_marks(text: str) -> str:
    """Undo two OCR slips no Vietnamese word makes: a mark Vietnamese never writes on a
    letter (“Ÿ tế”, “ÏA”), and a vowel read twice with two tones (“NGUYẼỄN”, “Rấẫy”;
    a syllable carries one tone), where the second reading is kept."""
    letters: list[str] = []  # NFD clusters: a base letter and its marks
    for c in unicodedata.normalize("NFD", text):
        if unicodedata.combining(c) and letters:
            if c in _VIETNAMESE_MARKS:
                letters[-1] += c
        else:
            letters.append(c)
    kept = [a for a, b in zip(letters, letters[1:] + [""])
            if not (b and a[0].lower() == b[0].lower() and _TONES & set(a[1:]) and _TONES & set(b[1:]))]
    return nfc("".join(kept))


_SYLLABLE = re.compile(r"(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(ch|nh|ng|[cmnpt])?")


def is_syllable(word: str) -> bool:
    """Could `word` be one written Vietnamese syllable (onset, vowels, final)? Tells words
    from what OCR makes of a signature or a seal ("LAL#", "2K", "LÀAƒYÝ")."""
    return bool(_SYLLABLE.fullmatch(fold(word))) and word.isalpha()


# Tesseract reads the slash of "01/2018" as a fraction or division slash now and then
SLASHES = str.maketrans({"\u2044": "/", "\u2215": "/", "\uff0f": "/"})


def tidy_value(text: str) -> str:
    """A printed value without the leaders, colons and stray dots around it."""
    text = collapse(vietnamese_marks(text)).translate(SLASHES)
    text = re.sub(r"^[\s.:;,…·_\-–'\"`|]+", "", text)
    text = re.sub(r"[\s.:;,…·_\-–'\"`|]+$", "", text)
    text = re.sub(r"\s*\.{2,}\s*", " ", text)  # leaders left inside a value
    # a colon printed after a word hangs on it ("Số: 12"); one opening a word is a speck
    # of a leader or of the paper ("đến ngày :20/03/2063")
    text = re.sub(r"(?<=\s)[:;]+(?=\w)", "", text)
    text = re.sub(r"\$(?=[^\W\d_])", "S", text)  # "$ố 152": no value prints a dollar sign
    text = re.sub(r"(?<!\w)['`‘’]|['`‘’](?!\w)", "", text)  # Vietnamese has no apostrophes
    if text.count('"') % 2:  # a lone quote is a speck, a pair may be printed
        text = text.replace('"', "")
    return collapse(text)


def wrap_words(words: list[str], width_of: Callable[[str], float], max_width: float,
               start: str = "") -> list[str]:
    """Lines no wider than `max_width` (by `width_of`), broken between words; a word wider
    than a line stays whole (names are never cut). `start` begins the first line."""
    lines: list[str] = []
    current = start
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and width_of(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines
