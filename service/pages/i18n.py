"""The pages' UI strings in Chinese (the default) and English.

The strings live in ``service/pages/strings/*.toml``, one file per area of the pages
(``common.toml`` for what every page shows), each entry ``key = { zh = "…", en = "…" }``, so
that a translator edits data, not code. A key defined twice, or an entry without both
languages, stops the service at start-up with the file and key named.

What the data holds is shown in the page's language too: countries and regions
(:func:`country_text`, :func:`country_menu`: Hong Kong, Macao and Taiwan under China), cities
(:func:`city_text`), where a row came from (:func:`source_text`), a park's data note
(:func:`note_text`), the model (:func:`model_text`) and the messages of a refused form or
query (:func:`message_text`: the API's English messages in the page's language).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "MESSAGES",
    "NOTE_CLAUSES",
    "STRINGS",
    "STRINGS_DIR",
    "city_text",
    "country_menu",
    "country_text",
    "data_helpers",
    "load_strings",
    "message_text",
    "model_text",
    "note_text",
    "source_text",
    "text_lang",
    "translate",
]

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
STRINGS_DIR = Path(__file__).with_name("strings")


def load_strings(directory: Path = STRINGS_DIR) -> dict[str, dict[str, str]]:
    """Read every ``*.toml`` of ``directory`` into one ``{key: {lang: text}}`` table.

    Raises ``ValueError`` naming the file and key of a duplicate or incomplete entry.
    """
    strings: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            table = tomllib.load(handle)
        for key, entry in table.items():
            if key in strings:
                raise ValueError(f"{path.name}: UI string {key!r} is already defined in "
                                 f"{origin[key]}")
            if not isinstance(entry, dict) or any(
                    not isinstance(entry.get(lang), str) or not entry[lang]
                    for lang in LANGUAGES):
                raise ValueError(f"{path.name}: UI string {key!r} needs a non-empty text in "
                                 f"each of {', '.join(LANGUAGES)}")
            strings[key] = {lang: entry[lang] for lang in LANGUAGES}
            origin[key] = path.name
    return strings


STRINGS: dict[str, dict[str, str]] = load_strings()


def translate(key: str, lang: str) -> str:
    """Return the UI string ``key`` in ``lang`` (the key itself when there is none).

    >>> translate("logout", "en"), translate("logout", "zh"), translate("nope", "en")
    ('Log out', '退出', 'nope')
    """
    entry = STRINGS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


# --- what the data holds, in the page's language ------------------------------------------------
def country_text(code, lang: str) -> str:
    """A country or region (ISO code or name) as China writes it in ``lang``; "" for none.

    >>> country_text("TW", "zh"), country_text("DE", "en"), country_text(None, "zh")
    ('中国台湾', 'Germany', '')
    """
    from recommender.firms.countries import display_name

    return "" if code is None or code == "" else display_name(code, lang)


def country_menu(codes, lang: str) -> list[dict]:
    """The countries of ``codes`` for a menu or filter: China and its regions first, grouped
    (:func:`recommender.firms.countries.country_choices`)."""
    from recommender.firms.countries import country_choices

    return country_choices(codes, lang)


def city_text(city, country, lang: str) -> str:
    """A city as people read it in ``lang`` (:func:`recommender.firms.city_names.city_name`).

    >>> city_text("Munich", "DE", "zh"), city_text("深圳市", "CN", "en")
    ('慕尼黑', 'Shenzhen')
    """
    from recommender.firms.city_names import city_name

    return city_name(city, country, lang)


def source_text(source, lang: str) -> str | None:
    """Where a row came from in words (``synthetic``: 合成数据), or None for a source with no
    words (a file's name, shown as it is).

    >>> source_text("synthetic", "zh"), source_text("reference", "en"), source_text("a.csv", "zh")
    ('合成数据', 'public reference data', None)
    """
    key = f"source_{source}"
    return translate(key, lang) if key in STRINGS else None


def model_text(version, lang: str) -> str:
    """The model a score came from: the prior (先验模型) in words, a trained model by version.

    >>> model_text("prior", "zh"), model_text("v-3f2a", "zh")
    ('先验模型', 'v-3f2a')
    """
    return translate("model_prior", lang) if version in (None, "", "prior") else str(version)


# A park's data note: its clauses (";"-separated) and the words each is shown in; a detail in
# brackets (where it was placed, the document that names it) is left out.
NOTE_CLAUSES = (
    (re.compile(r"^name and location: public knowledge, coordinates approximate$"),
     "note_public_location"),
    (re.compile(r"^tenants: head-office addresses in public company filings$"), "note_tenants"),
    (re.compile(r"^capacity, rent and incentives illustrative$"), "note_illustrative"),
)


def note_text(note, lang: str) -> str:
    """A park's data note in ``lang``: each known clause in words; in zh an unknown clause
    only when it is written in Chinese.

    >>> note_text("name and location: public knowledge, coordinates approximate (named in "
    ...           "DOMAIN.md); capacity, rent and incentives illustrative", "zh")
    '名称与位置为公开信息，坐标为近似位置；容量、租金与优惠政策为示意数据'
    >>> note_text("tenants: head-office addresses in public company filings", "en")
    'Tenants by the head-office addresses in public company filings'
    """
    if note is None or not str(note).strip():
        return ""
    shown = []
    for clause in _top_level(str(note), ";"):
        plain = re.sub(r"\s*\([^()]*\)", "", clause).strip().rstrip(".")
        key = next((key for pattern, key in NOTE_CLAUSES if pattern.match(plain)), None)
        if key is not None:
            shown.append(translate(key, lang))
        elif lang != "zh" or _CHINESE.search(plain):
            shown.append(plain)
    text = ("；" if lang == "zh" else "; ").join(part for part in shown if part)
    return text[:1].upper() + text[1:]


def _top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [part.strip() for part in [*parts, text[start:]] if part.strip()]


# The API's and marshmallow's messages a page shows, as patterns; each named group fills the
# same name in the key's text.
MESSAGES = (
    (r"Missing data for required field\.", "msg_required"),
    (r"Field may not be null\.", "msg_required"),
    (r"Not a valid integer\.", "msg_integer"),
    (r"Not a valid number\.", "msg_number"),
    (r"Not a valid date\.", "msg_date"),
    (r"Not a valid (?:string|boolean)\.", "msg_invalid"),
    (r"Unknown field\.", "msg_unknown_field"),
    (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
     "msg_range"),
    (r"Must be greater than or equal to (?P<min>\S+)\.", "msg_min"),
    (r"Must be less than or equal to (?P<max>\S+)\.", "msg_max"),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", "msg_length"),
    (r"Longer than maximum length (?P<max>\d+)\.", "msg_length_max"),
    (r"Shorter than minimum length (?P<min>\d+)\.", "msg_length_min"),
    (r"Must be one of: (?P<choices>.*)\.", "msg_one_of"),
    (r"an outcome cannot be dated after (?P<date>[\d-]+)", "msg_outcome_future"),
    (r"(?:'[^']*' is )?not a node of the chain", "msg_not_a_node"),
    (r"unknown stage .*", "msg_unknown_stage"),
    (r".*; retry in (?P<seconds>\d+) s", "msg_retry"),
    # why the target list has fewer than K firms (recommender.targeting.portfolio)
    (r"picked (?P<n>\d+) of k=(?P<k>\d+): there are no candidates", "msg_short_none"),
    (r"picked (?P<n>\d+) of k=(?P<k>\d+): no weak link has a positive weight",
     "msg_short_no_weight"),
    (r"picked (?P<n>\d+) of k=(?P<k>\d+): only (?P<able>\d+) candidate firm\(s\) can add "
     r"coverage \(p > 0 on a weighted link, not excluded; (?P<excluded>\d+) excluded\)",
     "msg_short_able"),
    (r"picked (?P<n>\d+) of k=(?P<k>\d+): the cap of (?P<cap>\d+) firm\(s\) per home country "
     r"allows at most (?P<feasible>\d+) from the (?P<countries>\d+) countries of the "
     r"candidates", "msg_short_cap"),
    (r"picked (?P<n>\d+) of k=(?P<k>\d+): the other candidates add no further expected "
     r"coverage", "msg_short_no_gain"),
)
_MESSAGES = tuple((re.compile(pattern), key) for pattern, key in MESSAGES)
_CHINESE = re.compile(r"[\u3400-\u9fff]")


def message_text(message, lang: str) -> str:
    """A message of the API or of marshmallow, as a page in ``lang`` shows it; a message with
    no words of its own is "this field is invalid" in Chinese, as given in English.

    >>> message_text("Must be greater than or equal to 0 and less than or equal to 4.", "zh")
    '须在 0 到 4 之间。'
    >>> message_text("an outcome cannot be dated after 2026-12-08", "en")
    'An outcome cannot be dated after 2026-12-08.'
    """
    text = str(message).strip()
    for pattern, key in _MESSAGES:
        found = pattern.fullmatch(text)
        if found:
            return translate(key, lang).format(**found.groupdict())
    if lang == "zh" and not _CHINESE.search(text):
        return translate("msg_invalid", lang)
    return text


def text_lang(text) -> str:
    """The language of a free text of the data (a business scope, keyword evidence), as an
    HTML ``lang`` value: ``zh-CN`` when it holds Chinese, else ``en``.

    >>> text_lang("示波器、信号分析仪"), text_lang("oscilloscopes")
    ('zh-CN', 'en')
    """
    return "zh-CN" if text is not None and _CHINESE.search(str(text)) else "en"


def data_helpers(lang: str) -> dict:
    """The templates' helpers that show what the data holds in ``lang``: ``country_text``,
    ``country_menu``, ``city_text(city, country)``, ``source_text``, ``note_text``,
    ``model_text``, ``message_text``, ``text_lang``, and ``size_text``, ``size_band`` and
    ``size_choices(counts)`` (:mod:`recommender.firms.sizes`: 大型, 中型, 小型, 微型)."""
    from recommender.firms import sizes

    return {"country_text": lambda code: country_text(code, lang),
            "country_menu": lambda codes: country_menu(codes, lang),
            "city_text": lambda city, country=None: city_text(city, country, lang),
            "source_text": lambda source: source_text(source, lang),
            "note_text": lambda note: note_text(note, lang),
            "model_text": lambda version: model_text(version, lang),
            "message_text": lambda message: message_text(message, lang),
            "text_lang": text_lang,
            "size_text": lambda size_class: sizes.size_word(size_class, lang),
            "size_band": lambda size_class: sizes.size_band(size_class, lang),
            "size_choices": lambda counts=None: sizes.size_choices(lang, counts)}
