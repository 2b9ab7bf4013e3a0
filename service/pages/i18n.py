"""The pages' UI strings in Chinese (the default) and English.

The strings live in ``service/pages/strings/*.toml``, one file per area of the pages
(``common.toml`` for what every page shows), each entry ``key = { zh = "…", en = "…" }``, so
that a translator edits data, not code. A key defined twice, or an entry without both
languages, stops the service at start-up with the file and key named.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "STRINGS", "STRINGS_DIR", "load_strings", "translate"]

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
