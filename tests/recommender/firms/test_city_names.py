"""City names as people read them: every city of the product's data has a Chinese name."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender.firms.city_names import CITY_NAMES_ZH, city_name, city_names
from recommender.paths import data_dir


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _data_cities() -> list[tuple[str, str]]:
    """(country, city) of the reference firms, the demo world's hubs and the region's cities."""
    from recommender.demo.universe import CITIES

    firms = pd.read_csv(data_dir() / "firms" / "reference_firms.csv", usecols=["country", "city"])
    pairs = set(firms.dropna().itertuples(index=False, name=None))
    pairs |= {(country, entry.split("|")[0].replace("_", " "))
              for country, text in CITIES.items() for entry in text.split()}
    region = pd.read_csv(data_dir() / "regions" / "guangdong" / "cities.csv")
    pairs |= {("CN", name) for name in region["name_en"]}
    return sorted(pairs)


def test_every_city_of_the_data_has_a_chinese_name_and_keeps_its_english_one():
    cities = _data_cities()
    assert len(cities) > 150
    missing = [pair for pair in cities if not _has_chinese(city_name(pair[1], pair[0], "zh"))]
    assert missing == []
    renamed = [pair for pair in cities if city_name(pair[1], pair[0], "en") != pair[1]]
    assert renamed == []


@pytest.mark.parametrize(("city", "country", "zh", "en"), [
    ("Shenzhen", "CN", "深圳", "Shenzhen"),  # the divisions table, not GeoNames' 宝安
    ("深圳市", "CN", "深圳", "Shenzhen"),
    ("深圳", None, "深圳", "Shenzhen"),
    ("Foshan", "China", "佛山", "Foshan"),
    ("Suzhou", "CN", "苏州", "Suzhou"),
    ("New Taipei City", "TW", "新北", "New Taipei"),
    ("Hsinchu", "TW", "新竹", "Hsinchu"),
    ("Hong Kong", "HK", "香港", "Hong Kong"),
    ("Hamamatsu", "JP", "滨松", "Hamamatsu"),  # Chinese, not the Japanese 浜松
    ("San Diego", "US", "圣迭戈", "San Diego"),  # mainland usage, not 聖地牙哥
    ("Cambridge", "GB", "剑桥", "Cambridge"),
    ("Cambridge", "US", "坎布里奇", "Cambridge"),
    ("St. Louis", "US", "圣路易斯", "St. Louis"),
    ("Saint Louis", "US", "圣路易斯", "St. Louis"),
    ("Lübeck", "DE", "吕贝克", "Lübeck"),
])
def test_city_name(city, country, zh, en):
    assert city_name(city, country, "zh") == zh
    assert city_name(city, country, "en") == en


def test_a_city_it_does_not_know_is_shown_as_given():
    assert city_name(" Springfield ", "US", "zh") == "Springfield"
    assert city_name("Cambridge", "AU", "zh") == "Cambridge"  # known elsewhere only
    assert city_name(None, "US") == "" and city_name(float("nan"), "US") == ""


def test_the_table_names_each_city_once_per_country():
    for country, text in CITY_NAMES_ZH.items():
        english = [entry.split("=")[0].strip() for entry in text.split(";")]
        assert len(english) == len(set(english)), country
        assert all(_has_chinese(entry.split("=")[1]) for entry in text.split(";")), country
    assert ("CN", "shenzhen") in city_names()
