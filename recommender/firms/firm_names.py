"""Firm names folded for matching: one firm written two ways gets one key.

:func:`firm_name_key` folds a name: NFKC, case-folded, ``&`` read as ``and``, initials joined
(``S.A.`` is ``sa``), text in brackets dropped, split into words on anything but letters and
digits, Chinese legal endings (股份有限公司, 有限责任公司, 有限公司, 公司) cut from each word,
and the words of ``drop`` left out. By default ``drop`` is :data:`LEGAL_WORDS`, the legal
forms only (Inc, Corp, Co, Ltd, AG, GmbH, S.A., …): two firms whose names differ only in
those are the same firm. :func:`maker_key` also drops :data:`GENERIC_WORDS` (Holdings,
Group, Technologies, Electric, …), which finds a firm from the shorter name people use for it
but may join two firms of one family, so a match on it wants more evidence.
:func:`website_domain` reduces a website to its registered host.

>>> firm_name_key("ULVAC, Inc."), firm_name_key("Pfeiffer Vacuum Technology AG")
('ulvac', 'pfeiffer vacuum technology')
>>> maker_key("Texas Instruments Incorporated"), maker_key("Pfeiffer Vacuum Technology AG")
('texas instruments', 'pfeiffer vacuum')
>>> maker_key("ZLG (Guangzhou Zhiyuan Electronics)"), maker_key("Rohde & Schwarz GmbH & Co. KG")
('zlg', 'rohde and schwarz')
>>> firm_name_key("北方华创科技集团股份有限公司"), firm_name_key("Air Liquide S.A.")
('北方华创科技集团', 'air liquide')
>>> website_domain("https://www.Agilent.com/en/home"), website_domain("agilent.com")
('agilent.com', 'agilent.com')
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CHINESE_LEGAL_ENDINGS", "GENERIC_WORDS", "LEGAL_WORDS", "firm_name_key",
           "maker_key", "website_domain"]

LEGAL_WORDS = frozenset(
    "inc incorporated corp corporation co company ltd limited plc ag gmbh kg kgaa se sa nv bv "
    "kk llc lp spa ab oyj oy asa sas sarl srl bhd tbk pte pty jsc pjsc".split())
"""Legal forms: words that say how a firm is incorporated, not which firm it is."""
GENERIC_WORDS = LEGAL_WORDS | frozenset(
    "holding holdings group the technologies technology international electric industries"
    .split())
"""Legal forms and the generic words that firms often leave out of their own short name."""
CHINESE_LEGAL_ENDINGS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")
"""Chinese legal endings, longest first."""

_BRACKETS = re.compile(r"\([^)]*\)")
_INITIALS = re.compile(r"\b(\w)\.(?=\w\b)")
_WORD = re.compile(r"[^\W_]+")
_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\d?\.)?([^/?#:\s]+)")


def _cut_chinese_ending(word: str) -> str:
    for ending in CHINESE_LEGAL_ENDINGS:
        if word.endswith(ending):  # a word that is only a legal ending folds to nothing
            return word[:-len(ending)]
    return word


def firm_name_key(name, *, drop: frozenset[str] = LEGAL_WORDS) -> str:
    """Fold a firm name to the words that identify it (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold().replace("&", " and ")
    text = _INITIALS.sub(r"\1", _INITIALS.sub(r"\1", text))
    words = [_cut_chinese_ending(w) for w in _WORD.findall(_BRACKETS.sub(" ", text))]
    kept = [w for w in words if w and w not in drop]
    while kept and kept[-1] == "and":  # "GmbH & Co. KG" leaves a dangling "and"
        kept.pop()
    return " ".join(kept)


def maker_key(name) -> str:
    """Fold a firm name without its legal forms and :data:`GENERIC_WORDS`."""
    return firm_name_key(name, drop=GENERIC_WORDS)


def website_domain(url) -> str | None:
    """Return a website's host without scheme, ``www.``, port or path; None when empty."""
    if url is None or not isinstance(url, str) or not url.strip():
        return None
    found = _HOST.match(url.strip().casefold())
    return found.group(1).rstrip(".") if found else None
