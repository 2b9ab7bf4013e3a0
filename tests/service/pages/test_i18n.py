"""The UI strings: one table from the per-area TOML files, every key in both languages."""

from __future__ import annotations

import pytest

from service.pages.i18n import LANGUAGES, STRINGS, load_strings, translate


def test_every_string_has_both_languages():
    assert STRINGS and all(set(entry) == set(LANGUAGES) for entry in STRINGS.values())
    assert translate("dashboard", "zh") == "产业数据驾驶舱"
    assert translate("dashboard", "fr") == "产业数据驾驶舱"  # unknown language: Chinese


def test_a_key_defined_twice_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('x = { zh = "甲", en = "a" }\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('x = { zh = "乙", en = "b" }\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"b.toml: UI string 'x' is already defined in a.toml"):
        load_strings(tmp_path)


@pytest.mark.parametrize("entry", ['{ zh = "甲" }', '{ zh = "甲", en = "" }', '"plain"'])
def test_an_entry_without_both_languages_is_refused(tmp_path, entry):
    (tmp_path / "a.toml").write_text(f"x = {entry}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a non-empty text"):
        load_strings(tmp_path)
