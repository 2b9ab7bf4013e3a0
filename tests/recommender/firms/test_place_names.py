"""Place names: mojibake repaired, lookup keys, and the variants tried when a name fails."""

import pytest

from recommender.firms.place_names import fix_mojibake, key_variants, name_key, text_or_none


@pytest.mark.parametrize(
    ("text", "fixed"),
    [("MalmÃ¶", "Malmö"), ("ZÃ¼rich", "Zürich"), ("Marcy l'Ã\x89toile", "Marcy l'Étoile"),
     ("Xiâ€™an", "Xi’an"), ("Zürich", "Zürich"), ("Malmö", "Malmö"), ("Ãx", "Ãx"),
     ("Shenzhen", "Shenzhen")],
)
def test_fix_mojibake(text, fixed):
    assert fix_mojibake(text) == fixed


def test_name_key():
    assert name_key("St. Gallen") == name_key("Saint-Gallen") == "saintgallen"
    assert name_key("Hsin-Chu") == name_key("Hsinchu") == "hsinchu"
    assert name_key("Xi’an") == name_key("Xi'an") == "xian"
    assert name_key("Malmö") == "malmo" and name_key("Østerbro") == "osterbro"


@pytest.mark.parametrize(("name", "keys"), [
    ("Hsinchu City", [("hsinchucity", False), ("hsinchu", True)]),
    ("City of Luxembourg", [("cityofluxembourg", False), ("luxembourg", True)]),
    ("North Billerica", [("northbillerica", False), ("billerica", True)]),
    ("Suzhou (Jiangsu)", [("suzhoujiangsu", False), ("suzhou", True)]),
    ("Berlin", [("berlin", False)]),
])
def test_key_variants_try_the_full_name_first(name, keys):
    assert key_variants(name) == keys


@pytest.mark.parametrize(("value", "text"), [(" Lund ", "Lund"), ("", None), ("  ", None),
                                             (None, None), (float("nan"), None), (7, "7")])
def test_text_or_none(value, text):
    assert text_or_none(value) == text
