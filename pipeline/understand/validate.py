"""Validation: the type's JSON Schema, then the domain's cross-field checks named in its
rules (personal ID against birth date and sex, date order, ethnic group, nothing in the
future), and a person's name that does not start with a family name. Messages are Vietnamese, for the clerk who reviews the document.
"""
from __future__ import annotations

import re
from datetime import date

from jsonschema import Draft202012Validator, FormatChecker

from pipeline.core.text import fold
from pipeline.understand.doctypes import DocumentType, reference
from pipeline.understand.normalize import snap
from pipeline.understand.places import dashed, register


def validate(doc_type: DocumentType, fields: dict, today: date | None = None) -> list[dict]:
    errors = []
    validator = Draft202012Validator(doc_type.schema, format_checker=FormatChecker())
    name = doc_type.display_name
    for error in validator.iter_errors(fields):
        if error.validator == "required":  # a field not read: understand() says which
            continue
        key = str(error.path[0]) if error.path else ""
        errors.append({"field": key, "message": _schema_message(name(key), error)})

    for check in doc_type.checks:
        errors += CHECKS[check["check"]](fields, check, name)
    errors += _not_in_future(doc_type, fields, today or date.today())
    errors += _names_without_a_family_name(doc_type, fields)
    errors += _places_no_province_has(doc_type, fields)
    errors += _units_the_register_lacks(doc_type, fields)
    return _unique(errors)


# what follows each "tỉnh" of the value's last part ("Hà Tĩnh", "Sơn Tịnh" hold one too)
_AFTER_TINH = re.compile(r"(?<!\S)tinh\s+(?=(\S.*)$)")


def _places_no_province_has(doc_type: DocumentType, fields: dict) -> list[dict]:
    """"… MÔI TRƯỜNG TỈNH GIÁM" (the province lost under a seal, a word of the signer's
    title in its place), "…, phường Bình" (a wrapped address cut at its line's end): a
    place's or body's value whose "tỉnh …" names no province, or an address (rule option `address`) that
    does not end in one, is not what is printed. Not an error in the value: a reason not
    to trust it unseen."""
    provinces = register().provinces
    errors = []
    for rule in _naming_places(doc_type):
        value = fields.get(rule.key)
        if not isinstance(value, str):
            continue
        folded = fold(value)
        tails = [m.group(1) for m in _AFTER_TINH.finditer(fold(value.rsplit(",", 1)[-1]))]
        named = not tails or any(t.startswith(p) for t in tails for p in provinces)
        ends = not rule.options.get("address") or any(
            folded == p or folded.endswith(" " + p) for p in provinces)
        if not (named and ends):
            errors.append({"field": rule.key, "message": f"{doc_type.display_name(rule.key)}: "
                           f"“{value}” không kết thúc bằng tên một tỉnh, thành phố (có thể "
                           "thiếu hoặc đọc sai), cần đối chiếu bản giấy."})
    return errors


# the unit words before a name the register holds; "tỉnh" only ends the name before it
# (provinces are _places_no_province_has's)
_UNIT_WORD = re.compile(r"(?<!\w)(thành phố|thị xã|thị trấn|huyện|quận|phường|xã|tỉnh)(?!\w)",
                        re.IGNORECASE)


def _units_the_register_lacks(doc_type: DocumentType, fields: dict) -> list[dict]:
    """"xã Tân, huyện Trùng Khánh" (the commune's second word lost at 96): a unit word
    followed by a name no administrative unit has, in an address or a body's name (rule
    option `places` or `units`), was not read as printed. Names the register no longer
    holds here (units merged, renamed) are still names some unit has, so old papers pass.
    A value that stops at "THÀNH" or "THỊ" with no unit word before it ("SỞ TÀI NGUYÊN VÀ
    MÔI TRƯỜNG THÀNH": "PHỐ HÀ NỘI" wrapped onto a row not read) lost its place's name.
    ("HUYỆN LONG THÀNH" ends in a name, after its unit word.)"""
    provinces = register().provinces  # "thành phố Đà Nẵng" is one
    names = register().names
    errors = []
    for rule in _naming_places(doc_type):
        value = fields.get(rule.key)
        if not isinstance(value, str):
            continue
        for part in re.split(r"[,;()]", value):
            pieces = _UNIT_WORD.split(part)  # text, unit, name, unit, name, ...
            for unit, name in zip(pieces[1::2], pieces[2::2]):
                name = name.strip(" .-")
                if unit.casefold() != "tỉnh" and name and dashed(name) not in names \
                        and fold(name) not in provinces:
                    errors.append({"field": rule.key, "message": f"{doc_type.display_name(rule.key)}: "
                                   f"không có đơn vị hành chính nào tên “{name}” (có thể thiếu chữ "
                                   "hoặc đọc sai), cần đối chiếu bản giấy."})
        last = re.split(r"[,;()]", value)[-1]
        if len(_UNIT_WORD.split(last)) == 1 and fold(last).split()[-1:] in (["thanh"], ["thi"]):
            errors.append({"field": rule.key, "message": f"{doc_type.display_name(rule.key)}: "
                           f"“{value}” dừng ở chữ đầu của “thành phố”, “thị xã” (tên địa danh "
                           "sau đó không đọc được), cần đối chiếu bản giấy."})
    return errors


def _naming_places(doc_type: DocumentType) -> list:
    """The rules whose values name places: addresses and places (option `places`), bodies
    named after their area (option `units`). Free text is not held to the register: "Tình
    hình …" opens a subject, folded it reads like "tỉnh"."""
    return [r for r in doc_type.fields if r.options.get("places") or r.options.get("units")]


def _names_without_a_family_name(doc_type: DocumentType, fields: dict) -> list[dict]:
    """A person's name read without a known family name first ("Thế Khoa" under a
    signature's tail, "BẢO NHUNG"), or with one mostly met as a middle name ("Văn Công
    Phong"), has most likely lost its first word; a rarer family name is worth a look too.
    So is a name of fewer than three words, unless its peoples' names often have two (reference "surnames": two_word_names): a Kinh name so short is
    rare (Lê Lợi), one that lost a word under a seal or a signature is not ("Kim Uyên" of
    Trần Kim Uyên). Not an error in the name: a reason not to trust it unseen."""
    surnames = {fold(s) for s in reference("surnames")["surnames"]}
    # folded, H'Nhi is two words ("h nhi"), as Ksor H'Nhi is three
    whole_in_two = [fold(s) + " " for s in reference("surnames")["two_word_names"]]
    middle = {fold(s) for s in reference("surnames")["mostly_middle_names"]}
    errors = []
    for rule in doc_type.fields:
        value = fields.get(rule.key)
        if rule.kind != "name" or not isinstance(value, str) or not value.split():
            continue
        words = fold(value).split()
        if (words[0] not in surnames and " ".join(words[:2]) not in surnames) or words[0] in middle:
            errors.append({"field": rule.key, "message": f"{doc_type.display_name(rule.key)}: "
                           f"“{value}” không bắt đầu bằng một họ thường gặp (có thể thiếu chữ "
                           "đầu), cần đối chiếu bản giấy."})
        elif len(words) < 3 and not any(" ".join(words).startswith(w) for w in whole_in_two):
            errors.append({"field": rule.key, "message": f"{doc_type.display_name(rule.key)}: "
                           f"“{value}” chỉ có {len(words)} chữ (có thể thiếu chữ đầu hoặc chữ "
                           "cuối), cần đối chiếu bản giấy."})
    return errors


def _schema_message(name: str, error) -> str:
    if error.validator in ("pattern", "format"):
        return f"{name}: giá trị “{error.instance}” không đúng định dạng."
    if error.validator == "enum":
        return f"{name}: giá trị “{error.instance}” không nằm trong danh mục cho phép."
    if error.validator == "additionalProperties":
        return "Có trường không thuộc loại giấy tờ này."
    return f"{name}: giá trị không hợp lệ."


def check_personal_id(fields: dict, check: dict, name) -> list[dict]:
    """Số định danh: province code, century/sex digit, birth-year digits (no check digit)."""
    key = check["id"]
    pid = fields.get(key)
    if not pid:
        return []
    where = name(key)
    if pid[:3] not in reference("provinces")["codes"]:
        return [{"field": key, "message": f"Mã tỉnh “{pid[:3]}” trong {where} không tồn tại."}]
    errors = []
    born = fields.get(check.get("birth", ""))
    sex = fields.get(check.get("sex", "")) or check.get("sex_value")
    century_sex = int(pid[3])
    if born:
        year = int(str(born)[:4])
        century = (year - 1900) // 100
        if century_sex // 2 != century:
            errors.append({"field": key, "message": f"Chữ số thứ 4 của {where} không khớp với thế kỷ của năm sinh {year}."})
        if pid[4:6] != f"{year % 100:02d}":
            errors.append({"field": key, "message": f"Chữ số thứ 5-6 của {where} ({pid[4:6]}) không khớp với năm sinh {year}."})
    if sex in ("Nam", "Nữ") and century_sex % 2 != (sex == "Nữ"):
        errors.append({"field": key, "message": f"Chữ số thứ 4 của {where} không khớp với giới tính {sex}."})
    return errors


def check_date_order(fields: dict, check: dict, name) -> list[dict]:
    present = [(k, _as_date(fields[k])) for k in check["fields"] if fields.get(k) is not None]
    errors = []
    for (earlier, a), (later, b) in zip(present, present[1:]):
        if a and b and a > b:
            errors.append({"field": later, "message": f"{name(later)} ({fields[later]}) sớm hơn "
                           f"{name(earlier).lower()} ({fields[earlier]}), không hợp lý."})
    return errors


def check_ethnic_group(fields: dict, check: dict, name) -> list[dict]:
    key = check["field"]
    value = fields.get(key)
    names = [v for group in reference("ethnic_groups")["groups"] for v in group]
    if value and value not in names and not snap(value, names, 95):
        return [{"field": key, "message": f"Dân tộc “{value}” không thuộc 54 dân tộc Việt Nam."}]
    return []


def check_expiry_at_age(fields: dict, check: dict, name) -> list[dict]:
    """An identity card runs to the holder's birthday at one of the renewal ages (Luật Căn
    cước 2023 Điều 21: 25, 40, 60), so a misread expiry or birth date shows up here."""
    born, expires = _as_date(fields.get(check["birth"])), _as_date(fields.get(check["expiry"]))
    if not (born and expires) or isinstance(fields.get(check["expiry"]), int):
        return []
    if (expires.month, expires.day) != (born.month, born.day) or \
            expires.year - born.year not in check.get("ages", (25, 40, 60)):
        return [{"field": check["expiry"], "message": f"{name(check['expiry'])} ({fields[check['expiry']]}) "
                 f"không khớp với {name(check['birth']).lower()} ({fields[check['birth']]}): thẻ hết hạn "
                 f"vào ngày sinh nhật ở tuổi {', '.join(map(str, check.get('ages', (25, 40, 60))))}."}]
    return []


def _not_in_future(doc_type: DocumentType, fields: dict, today: date) -> list[dict]:
    errors = []
    for key, value in fields.items():
        if doc_type.schema["properties"].get(key, {}).get("format") != "date" or key == "co_gia_tri_den":
            continue
        when = _as_date(value)
        if when and when > today:
            errors.append({"field": key, "message": f"{doc_type.display_name(key)} ở tương lai ({value})."})
    return errors


def _as_date(value) -> date | None:
    if isinstance(value, int):  # a year
        return date(value, 12, 31)
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _unique(errors: list[dict]) -> list[dict]:
    seen, out = set(), []
    for e in errors:
        if (e["field"], e["message"]) not in seen:
            seen.add((e["field"], e["message"]))
            out.append(e)
    return out


SIGNING_FOR = {"kt", "tm", "tl", "tuq", "q"}  # KT., TM., TL., TUQ., Q. folded


def check_known_start(fields: dict, check: dict, name) -> list[dict]:
    """A signer's title or a body's name that begins with none of the reference list's
    heads ("signer_titles", "agency_heads"): most often its start was lost under the seal
    or the signature, or to a stain ("TỊCH" of PHÓ CHỦ TỊCH, "TẾ" of SỞ Y TẾ)."""
    key = check["field"]
    value = fields.get(key)
    heads = [fold(h) for h in reference(check["reference"])["heads"]]
    words = fold(value).split() if isinstance(value, str) else []
    while words and words[0] in SIGNING_FOR:  # "KT. PHÓ CHỦ TỊCH" read as one title
        words = words[1:]
    if value and not any(f"{' '.join(words)} ".startswith(h + " ") for h in heads):
        return [{"field": key, "message": f"{name(key)}: “{value}” không bắt đầu như những tên "
                 "thường gặp (có thể thiếu chữ đầu), cần đối chiếu bản giấy."}]
    return []


CHECKS = {"personal_id": check_personal_id, "date_order": check_date_order,
          "ethnic_group": check_ethnic_group, "expiry_at_age": check_expiry_at_age,
          "known_start": check_known_start}
