"""How place names are compared: mojibake repaired, lookup keys, and the variants to try.

Two spellings of a place name match when their keys match: :func:`name_key` drops case,
accents, spaces and punctuation and writes out "St."/"Mt."/"Ft.", so "St. Gallen" and
"Saint-Gallen" meet, as do "Hsin-Chu" and "Hsinchu". When a full name fails,
:func:`key_variants` tries it without a trailing kind word ("Hsinchu City", "Seongnam-si"),
without a leading "City of", or without a direction ("North Billerica"), and says that such a
match is a quirk fix. Text that was UTF-8 decoded as Latin-1 is repaired first
(:func:`fix_mojibake`).

>>> name_key("St. Gallen") == name_key("Saint-Gallen"), key_variants("Hsinchu City")
(True, [('hsinchucity', False), ('hsinchu', True)])
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "alias_keys",
    "fix_mojibake",
    "has_cjk",
    "key_variants",
    "name_key",
    "name_words",
    "text_or_none",
]

# Words after a place name that name its kind (English, Chinese pinyin, Japanese, Korean);
# "Hsinchu City" -> "Hsinchu", "Seongnam-si" -> "Seongnam". Tried only when the full name fails.
_KIND_WORDS = frozenset(
    "city county district township town village municipality prefecture metropolitan area "
    "new shi qu xian zhen xiang ku gun cho machi mura si gu eup myeon dong".split())
_DIRECTIONS = frozenset("north south east west central upper lower greater pusat selatan utara "
                        "barat timur nord sud ost".split())
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_ABBREVIATED = frozenset(_ABBREVIATIONS)
_NO_DECOMPOSITION = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe",
                                   "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                                   "ð": "d", "þ": "th", "ı": "i", "’": "", "'": "", "`": "",
                                   "ʻ": "", "ʼ": ""})
_WORD = re.compile(r"[^\W_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_MOJIBAKE_HINT = re.compile(r"[ÂÃâÅÄ][\x80-\xbf\u0152-\u2122]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1 or cp1252 ("MalmÃ¶" -> "Malmö").

    The text is re-encoded and decoded as UTF-8 only where that yields valid text, so
    correct names pass through unchanged.

    Examples
    --------
    >>> fix_mojibake("ZÃ¼rich"), fix_mojibake("Zürich")
    ('Zürich', 'Zürich')
    """
    for _ in range(2):  # some text was mis-decoded twice
        if text.isascii() or not _MOJIBAKE_HINT.search(text):
            return text
        for codec in ("cp1252", "latin-1"):
            try:
                fixed = text.encode(codec).decode("utf-8")
            except UnicodeError:
                continue
            break
        else:
            return text
        text = fixed
    return text


def name_words(text: str) -> list[str]:
    """Return a name's words: case-folded, without accents or apostrophes, "St" as "saint"."""
    if text.isascii():
        text = text.replace("'", "").replace("`", "")
    else:
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION)))
    words = _WORD.findall(text.casefold())
    if _ABBREVIATED.isdisjoint(words):
        return words
    return [_ABBREVIATIONS.get(w, w) for w in words]


def name_key(text: str) -> str:
    """Return the lookup key of a place name: no case, accents, spaces or punctuation.

    "St." and "Saint" give the same key, as do "Hsin-Chu" and "Hsinchu".

    Examples
    --------
    >>> name_key("St. Gallen") == name_key("Saint-Gallen"), name_key("Malmö")
    (True, 'malmo')
    """
    return "".join(name_words(text))


def key_variants(text: str) -> list[tuple[str, bool]]:
    """Return the keys to try for a Latin-script name, each with whether it is a quirk fix."""
    out = [(name_key(text), False)]
    head = re.split(r"[,(（/]", text, maxsplit=1)[0]
    if head.strip() and head != text:
        out.append((name_key(head), True))
    words = name_words(head)
    if words and words[:2] == ["city", "of"] and len(words) > 2:
        words = words[2:]
        out.append(("".join(words), True))
    while len(words) > 1 and words[-1] in _KIND_WORDS:
        words = words[:-1]
        out.append(("".join(words), True))
    # last resort, a part of a city named as the city: "North Billerica", "Jakarta Selatan"
    if len(words) > 1 and words[0] in _DIRECTIONS:
        out.append(("".join(words[1:]), True))
    if len(words) > 1 and words[-1] in _DIRECTIONS:
        out.append(("".join(words[:-1]), True))
    seen: set[str] = set()
    return [(k, q) for k, q in out if k and not (k in seen or seen.add(k))]


def text_or_none(value) -> str | None:
    """Return a value as stripped text, or None when it is missing or blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def alias_keys(words: list[str], *, full: bool = False) -> tuple[str, ...]:
    """Return the keys of a name's words: whole (if ``full``) and without a kind word."""
    keys = ("".join(words),) if full else ()
    if len(words) > 1 and words[-1] in _KIND_WORDS:  # "Fukui-shi", "Huangyan Qu"
        keys += ("".join(words[:-1]),)
    return keys


def has_cjk(text: str) -> bool:
    """Tell whether a text holds Chinese characters (CJK unified ideographs)."""
    return _CJK.search(text) is not None
