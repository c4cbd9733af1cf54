"""Mending the diacritics OCR got wrong, from words and phrases sohoa knows.

Tesseract's usual slip on Vietnamese is a wrong mark on a right letter ("thành phổ",
"Tố dân phố", "TRƯNG"). The letters are right, so the folded form (no marks, no case)
is right, and where a known phrase or name has that folded form, its marks are the
printed ones. Rules that keep this from becoming guessing:

- a word or phrase read exactly as something known is never changed;
- phrases of two or more words are matched whole (“ủy ban nhân dân”, “tỉnh Kon Tum”);
- a single word is mended only from a closed list (names, address units) given by the
  field's rules, and only when one known word is closest in marks; a tie is left as read.

Places are the largest list: every district and commune of Viet Nam, before and after the
2025 reform (schemas/reference/divisions.json). With its unit word ("huyện Ngọc Hồi") a
place is a phrase anywhere; its bare name ("Đắk Hà") only inside an address, where a name
of two words or more is all but surely that place.

The lists are data: schemas/reference/lexicon.json, provinces.json, surnames.json and
divisions.json.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import Levenshtein

from pipeline.core.text import fold, tone_key
from pipeline.understand.doctypes import reference

_AFFIXES = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


@dataclass(frozen=True)
class WordList:
    by_fold: dict[str, tuple[str, ...]]  # folded word -> known spellings
    known: frozenset[str]  # known spellings, by tone_key
    longest: int  # words in the longest entry

    def knows(self, text: str) -> bool:
        """Whether `text` is a known spelling (in any case, the tone placed either way)."""
        return tone_key(text) in self.known

    @classmethod
    def of(cls, words) -> WordList:
        by_fold: dict[str, list[str]] = {}
        for word in words:
            spellings = by_fold.setdefault(fold(word), [])
            if word.casefold() not in (s.casefold() for s in spellings):  # case is the reader's
                spellings.append(word)
        return cls({k: tuple(v) for k, v in by_fold.items()}, frozenset(tone_key(w) for w in words),
                   max((len(k.split()) for k in by_fold), default=0))


@cache
def word_list(name: str) -> WordList:
    """"surnames", "names" (given, middle), "places" (address words), "phrases", or
    "address phrases" (the phrases and the bare names of districts and communes)."""
    surnames = reference("surnames")["surnames"]
    if name == "surnames":
        return WordList.of(surnames)
    lexicon = reference("lexicon")
    if name == "names":  # after the family name: middle and given names, or a second family name
        return WordList.of([*lexicon["given_names"], *surnames])
    if name in ("phrases", "address phrases"):
        provinces = reference("provinces")["codes"].values()
        units = [f"{unit} {p}" for p in provinces for unit in ("tỉnh", "thành phố")]
        divisions = reference("divisions")
        bare = [n for n in divisions["names"] if len(n.split()) > 1] if name == "address phrases" else []
        return WordList.of([*lexicon["phrases"], *provinces, *units, *divisions["units"], *bare])
    return WordList.of(lexicon[name])


def mend_word(word: str, words: WordList) -> str:
    """The known spelling of one word read with wrong marks, else the word as read."""
    before, core, after = _AFFIXES.match(word).groups()
    if not core or words.knows(core):
        return word
    best = closest(core, words.by_fold.get(fold(core), ()))
    return word if best is None else before + _same_case(best, core) + after


def mend_phrases(text: str, phrases: WordList | None = None) -> str:
    """Every run of words whose folded form is a known phrase gets the phrase's marks. A
    word a longer phrase settled (read as known, or mended) is not changed again by a
    phrase overlapping it, but a phrase may begin inside it: "ỦY BAN NHÂN DÂN TỈNH" read
    right still lets "TỈNH KON TƯUM" be mended."""
    phrases = phrases or word_list("phrases")
    words = text.split(" ")
    settled: set[int] = set()
    for i in range(len(words)):
        for size in range(min(phrases.longest, len(words) - i), 1, -1):
            parts = [_AFFIXES.match(w).groups() for w in words[i:i + size]]
            # a phrase never runs across punctuation ("Trung, Cẩm" is not "Trung Cẩm")
            if any(p[2] for p in parts[:-1]) or any(p[0] for p in parts[1:]):
                continue
            read = " ".join(p[1] for p in parts)
            if phrases.knows(read):  # read as printed: nothing in it to mend
                settled.update(range(i, i + size))
                break
            best = closest(read, phrases.by_fold.get(fold(read), ()))
            if best is None and size >= FUZZY_MIN_WORDS:
                best = _near_official(read)
                if best is not None and _names_a_place(read, best, text.isupper()):
                    best = None
            if best is None:
                continue
            mended = [p[0] + _same_case(known, p[1]) + p[2] for p, known in zip(parts, best.split())]
            if any(i + j in settled and w != words[i + j] for j, w in enumerate(mended)):
                continue
            words[i:i + size] = mended
            settled.update(range(i, i + size))
            break
    return " ".join(words)


FUZZY_MIN_WORDS = 3
FUZZY_LETTERS_PER_EDIT = 7  # "Úy bạm nhân đầm": two slips in 15 letters, still the phrase


def _near_official(read: str) -> str | None:
    """The one official phrase of three words or more (schemas/reference/lexicon.json, and
    "tỉnh <province>"; not districts and communes: too many differ by a letter) that what was read
    misses by a letter per FUZZY_LETTERS_PER_EDIT, with the same number of words."""
    folded = fold(read)
    allowed = len(folded) // FUZZY_LETTERS_PER_EDIT
    if not allowed:
        return None
    near = [p for p, f in _official_phrases() if f.count(" ") == folded.count(" ")
            and Levenshtein.distance(f, folded, score_cutoff=allowed) <= allowed]
    return near[0] if len(near) == 1 else None


def _names_a_place(read: str, phrase: str, all_capitals: bool) -> bool:
    """Whether a word the near phrase would change is a name, not the phrase's word: "Hà" of
    "Ủy ban nhân dân Hà Nội" is one letter from "xã", but capitalised where the phrase's
    word is not."""
    return not all_capitals and any(
        fold(r) != fold(p) and r[:1].isupper() and p[:1].islower()
        for r, p in zip(read.split(), phrase.split()))


@cache
def _official_phrases() -> tuple[tuple[str, str], ...]:
    provinces = reference("provinces")["codes"].values()
    units = [f"{unit} {p}" for p in provinces for unit in ("tỉnh", "thành phố")]  # "TỈNH KON TƯUM"
    return tuple((p, fold(p)) for p in [*reference("lexicon")["phrases"], *units]
                 if len(p.split()) >= FUZZY_MIN_WORDS)


def closest(read: str, candidates: tuple[str, ...]) -> str | None:
    """The one candidate fewest marks away from what was read (None on a tie or none)."""
    if not candidates:
        return None
    scored = sorted((_marks_apart(read, c), c) for c in candidates)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return scored[0][1]


_ABOVE = str.maketrans(dict.fromkeys("\u0300\u0301\u0303\u0309", "\u0301"))


def _marks_apart(a: str, b: str) -> float:
    """Edits between the two spellings' letters and marks; one tone above the letter read
    as another (ẳ for ắ) costs half, being the likeliest slip."""
    a, b = (unicodedata.normalize("NFD", w.casefold()) for w in (a, b))
    return Levenshtein.distance(a.translate(_ABOVE), b.translate(_ABOVE)) + 0.5 * Levenshtein.distance(a, b)


def _same_case(known: str, read: str) -> str:
    if read.isupper():
        return known.upper()
    if read[:1].isupper():
        return known[:1].upper() + known[1:]
    return known.lower() if read.islower() else known
