"""Value normalisers: printed text as OCR read it -> the spec's value formats, or None.

None means unreadable: the field is omitted, never guessed (../shared/spec/documents.md).
Letter/digit confusions are mended only where the format demands a digit (or a letter).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from rapidfuzz import fuzz, process

from pipeline.core.text import collapse, fold, is_syllable, strip_accents, tidy_value
from pipeline.understand.doctypes import reference
from pipeline.understand.lexicon import mend_phrases, mend_word, word_list
from pipeline.understand.places import settle_address

# What OCR prints for a digit (and, the other way round, for a capital letter).
TO_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "U": "0", "l": "1", "I": "1",
                          "i": "1", "|": "1", "!": "1", "]": "1", "J": "1", "j": "1", "Z": "2",
                          "z": "2", "S": "5", "s": "5", "B": "8", "G": "6", "b": "6", "g": "9",
                          "q": "9", "T": "7"})
TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "7": "T"})
_DIGITISH = r"[0-9OoDQUlIi|!\]JjZzSsBGbgqT]"  # J: a handwritten 1 with its foot


def digits(text: str) -> str:
    return text.translate(TO_DIGIT)


def normalise(kind: str, raw: str, options: dict | None = None):
    options = options or {}
    value = tidy_value(raw)
    for prefix in options.get("strip_prefixes", ()):
        if fold(value).startswith(fold(prefix) + " "):
            value = value[len(prefix):].strip()
    for cut in options.get("cut_at", ()):
        match = re.search(cut, value, re.IGNORECASE)
        if match:
            value = tidy_value(value[:match.start()])
    if not value:
        return None
    return KINDS[kind](value, options)


def as_text(value: str, options: dict) -> str | None:
    if "snap" in options:
        return snap(value, options["snap"], options.get("snap_score", 80)) or value
    if not re.search(r"\w", value):
        return None
    if options.get("places"):  # first: the address's own province tells a name's spelling
        value = settle_address(value)
    value = mend_phrases(value, word_list("address phrases" if options.get("places") else "phrases"))
    if options.get("places"):  # an address: the unit word opening each part ("tỉnh", "Tổ")
        parts = [w + rest if not w or _opens_a_place_name(w + rest) else mend_word(w, word_list("places")) + rest
                 for w, rest in (_first_word(p) for p in value.split(","))]
        value = _HOUSE_THEN_UNIT.sub(lambda m: m[1] + mend_word(m[2], word_list("places")),
                                     ",".join(parts))
        # a dash with a space on one side only lost the other ("Bà Rịa -Vũng Tàu")
        value = re.sub(r"(?<=\w)(?: -|- )(?=\w)", " - ", value)
    return None if _ends_in_a_unit_word(value) else value


# with their marks: "Hà Tĩnh", "Sơn Tịnh" end in a name, not in the unit word "tỉnh"
_UNIT_WORDS = re.compile(r"(?:^|[\s,])(tỉnh|thành phố|huyện|quận|thị xã|thị trấn|xã|phường)$")


def _ends_in_a_unit_word(value: str) -> bool:
    """"… huyện Hải Lăng, tỉnh" or "… MÔI TRƯỜNG TỈNH": the place's name was cut off (a
    wrapped row lost, a seal over it), so the value is not what is printed."""
    return bool(_UNIT_WORDS.search(unicodedata.normalize("NFC", value).lower().rstrip(" ,.")))


# a house number is followed by its street's unit word ("Số 33 đường", "số 12 ngõ")
_HOUSE_THEN_UNIT = re.compile(r"(\b[Ss]ố\s+\d+[A-Za-z]?\s+)([a-zđ]\w*)")


def _first_word(part: str) -> tuple[str, str]:
    """("Tố", " 16") from " Tố 16": only there does an address print its unit word; a
    word inside a name ("Hà Tĩnh", "Sơn Tịnh") is never mended to one."""
    match = re.match(r"(\s*)(\S*)(.*)", part, re.DOTALL)
    return (match[1] + match[2], match[3]) if match[2] else ("", part)


def _opens_a_place_name(part: str) -> bool:
    """Whether the part opens with a commune's or district's name as printed: "Ngô Mây"
    (a ward) is no "Ngõ" (a lane) read with the wrong mark."""
    words, known = part.split(), word_list("address phrases")
    longest = min(len(words), known.longest)
    return any(known.knows(" ".join(words[:n])) for n in range(2, longest + 1))


_VOWELS = set("aeiouy")


def as_name(value: str, options: dict) -> str | None:
    value = collapse(re.sub(r"[^\w\s'’.-]|\d|_", " ", value))
    # A lone consonant is no Vietnamese syllable: a speck or a stroke read as a letter.
    words = [w.strip(".-'’") or w for w in value.split()]  # a leader's last dot is no letter
    words = [w.replace("Ð", "Đ").replace("ð", "đ") for w in words]  # the Icelandic eth, Đ's twin
    # no vowel, no syllable (ethnic minorities' names too: "Y Bih", "H'Hen"): a speck or a
    # stroke read as letters ("ĐNN A NHÂN")
    words = [w for w in words if w and w not in ".-'’"
             and not (len(w) == 1 and strip_accents(w).upper() in _CONSONANTS)
             and (len(w) == 1 or any(c in _VOWELS for c in strip_accents(w).lower()))]
    if not words or not any(c.isalpha() for c in value):
        return None
    # a name printed in capitals: words mostly in small letters at its ends are specks,
    # stains and label ends read as letters ("so e LÊ DIỆU NGỌC", "In NGUYỄN VĂN MINH
    # TOÀN", "Full ngưng" of "Full name"); a slip of case inside a word ("NGUYỄn") is not
    if sum(w.isupper() and len(w) > 1 for w in words) >= 2:
        while words and _mostly_small(words[0]):
            words = words[1:]
        while words and _mostly_small(words[-1]):
            words = words[:-1]
    words = [part for w in words for part in _unmerged(w)]
    words = [_unstuttered(w) for w in words]
    # OCR slips on marks (NGUYÊN, TRƯNG): mended only from names known, never on a tie
    words = [mend_word(w, word_list("surnames" if i == 0 else "names")) for i, w in enumerate(words)]
    return " ".join(words)


def _mostly_small(word: str) -> bool:
    return sum(c.islower() for c in word) >= sum(c.isupper() for c in word)


def _unstuttered(word: str) -> str:
    """A name word OCR read with one letter twice, once with a mark (DƯUNG, TRƯUNG): the
    one known name word left when one of the pair is taken out; an unknown word with no
    such fit, or more than one, is left as read."""
    known = word_list("names")
    if known.knows(word) or not word.isalpha():
        return word
    bare = fold(word)
    if len(bare) != len(word):  # folding merged letters: positions no longer line up
        return word
    doubled = [i for i in range(1, len(word)) if bare[i] == bare[i - 1]]
    fits = {cut for i in doubled for cut in (word[:i] + word[i + 1:], word[:i - 1] + word[i:])
            if known.knows(cut)}
    return fits.pop() if len(fits) == 1 else word


_CONSONANTS = set("BCDFGHJKLMNPQRSTVWXZ")
def _unmerged(word: str) -> list[str]:
    """A name word that cannot be one Vietnamese syllable (Vietnamese writes one syllable a
    word), split where both halves are known name words (THÀNHVIỆT: THÀNH VIỆT, KIMANH:
    KIM ANH); left as read when no split, or more than one, fits."""
    if is_syllable(word) or not word.isalpha():
        return [word]
    known = word_list("names").by_fold
    splits = [i for i in range(1, len(word)) if fold(word[:i]) in known and fold(word[i:]) in known]
    return [word[:splits[0]], word[splits[0]:]] if len(splits) == 1 else [word]


_NUMERIC_DATE = re.compile(rf"({_DIGITISH}{{1,2}})\s*[/.\-]\s*({_DIGITISH}{{1,2}})\s*[/.\-]\s*({_DIGITISH}{{4}})")
_WORDS_DATE = re.compile(r"ngay\s*(\w{1,2})\s*thang\s*(\w{1,2})\s*nam\s*(\w{4})")


def as_date(value: str, options: dict) -> str | None:
    found = _NUMERIC_DATE.search(value)
    parts = found.groups() if found else None
    if parts is None:
        words = _WORDS_DATE.search(fold(value))
        parts = words.groups() if words else None
    if parts is None:
        return None
    try:
        day, month, year = (int(digits(p)) for p in parts)
        return date(year, month, day).isoformat()
    except ValueError:  # not digits, or a date that does not exist
        return None


def as_year(value: str, options: dict) -> int | None:
    found = re.search(rf"(?<!\w)(1[89]|20){_DIGITISH}{{2}}(?!\w)", value) or re.search(r"\b\d{4}\b", value)
    if not found:
        return None
    text = digits(found.group(0))
    return int(text) if text.isdigit() else None


def as_sex(value: str, options: dict) -> str | None:
    word = fold(value).split()[0] if fold(value) else ""
    if word in ("nam", "male", "m"):
        return "Nam"
    if word in ("nu", "female", "f", "nir", "nii"):
        return "Nữ"
    first = value.split(maxsplit=1)[0].lower() if value.strip() else ""
    if len(first) == 2 and first[1] in "ữừửứự":  # "lữ", "Nử": the mark only Nữ has here
        return "Nữ"
    return snap(word, ["Nam", "Nữ"], 70)


def as_personal_id(value: str, options: dict) -> str | None:
    # twelve printed digits first: a letter before them ("D 0621…") is not taken for a
    # 0 at the cost of their last digit; never a window inside a longer number
    found = re.search(r"(?<!\d)\d(?:[\s.]?\d){11}(?![\s.]?\d)", value) or re.search(
        rf"(?<!\d){_DIGITISH}(?:[\s.]?{_DIGITISH}){{11}}(?![\s.]?\d)", value)
    if not found:
        return None
    text = re.sub(r"[\s.]", "", digits(found.group(0)))
    if text[:1] in _ROUND_DIGITS:  # every number opens with 0, its province code's (001-096)
        text = "0" + text[1:]
    return text if re.fullmatch(r"\d{12}", text) else None


_ROUND_DIGITS = set("689")  # read for a 0 in worn or blurred print


def mended_first_digit(raw: str, value: str) -> str | None:
    """The digit `as_personal_id` read where it put the ID's leading 0, or None if it did
    not (an O read for a 0 is the usual slip, no mend)."""
    printed = re.sub(r"[\s.]", "", digits(raw))
    rest = printed.find(value[1:])
    return printed[rest - 1] if value not in printed and rest >= 1 else None


def as_digits(value: str, options: dict) -> str | None:
    # a space inside a number ("1 15") is a gap in the print; before a word it ends the
    # number ("58 Quyển số" is 58, not 580 from a Q taken for a 0)
    found = re.match(rf"{_DIGITISH}+(?: \d+)*", value.strip())
    after = value.strip()[found.end():] if found else ""
    if re.match(_MISREAD_DIGIT, after) or re.match(r"[^\W\d_]", after):
        return None  # "10?", "2%", "4K6": a digit read as a sign or letter, not the end
    text = digits(found.group(0).replace(" ", "")) if found else ""
    return text if text.isdigit() else None


# right after a number's digits, a sign no number ends with
_MISREAD_DIGIT = re.compile(r"[^\w\s.,;:)…_\-–'\"]")


_SYMBOL = r"[A-ZĐ]{2,}(?:-[A-ZĐ]{2,})*"  # a paper's symbol: TLKS, XNTTHN, TLKS-BS
# a number and its symbol with the slash lost, or read as a speck: "147 TLKS", "208 'XNTTHN"
_SLASH_LOST = re.compile(rf"\s*({_DIGITISH}{{1,7}})(?:\s+|\s*[^\w\s/]\s*)({_SYMBOL})(?!\S)")


def as_register_number(value: str, options: dict) -> str | None:
    """Số of a civil-status paper as printed after "Số:": 198; 127/2021 (the Thông tư
    04/2020 forms: number/year); 305/TLKS-BS (an extract or a copy: number/its symbol). A
    slash followed by something else is unreadable, not a bare number."""
    found = re.match(rf"\s*({_DIGITISH}{{1,7}})\s*/\s*(\S+)", value) or _SLASH_LOST.match(value)
    if not found:
        return as_digits(value, options)
    number, rest = digits(found.group(1)), found.group(2).rstrip(".,;:")
    if not number.isdigit():
        return None
    if re.fullmatch(rf"{_DIGITISH}{{4}}", rest) and digits(rest).isdigit():
        return f"{number}/{digits(rest)}"
    if re.fullmatch(_SYMBOL, rest, re.IGNORECASE):
        return f"{number}/{rest.upper()}"
    return None


def as_book(value: str, options: dict) -> str | None:
    """Quyển số like 01/2023."""
    found = re.search(rf"({_DIGITISH}{{1,3}})\s*/\s*({_DIGITISH}{{4}})", value)
    if not found:
        return None
    text = f"{digits(found.group(1))}/{digits(found.group(2))}"
    return text if re.fullmatch(r"\d+/\d{4}", text) else None


def as_code(value: str, options: dict) -> str | None:
    """Fit the value to a mask: A = capital letter, 9 = digit, anything else printed as is."""
    mask = options["mask"]
    compact = strip_accents(re.sub(r"[\s.,]", "", value))  # codes are plain Latin: BÙ is BU
    slots = [c for c in mask if c in "A9"]
    if len(compact) < len(slots):
        return None
    out, chars = [], iter(compact[:len(slots)])
    for slot in mask:
        if slot not in "A9":
            out.append(slot)
            continue
        c = next(chars)
        c = c.translate(TO_DIGIT) if slot == "9" else c.translate(TO_LETTER).upper()
        if (slot == "9" and not c.isdigit()) or (slot == "A" and not c.isalpha()):
            return None
        out.append(c)
    return "".join(out)


def as_symbol(value: str, options: dict) -> str | None:
    """Số, ký hiệu of an administrative document: 511/QĐ-UBND (no spaces inside)."""
    # a speck after the slash ("1878 /!SYT-KT": ink of the handwritten number) is no letter
    found = re.search(rf"({_DIGITISH}+)\s*/\s*[^\w\s]?\s*([\wĐđ][\wĐđ\s\-]*)", value) or \
        _SLASH_LOST.match(value)
    if not found:
        return None
    number = digits(found.group(1))
    symbol = re.sub(r"\s*-\s*", "-", found.group(2)).split(" ")[0].strip("-")
    if not (number.isdigit() and symbol):
        return None
    # Capitals, as Nghị định 30 prints them, except its few mixed-case abbreviations (TTr
    # tờ trình, CTr chương trình...), which the rules list: "TTR" is a misreading of "TTr".
    mixed = {m.upper(): m for m in options.get("mixed_case", ())}
    parts = [mixed.get(part.upper(), part.upper()) for part in symbol.split("-")]
    return f"{number}/{'-'.join(parts)}"


def as_area(value: str, options: dict) -> float | None:
    """Square metres as printed in Vietnamese: 1.234,5 m² -> 1234.5."""
    found = re.search(r"\d[\d.,\s]*", value)
    if not found:
        return None
    text = found.group(0).replace(" ", "").rstrip(".,")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    try:
        return float(text)
    except ValueError:
        return None


def as_ethnic(value: str, options: dict) -> str | None:
    for group in reference("ethnic_groups")["groups"]:  # printed spelling kept when known
        if any(value.casefold() == v.casefold() for v in group):
            return next(v for v in group if v.casefold() == value.casefold())
    variants = {fold(v): group[0] for group in reference("ethnic_groups")["groups"] for v in group}
    hit = process.extractOne(fold(value), list(variants), scorer=fuzz.ratio, score_cutoff=75)
    return variants[hit[0]] if hit else None


def snap(value: str, choices: list[str], score: float) -> str | None:
    """The choice the value was meant to be, compared without accents or case."""
    folded = {fold(c): c for c in choices}
    hit = process.extractOne(fold(value), list(folded), scorer=fuzz.ratio, score_cutoff=score)
    return folded[hit[0]] if hit else None


KINDS = {"text": as_text, "name": as_name, "date": as_date, "year": as_year, "sex": as_sex,
         "personal_id": as_personal_id, "digits": as_digits,
         "register_number": as_register_number, "book": as_book, "code": as_code,
         "symbol": as_symbol, "area": as_area, "ethnic": as_ethnic}
