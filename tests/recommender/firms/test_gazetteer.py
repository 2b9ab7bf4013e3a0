"""The gazetteer: ranking of candidate places, quirks of real names, Chinese names, fallbacks."""

import pytest

from recommender.firms.gazetteer import Gazetteer, GeoResult
from recommender.firms.geocode import haversine_km


def where(result: GeoResult):
    return result.city, result.country, result.quality


# --- ranking, on a hand-written gazetteer -------------------------------------------------
def test_gazetteer_builds_on_first_use(tiny_places):
    consumed = []

    class Records:
        def __iter__(self):
            consumed.append(True)
            return iter(tiny_places)

    gazetteer = Gazetteer(Records())
    assert consumed == []
    assert gazetteer.build() is gazetteer
    gazetteer.resolve("Berlin")
    gazetteer.resolve("Alpha")
    assert consumed == [True]


@pytest.mark.parametrize(
    ("country", "province", "lat"),
    [("GB", None, 52.20), ("US", None, 42.38), ("United States", "Ohio", 40.03),
     ("US", "OH", 40.03), (None, None, 52.20), (None, "MA", 42.38)],
)
def test_ambiguity_prefers_country_then_province_then_population(tiny, country, province, lat):
    result = tiny.resolve("Cambridge", country, province)
    assert (result.city, result.lat, result.quality) == ("Cambridge", lat, "exact")


def test_a_known_province_is_a_strict_hint(tiny):
    result = tiny.resolve("Cambridge", "US", "Texas")
    assert (result.city, result.province, result.quality) == (None, "Texas", "country")


def test_an_unknown_province_is_only_a_preference(tiny):
    assert where(tiny.resolve("Cambridge", "US", "Cambridgeshire")) == ("Cambridge", "US", "exact")


def test_a_known_province_names_the_country(tiny):
    result = tiny.resolve("Cambridge", None, "Massachusetts")
    assert (result.country, result.lat) == ("US", 42.38)


def test_canonical_name_beats_a_larger_place_with_that_alternate_name(tiny):
    assert where(tiny.resolve("Alpha", "DE")) == ("Alpha", "DE", "exact")
    assert where(tiny.resolve("Betastadt")) == ("Beta", "DE", "alias")


def test_unknown_city_falls_back_to_the_capital(tiny):
    result = tiny.resolve("Qwertyville", "DE")
    assert result == GeoResult(52.52, 13.40, None, None, "DE", "country")
    assert tiny.resolve(None, "Germany") == result


def test_city_found_only_in_another_country_is_not_taken(tiny):
    assert tiny.resolve("Berlin", "GB").quality == "country"


@pytest.mark.parametrize(("city", "country"), [("Qwertyville", None), ("", None), (None, None),
                                               ("  ", "Atlantis"), ("Qwertyville", "FR")])
def test_unresolved(tiny, city, country):
    result = tiny.resolve(city, country)
    assert result.quality == "unresolved"
    assert result.lat is None and result.lon is None and result.city is None


# --- quirks, on the real gazetteer --------------------------------------------------------
@pytest.mark.parametrize(
    ("city", "country", "expected"),
    [("Hsinchu City", "TW", "Hsinchu"), ("Taipei City", "TW", "Taipei"),
     ("Taichung City", "Taiwan", "Taichung"), ("Shenzhen City", "CN", "Shenzhen"),
     ("Miaoli County", "TW", "Miaoli"), ("Haidian District", "CN", "Haidian"),
     ("Fukuoka City", "JP", "Fukuoka"), ("Iksan-si", "KR", "Iksan"),
     ("Pudong New Area", "CN", "Pudong"), ("City of Luxembourg", "LU", "Luxembourg")],
)
def test_quirk_suffix_words(gaz, city, country, expected):
    assert where(gaz.resolve(city, country))[0::2] == (expected, "alias")


def test_quirk_canonical_name_with_suffix_is_exact(gaz):
    assert where(gaz.resolve("New Taipei City", "TW")) == ("New Taipei City", "TW", "exact")


@pytest.mark.parametrize(
    ("city", "expected"),
    [("深圳市", "Shenzhen"), ("昆山市", "Kunshan"), ("海淀区", "Haidian"), ("长沙县", "Changsha"),
     ("浦东新区", "Pudong")],
)
def test_quirk_chinese_suffix_characters(gaz, city, expected):
    assert where(gaz.resolve(city)) == (expected, "CN", "alias")


@pytest.mark.parametrize(
    ("city", "country", "expected"),
    [("MalmÃ¶", "SE", "Malmö"), ("ZÃ¼rich", "CH", "Zürich"), ("GÃ¶teborg", "SE", "Gothenburg"),
     ("Maâ\x80\x99anshan", "CN", "Ma'anshan"), ("TÃ¡oyuÃ¡n", "TW", "Taoyuan")],
)
def test_quirk_mis_decoded_utf8(gaz, city, country, expected):
    assert where(gaz.resolve(city, country)) == (expected, country, "alias")


@pytest.mark.parametrize(
    "district",
    ["Kwun Tong", "Tsuen Wan", "Sha Tin", "Kowloon", "Wan Chai", "Wanchai", "Central",
     "Kwai Chung", "Tai Po", "Yuen Long", "Tuen Mun", "Quarry Bay", "Tsim Sha Tsui",
     "Causeway Bay", "Admiralty", "观塘", "九龍"],
)
def test_quirk_hong_kong_districts(gaz, district):
    result = gaz.resolve(district, "HK")
    assert where(result) == ("Hong Kong", "HK", "alias")
    assert haversine_km(result.lat, result.lon, 22.32, 114.17) < 30


def test_quirk_hong_kong_district_under_china_or_no_country(gaz):
    assert where(gaz.resolve("Kwun Tong", "CN")) == ("Hong Kong", "HK", "alias")
    assert where(gaz.resolve("Tsim Sha Tsui")) == ("Hong Kong", "HK", "alias")


@pytest.mark.parametrize(("city", "country", "expected"),
                         [("Malmo", "SE", "Malmö"), ("malmö", None, "Malmö"),
                          ("Zurich", "CH", "Zürich"), ("SAO PAULO", "BR", "São Paulo"),
                          ("Dusseldorf", "DE", "Düsseldorf")])
def test_quirk_diacritics_insensitive(gaz, city, country, expected):
    result = gaz.resolve(city, country)
    assert (result.city, result.quality) == (expected, "exact")


@pytest.mark.parametrize("city", ["St. Louis", "St Louis", "Saint Louis", "saint-louis"])
def test_quirk_saint(gaz, city):
    result = gaz.resolve(city, "US", "MO")
    assert (result.city, result.province, result.quality) == ("St. Louis", "Missouri", "exact")


# --- Chinese names ------------------------------------------------------------------------
GUANGDONG = [
    ("广州", "Guangzhou"), ("深圳", "Shenzhen"), ("珠海", "Zhuhai"), ("汕头", "Shantou"),
    ("佛山", "Foshan"), ("韶关", "Shaoguan"), ("湛江", "Zhanjiang"), ("肇庆", "Zhaoqing"),
    ("江门", "Jiangmen"), ("茂名", "Maoming"), ("惠州", "Huizhou"), ("梅州", "Meizhou"),
    ("汕尾", "Shanwei"), ("河源", "Heyuan"), ("阳江", "Yangjiang"), ("清远", "Qingyuan"),
    ("东莞", "Dongguan"), ("中山", "Zhongshan"), ("潮州", "Chaozhou"), ("揭阳", "Jieyang"),
    ("云浮", "Yunfu"),
]
CAPITALS = [
    ("北京", "Beijing", "Beijing"), ("天津", "Tianjin", "Tianjin"),
    ("上海", "Shanghai", "Shanghai"),
    ("重庆", "Chongqing", "Chongqing"), ("石家庄", "Shijiazhuang", "Hebei"),
    ("太原", "Taiyuan", "Shanxi"), ("呼和浩特", "Hohhot", "Inner Mongolia"),
    ("沈阳", "Shenyang", "Liaoning"), ("长春", "Changchun", "Jilin"),
    ("哈尔滨", "Harbin", "Heilongjiang"), ("南京", "Nanjing", "Jiangsu"),
    ("杭州", "Hangzhou", "Zhejiang"), ("合肥", "Hefei", "Anhui"), ("福州", "Fuzhou", "Fujian"),
    ("南昌", "Nanchang", "Jiangxi"), ("济南", "Jinan", "Shandong"), ("郑州", "Zhengzhou", "Henan"),
    ("武汉", "Wuhan", "Hubei"), ("长沙", "Changsha", "Hunan"), ("广州", "Guangzhou", "Guangdong"),
    ("南宁", "Nanning", "Guangxi"), ("海口", "Haikou", "Hainan"), ("成都", "Chengdu", "Sichuan"),
    ("贵阳", "Guiyang", "Guizhou"), ("昆明", "Kunming", "Yunnan"), ("拉萨", "Lhasa", "Tibet"),
    ("西安", "Xi'an", "Shaanxi"), ("兰州", "Lanzhou", "Gansu"), ("西宁", "Xining", "Qinghai"),
    ("银川", "Yinchuan", "Ningxia"), ("乌鲁木齐", "Urumqi", "Xinjiang"),
]


@pytest.mark.parametrize(("zh", "en"), GUANGDONG)
@pytest.mark.parametrize("suffix", ["", "市"])
def test_guangdong_cities_from_chinese(gaz, zh, en, suffix):
    result = gaz.resolve(zh + suffix)
    assert (result.city, result.province, result.country, result.quality) == (
        en, "Guangdong", "CN", "alias")
    assert 20.0 < result.lat < 26.0 and 109.0 < result.lon < 118.0


@pytest.mark.parametrize(("zh", "en", "province"), CAPITALS)
def test_provincial_capitals_from_chinese(gaz, zh, en, province):
    result = gaz.resolve(zh + "市", "中国")
    assert (result.city, result.province, result.country) == (en, province, "CN")


@pytest.mark.parametrize(("city", "lat", "lon"),
                         [("深圳", 22.55, 114.07), ("广州市", 23.12, 113.25),
                          ("北京", 39.91, 116.40), ("上海市", 31.22, 121.46)])
def test_chinese_city_coordinates(gaz, city, lat, lon):
    result = gaz.resolve(city)
    assert haversine_km(result.lat, result.lon, lat, lon) < 20


@pytest.mark.parametrize(
    ("city", "country", "expected"),
    [("台北市", None, ("Taipei", "TW")), ("新竹市", "TW", ("Hsinchu", "TW")),
     ("香港", None, ("Hong Kong", "HK")), ("澳门", "CN", ("Macau", "MO")),
     ("東京", "JP", ("Tokyo", "JP")), ("台州市", None, ("Taizhou", "CN"))],
)
def test_other_chinese_script_names(gaz, city, country, expected):
    assert where(gaz.resolve(city, country))[:2] == expected


def test_chinese_name_with_another_country_falls_back(gaz):
    assert gaz.resolve("深圳市", "US").quality == "country"


def test_address_resolves_to_its_city(gaz):
    result = gaz.resolve("广东省佛山市顺德区北滘镇")
    assert (result.city, result.province, result.quality) == ("Foshan", "Guangdong", "alias")


# --- ambiguity and fallbacks, on the real gazetteer ---------------------------------------
@pytest.mark.parametrize(("country", "province", "expected"),
                         [("GB", None, (None, "GB")), ("US", None, ("Massachusetts", "US")),
                          (None, None, (None, "GB"))])
def test_cambridge(gaz, country, province, expected):
    result = gaz.resolve("Cambridge", country, province)
    assert (result.province, result.country) == expected


@pytest.mark.parametrize(("province", "expected"),
                         [("Maine", "Maine"), ("OR", "Oregon"), (None, "Oregon")])
def test_province_hint(gaz, province, expected):
    assert gaz.resolve("Portland", "US", province).province == expected


@pytest.mark.parametrize(("province", "expected"),
                         [("Zhejiang", "Zhejiang"), ("浙江省", "Zhejiang"),
                          ("Jiangsu Province", "Jiangsu")])
def test_chinese_province_hint(gaz, province, expected):
    assert gaz.resolve("Taizhou", "CN", province).province == expected


def test_country_fallback_is_the_capital(gaz):
    result = gaz.resolve("Grand Cayman", "KY")
    assert (result.city, result.country, result.quality) == (None, "KY", "country")
    assert haversine_km(result.lat, result.lon, 19.29, -81.37) < 10


@pytest.mark.parametrize(("city", "country", "province"),
                         [("Suzhou", "CN", "Zhejiang"), (None, None, "浙江省"),
                          ("Qwertyville", "China", "Zhejiang Province")])
def test_known_chinese_province_falls_back_to_its_capital(gaz, city, country, province):
    result = gaz.resolve(city, country, province)
    assert (result.city, result.province, result.country, result.quality) == (
        None, "Zhejiang", "CN", "country")
    assert haversine_km(result.lat, result.lon, 30.29, 120.16) < 10  # Hangzhou


def test_province_as_city_falls_back_to_the_provincial_capital(gaz):
    result = gaz.resolve("Jiangsu", "CN")
    assert (result.city, result.province, result.quality) == (None, "Jiangsu", "country")
    assert haversine_km(result.lat, result.lon, 32.06, 118.78) < 10  # Nanjing


def test_city_states(gaz):
    assert where(gaz.resolve("Jurong West", "SG")) == ("Singapore", "SG", "alias")
    assert where(gaz.resolve("Singapore")) == ("Singapore", "SG", "exact")
