"""The synthetic universe of the demo world: who the firms are, where, how large, in which nodes.

A share :data:`LOCAL_SHARE` of the synthetic firms are the region's own cluster: Chinese
firms in its cities, their segment by China's strengths. For the others, the world's makers,
the primary node comes first: its segment from the world's segment weights
(:func:`segment_shares`, the country mix :data:`COUNTRIES` times each country's strengths),
the node uniform within the segment; the home country follows where that product is made
(:func:`node_country_probabilities`, from the chain's country-mix table in ``data/chains/``),
the city that country's instrument hubs outside the region (:data:`CITIES`). Then its
profile (size, revenue, age, growth, R&D, patents, listing, footprint; the median size larger
in a node's leading countries) from :func:`draw_profiles`, its presence in China and in the
Greater Bay Area from :func:`draw_presence`, and its 1-3 chain nodes from
:func:`assign_nodes`. Size classes are revenue bands (:data:`SIZE_BOUNDS_MUSD`). Every
figure is documented in ``data/README.md`` ("The synthetic generator"); the texts of the
firms are in :mod:`recommender.demo.texts`.

>>> table = country_table()
>>> table.loc[0, "country"], round(float(table["share"].sum()), 3)
('CN', 1.0)
>>> mix = pd.DataFrame({"node_id": ["a"], "country": ["DE"], "share": [0.5]})
>>> p = node_country_probabilities(mix, ["a", "b"], ["DE", "US", "JP"], [0.2, 0.5, 0.3])
>>> p.round(3).tolist()
[[0.5, 0.312, 0.187], [0.2, 0.5, 0.3]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.demo.chain_index import ChainIndex
from recommender.demo.latent import common_language

__all__ = [
    "CITIES", "COUNTRIES", "COUNTRY_STRENGTHS", "DOWNSTREAM_WEIGHT", "GEO_JITTER_DEG",
    "INDUSTRY_CODES", "LOCAL_SHARE", "LOCAL_SHARE_CN", "N_NODES_P", "PROFILE_YEAR", "RD_MEDIAN",
    "RD_SIGMA", "REGION_CITY_WEIGHTS", "SECOND_NODE_P", "SEGMENT_WEIGHTS", "SIZE_BOUNDS_MUSD",
    "assign_nodes", "city_table", "country_table", "draw_category", "draw_presence",
    "draw_profiles", "node_country_probabilities", "region_province", "segment_probabilities",
    "segment_shares",
]

PROFILE_YEAR = 2025  # the profiles describe the firms as of this year
SIZE_BOUNDS_MUSD = (2.0, 10.0, 50.0, 500.0, 5000.0)  # revenue upper bounds of the first five
LOCAL_SHARE_CN = 0.25  # weight of the region's own cities among the Chinese hubs
LOCAL_SHARE = 0.35 * LOCAL_SHARE_CN  # share of synthetic firms in the region's own cluster
GEO_JITTER_DEG = 0.06  # firms scatter around their city centre (about 7 km)

# country, share of all firms, revenue per employee (million USD)
COUNTRIES = [
    ("CN", .350, .11), ("US", .155, .30), ("JP", .105, .28), ("DE", .082, .27),
    ("TW", .050, .18), ("KR", .040, .22), ("GB", .032, .25), ("FR", .022, .24),
    ("CH", .020, .35), ("IT", .018, .22), ("IN", .016, .05), ("HK", .012, .20),
    ("NL", .012, .27), ("SE", .012, .26), ("IL", .012, .25), ("CA", .012, .25),
    ("SG", .010, .30), ("AT", .007, .25), ("ES", .007, .20), ("AU", .007, .25),
    ("DK", .006, .30), ("FI", .005, .25), ("BE", .005, .25), ("MY", .003, .08),
]

# instrument hubs: country -> "city|城市|province|lat|lon|weight" (real city centres)
CITIES = {
    "CN": "Shanghai|上海|Shanghai|31.2304|121.4737|14 Beijing|北京|Beijing|39.9042|116.4074|12 "
          "Suzhou|苏州|Jiangsu|31.2990|120.5853|9 Hangzhou|杭州|Zhejiang|30.2741|120.1551|7 "
          "Nanjing|南京|Jiangsu|32.0603|118.7969|6 Wuxi|无锡|Jiangsu|31.4912|120.3119|5 "
          "Changzhou|常州|Jiangsu|31.8107|119.9741|4 Ningbo|宁波|Zhejiang|29.8683|121.5440|4 "
          "Wuhan|武汉|Hubei|30.5928|114.3055|5 Chengdu|成都|Sichuan|30.5728|104.0668|5 "
          "Xi'an|西安|Shaanxi|34.3416|108.9398|4 Tianjin|天津|Tianjin|39.3434|117.3616|4 "
          "Hefei|合肥|Anhui|31.8206|117.2272|4 Changsha|长沙|Hunan|28.2282|112.9388|3 "
          "Qingdao|青岛|Shandong|36.0671|120.3826|3 Jinan|济南|Shandong|36.6512|117.1201|2 "
          "Xiamen|厦门|Fujian|24.4798|118.0894|3 Fuzhou|福州|Fujian|26.0745|119.2965|2 "
          "Chongqing|重庆|Chongqing|29.5630|106.5516|3 Shenyang|沈阳|Liaoning|41.8057|123.4315|2 "
          "Dalian|大连|Liaoning|38.9140|121.6147|2 Zhengzhou|郑州|Henan|34.7466|113.6254|2 "
          "Harbin|哈尔滨|Heilongjiang|45.8038|126.5350|1",
    "HK": "Hong_Kong|香港|Hong_Kong|22.3193|114.1694|1",
    "TW": "Taipei|台北|Taipei|25.0330|121.5654|30 Hsinchu|新竹|Hsinchu|24.8138|120.9675|25 "
          "Taoyuan|桃园|Taoyuan|24.9936|121.3010|15 Taichung|台中|Taichung|24.1477|120.6736|15 "
          "Tainan|台南|Tainan|22.9999|120.2270|8 Kaohsiung|高雄|Kaohsiung|22.6273|120.3014|7",
    "US": "Boston||Massachusetts|42.3601|-71.0589|14 San_Jose||California|37.3382|-121.8863|14 "
          "San_Diego||California|32.7157|-117.1611|8 Los_Angeles||California|34.0522|-118.2437|7 "
          "Austin||Texas|30.2672|-97.7431|6 Houston||Texas|29.7604|-95.3698|5 "
          "Chicago||Illinois|41.8781|-87.6298|6 Minneapolis||Minnesota|44.9778|-93.2650|6 "
          "Portland||Oregon|45.5152|-122.6784|5 Pittsburgh||Pennsylvania|40.4406|-79.9959|5 "
          "Raleigh||North_Carolina|35.7796|-78.6382|5 New_York||New_York|40.7128|-74.0060|6 "
          "Seattle||Washington|47.6062|-122.3321|5 Denver||Colorado|39.7392|-104.9903|4",
    "JP": "Tokyo||Tokyo|35.6762|139.6503|32 Osaka||Osaka|34.6937|135.5023|14 "
          "Kyoto||Kyoto|35.0116|135.7681|12 Yokohama||Kanagawa|35.4437|139.6380|10 "
          "Kawasaki||Kanagawa|35.5308|139.7029|7 Nagoya||Aichi|35.1815|136.9066|10 "
          "Hamamatsu||Shizuoka|34.7108|137.7261|6 Fukuoka||Fukuoka|33.5904|130.4017|4 "
          "Sendai||Miyagi|38.2682|140.8694|5",
    "DE": "Munich||Bavaria|48.1351|11.5820|20 Stuttgart||Baden-Württemberg|48.7758|9.1829|15 "
          "Berlin||Berlin|52.5200|13.4050|12 Jena||Thuringia|50.9271|11.5892|8 "
          "Hamburg||Hamburg|53.5511|9.9937|8 Frankfurt||Hesse|50.1109|8.6821|8 "
          "Karlsruhe||Baden-Württemberg|49.0069|8.4037|7 Erlangen||Bavaria|49.5897|11.0078|6 "
          "Dresden||Saxony|51.0504|13.7373|8 Aachen||North_Rhine-Westphalia|50.7753|6.0839|8",
    "KR": "Seoul||Seoul|37.5665|126.9780|35 Suwon||Gyeonggi|37.2636|127.0286|20 "
          "Seongnam||Gyeonggi|37.4200|127.1265|15 Incheon||Incheon|37.4563|126.7052|10 "
          "Daejeon||Daejeon|36.3504|127.3845|12 Busan||Busan|35.1796|129.0756|8",
    "GB": "London||England|51.5074|-0.1278|30 Cambridge||England|52.2053|0.1218|20 "
          "Oxford||England|51.7520|-1.2577|15 Manchester||England|53.4808|-2.2426|12 "
          "Bristol||England|51.4545|-2.5879|10 Edinburgh||Scotland|55.9533|-3.1883|13",
    "FR": "Paris||Île-de-France|48.8566|2.3522|45 Grenoble||Auvergne-Rhône-Alpes|45.1885|5.7245|20 "
          "Lyon||Auvergne-Rhône-Alpes|45.7640|4.8357|20 Toulouse||Occitanie|43.6047|1.4442|15",
    "CH": "Zurich||Zurich|47.3769|8.5417|40 Basel||Basel-Stadt|47.5596|7.5886|25 "
          "Geneva||Geneva|46.2044|6.1432|20 Bern||Bern|46.9480|7.4474|15",
    "IT": "Milan||Lombardy|45.4642|9.1900|45 Turin||Piedmont|45.0703|7.6869|20 "
          "Bologna||Emilia-Romagna|44.4949|11.3426|20 Rome||Lazio|41.9028|12.4964|15",
    "IN": "Bengaluru||Karnataka|12.9716|77.5946|30 Pune||Maharashtra|18.5204|73.8567|20 "
          "Mumbai||Maharashtra|19.0760|72.8777|20 Hyderabad||Telangana|17.3850|78.4867|15 "
          "Chennai||Tamil_Nadu|13.0827|80.2707|15",
    "NL": "Eindhoven||North_Brabant|51.4416|5.4697|45 Amsterdam||North_Holland|52.3676|4.9041|30 "
          "Delft||South_Holland|52.0116|4.3571|25",
    "SE": "Stockholm||Stockholm|59.3293|18.0686|50 Gothenburg||Västra_Götaland|57.7089|11.9746|30 "
          "Lund||Skåne|55.7047|13.1910|20",
    "IL": "Tel_Aviv||Tel_Aviv|32.0853|34.7818|50 Haifa||Haifa|32.7940|34.9896|30 "
          "Jerusalem||Jerusalem|31.7683|35.2137|20",
    "CA": "Toronto||Ontario|43.6532|-79.3832|40 Montreal||Quebec|45.5017|-73.5673|25 "
          "Vancouver||British_Columbia|49.2827|-123.1207|20 Ottawa||Ontario|45.4215|-75.6972|15",
    "SG": "Singapore||Singapore|1.3521|103.8198|1",
    "AT": "Vienna||Vienna|48.2082|16.3738|60 Graz||Styria|47.0707|15.4395|40",
    "ES": "Barcelona||Catalonia|41.3874|2.1686|55 Madrid||Madrid|40.4168|-3.7038|45",
    "AU": "Sydney||New_South_Wales|-33.8688|151.2093|55 Melbourne||Victoria|-37.8136|144.9631|45",
    "DK": "Copenhagen||Capital_Region|55.6761|12.5683|1",
    "FI": "Helsinki||Uusimaa|60.1699|24.9384|60 Espoo||Uusimaa|60.2055|24.6559|40",
    "BE": "Brussels||Brussels|50.8503|4.3517|50 Leuven||Flemish_Brabant|50.8798|4.7005|50",
    "MY": "George_Town||Penang|5.4141|100.3288|60 Kuala_Lumpur||Kuala_Lumpur|3.1390|101.6869|40",
}
# weights of the region's own cities for local firms; any other city of the region gets 0.5
REGION_CITY_WEIGHTS = {"Shenzhen": 32, "Guangzhou": 22, "Dongguan": 14, "Foshan": 9,
                       "Zhongshan": 5, "Zhuhai": 5, "Huizhou": 3, "Jiangmen": 2, "Zhaoqing": 1.5,
                       "Shantou": 1.5}

# segment weights of the world (first row) and each country's multipliers (1 where absent)
SEGMENT_WEIGHTS = {
    "optics_photonics": 1.0, "electronic_components": 1.0, "vacuum_motion": 0.9, "sensors": 0.9,
    "materials": 0.6, "machining_equipment": 0.6, "instrument_parts": 0.5,
    "industrial_measurement_control": 0.9, "electrical_measurement": 0.8,
    "scientific_analysis": 0.9, "medical_diagnosis": 1.0, "special_detection": 0.8,
    "optical_instruments": 0.6, "applications": 0.7,
}
COUNTRY_STRENGTHS = {
    "CN": {"electrical_measurement": 1.8, "medical_diagnosis": 1.5, "instrument_parts": 2.5,
           "materials": 1.3, "machining_equipment": 1.2, "sensors": 1.2, "applications": 1.3,
           "industrial_measurement_control": 1.3, "optics_photonics": 0.8,
           "electronic_components": 0.5, "vacuum_motion": 0.5, "scientific_analysis": 0.6},
    "US": {"electronic_components": 2.0, "scientific_analysis": 2.0, "medical_diagnosis": 1.8,
           "electrical_measurement": 1.3, "special_detection": 1.3},
    "JP": {"optics_photonics": 1.8, "vacuum_motion": 1.8, "optical_instruments": 1.8,
           "sensors": 1.3, "scientific_analysis": 1.3, "machining_equipment": 1.5},
    "DE": {"optics_photonics": 1.6, "vacuum_motion": 1.8, "machining_equipment": 1.8,
           "optical_instruments": 1.8, "industrial_measurement_control": 1.5,
           "medical_diagnosis": 1.2, "special_detection": 1.3},
    "TW": {"electronic_components": 2.5, "special_detection": 1.5, "optics_photonics": 1.3,
           "applications": 1.3},
    "KR": {"electronic_components": 2.0, "special_detection": 1.3, "medical_diagnosis": 1.2},
    "GB": {"scientific_analysis": 1.6, "vacuum_motion": 1.3, "special_detection": 1.2},
    "CH": {"scientific_analysis": 1.6, "industrial_measurement_control": 1.8, "sensors": 1.5,
           "vacuum_motion": 1.3},
    "FR": {"optics_photonics": 1.3, "medical_diagnosis": 1.3, "materials": 1.3},
    "NL": {"medical_diagnosis": 1.6, "special_detection": 1.5, "optics_photonics": 1.2},
    "IT": {"machining_equipment": 1.6, "industrial_measurement_control": 1.3,
           "medical_diagnosis": 1.2},
    "SG": {"electronic_components": 1.5, "special_detection": 1.2},
    "IL": {"optics_photonics": 1.5, "medical_diagnosis": 1.4, "electronic_components": 1.3},
    "SE": {"medical_diagnosis": 1.3, "sensors": 1.3},
    "IN": {"instrument_parts": 1.5, "applications": 1.5},
    "CA": {"optics_photonics": 1.3, "medical_diagnosis": 1.2},
    "HK": {"electronic_components": 1.3, "instrument_parts": 1.5, "electrical_measurement": 1.2},
}
DOWNSTREAM_WEIGHT = 0.7  # applied to segments of the downstream stage not listed above
# median R&D intensity by segment (0.06 where absent); log-normal spread RD_SIGMA
RD_MEDIAN = {"electronic_components": .14, "scientific_analysis": .11, "medical_diagnosis": .10,
             "optics_photonics": .09, "electrical_measurement": .10, "special_detection": .09,
             "sensors": .08, "optical_instruments": .08, "materials": .04,
             "machining_equipment": .04, "instrument_parts": .03, "applications": .03}
RD_SIGMA = 0.55
# GB/T 4754-2017 class by segment (downstream nodes by node)
INDUSTRY_CODES = {
    "optics_photonics": "3976", "electronic_components": "3973", "vacuum_motion": "3441",
    "sensors": "3983", "materials": "3073", "machining_equipment": "3421",
    "instrument_parts": "4090", "industrial_measurement_control": "4011",
    "electrical_measurement": "4012", "scientific_analysis": "4014",
    "medical_diagnosis": "3581", "special_detection": "4021", "optical_instruments": "4040",
    "healthcare": "3589", "life_sciences": "7340", "semiconductors_electronics": "3973",
    "environmental_monitoring": "7461", "food_drug_safety": "7452",
    "new_energy_batteries": "3841", "industrial_automation": "3491",
    "research_institutes": "7320", "metrology_standards": "7454",
}
N_NODES_P = (0.50, 0.32, 0.18)  # a firm is active in 1, 2 or 3 nodes
SECOND_NODE_P = (0.55, 0.35, 0.10)  # further nodes: same segment, chain neighbour, anywhere


# --- tables ---------------------------------------------------------------------------------

def country_table() -> pd.DataFrame:
    """Return the country mix: country, share, revenue per employee (million USD)."""
    return pd.DataFrame(COUNTRIES, columns=[C.COUNTRY, "share", "revenue_per_employee"])


def region_province(region) -> str:
    """The first-level division of the region's cities (its English name)."""
    return str(getattr(region, "province", None) or getattr(region, "name_en", "Guangdong"))


def city_table(region=None) -> pd.DataFrame:
    """Return the hubs: country, city, name_zh, province, lat, lon, weight, local, in_gba.

    With a region, its own cities are added as Chinese hubs with ``local`` True; their weights
    within China add up to ``LOCAL_SHARE_CN``.
    """
    rows = []
    for country, text in CITIES.items():
        for entry in text.split():
            city, zh, province, lat, lon, weight = entry.replace("_", " ").split("|")
            rows.append((country, city, zh or None, province, float(lat), float(lon),
                         float(weight), False, country == "HK"))
    table = pd.DataFrame(rows, columns=[C.COUNTRY, C.CITY, C.NAME_ZH, C.PROVINCE, C.LAT, C.LON,
                                        "weight", "local", C.IN_GBA])
    cn = table[C.COUNTRY] == "CN"
    if region is None or region.cities.empty:
        return table
    table.loc[cn, "weight"] *= (1 - LOCAL_SHARE_CN) / table.loc[cn, "weight"].sum()
    rc = region.cities
    weight = rc[C.CITY_NAME_EN].map(REGION_CITY_WEIGHTS).fillna(0.5).to_numpy(float)
    local = pd.DataFrame({
        C.COUNTRY: "CN", C.CITY: rc[C.CITY_NAME_EN].to_numpy(), C.NAME_ZH: rc[C.CITY_NAME_ZH],
        C.PROVINCE: region_province(region),
        C.LAT: rc[C.LAT].to_numpy(float), C.LON: rc[C.LON].to_numpy(float),
        "weight": weight * LOCAL_SHARE_CN / weight.sum(), "local": True,
        C.IN_GBA: rc[C.IN_GBA].fillna(False).to_numpy(bool),
    })
    return pd.concat([table, local], ignore_index=True)


def segment_probabilities(countries, segments, stages) -> np.ndarray:
    """Return a (country x segment) matrix of probabilities of a firm's primary segment."""
    base = np.array([SEGMENT_WEIGHTS.get(s, DOWNSTREAM_WEIGHT if st == "downstream" else 0.8)
                     for s, st in zip(segments, stages, strict=True)])
    m = np.array([[base[j] * COUNTRY_STRENGTHS.get(c, {}).get(s, 1.0)
                   for j, s in enumerate(segments)] for c in countries])
    return m / m.sum(axis=1, keepdims=True)


def segment_shares(countries, shares, segments, stages) -> np.ndarray:
    """World share of each segment among firms' primary segments: the country mix times each
    country's segment probabilities (:func:`segment_probabilities`)."""
    return np.asarray(shares, float) @ segment_probabilities(countries, segments, stages)


def node_country_probabilities(mix: pd.DataFrame, node_ids, countries, shares) -> np.ndarray:
    """Return a (node x country) matrix: the home country of a firm whose primary node it is.

    ``mix`` has rows ``node_id``, ``country``, ``share`` (the chain's country-mix table): a
    node's listed countries take their share, and what the listed shares leave is spread over
    the node's other countries by their world ``shares``. A node without rows takes the world
    shares; countries not in ``countries`` are ignored.
    """
    world = np.asarray(shares, float) / np.sum(shares)
    out = np.tile(world, (len(node_ids), 1))
    node_at = pd.Index(list(node_ids)).get_indexer(mix[C.NODE_ID])
    country_at = pd.Index(list(countries)).get_indexer(mix[C.COUNTRY])
    keep = (node_at >= 0) & (country_at >= 0)
    given = np.full(out.shape, np.nan)
    given[node_at[keep], country_at[keep]] = mix["share"].to_numpy(float)[keep]
    listed = ~np.isnan(given)
    for v in np.flatnonzero(listed.any(axis=1)):
        rest = np.where(listed[v], 0.0, world)
        left = max(1.0 - given[v, listed[v]].sum(), 0.0)
        out[v] = np.where(listed[v], given[v], left * rest / max(rest.sum(), 1e-12))
    return out / out.sum(axis=1, keepdims=True)


def draw_category(rng, cum: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Draw one column per row from cumulative probabilities (rows select the row of ``cum``)."""
    cum = cum if rows is None else cum[rows]
    u = rng.random(cum.shape[0])[:, None]
    return np.minimum((cum < u).sum(axis=1), cum.shape[1] - 1)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- firm profiles --------------------------------------------------------------------------

def draw_profiles(rng, revenue_per_employee: np.ndarray, rd_median: np.ndarray,
                  cn: np.ndarray, *, log_emp_mu: float = np.log(55),
                  log_emp_sigma: float = 1.6) -> dict[str, np.ndarray]:
    """Draw size, age, growth, R&D, patents, listing and footprint (documented in data/README).

    The first three arguments hold one value per firm (its country's revenue per employee,
    its segment's median R&D intensity, whether it is Chinese).
    """
    n = len(cn)
    emp = np.clip(np.round(np.exp(rng.normal(log_emp_mu, log_emp_sigma, n))), 2, 350_000)
    le = np.log10(emp)
    revenue = np.round(emp * revenue_per_employee * np.exp(rng.normal(0, 0.45, n)), 3)
    revenue = np.maximum(revenue, 0.01)
    age = 1 + rng.gamma(1.8, (3 + 3.5 * le) * np.where(cn, 0.6, 1.0))
    founded = PROFILE_YEAR - np.minimum(np.floor(age), 150).astype(np.int64)
    age = PROFILE_YEAR - founded
    growth = rng.normal(0.07, 0.14, n) + 0.15 * np.exp(-age / 6) + 0.03 * cn
    growth = np.round(np.clip(growth, -0.5, 2.0), 3)
    rd = np.round(np.clip(rd_median * np.exp(rng.normal(0, RD_SIGMA, n)), .001, .6), 4)
    p_zero = _sigmoid(1.0 - 0.9 * le - 8 * rd)
    mean = np.exp(-1.0 + le + 10 * rd) * rng.gamma(1.0, 1.0, n)
    patents = np.where(rng.random(n) < p_zero, 0, rng.poisson(mean)).astype(float)
    listed = rng.random(n) < _sigmoid(-8 + 1.8 * le)
    lam = np.exp(-0.5 + 0.9 * (le - 1) + 0.6 * listed) * rng.gamma(2.0, 0.5, n)
    intl = np.minimum(1 + rng.poisson(lam), 190).astype(float)
    return {C.EMPLOYEES: emp, C.REVENUE: revenue, C.FOUNDED_YEAR: founded,
            C.REVENUE_GROWTH: growth, C.RD_INTENSITY: rd, C.PATENTS: patents,
            C.IS_LISTED: listed, C.INTL_COUNTRIES: intl}


def draw_presence(rng, p: dict, country_codes: np.ndarray, local: np.ndarray,
                  city_gba: np.ndarray, distance_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw in_china and in_gba from distance, size, footprint and language."""
    n = len(country_codes)
    le = np.log10(p[C.EMPLOYEES])
    lang = common_language(country_codes)
    dist = np.log1p(distance_km / 1000)
    chinese = pd.Series(country_codes).isin(["CN", "HK", "MO"]).to_numpy()
    z = -1.0 + 0.6 * np.log1p(p[C.INTL_COUNTRIES]) + 0.5 * (le - 2) + lang - 0.3 * dist
    in_china = chinese | (rng.random(n) < _sigmoid(z))
    z_gba = -1.2 + 0.3 * (le - 2) + 0.6 * lang - 0.3 * dist
    in_gba = city_gba | (in_china & ~local & (rng.random(n) < _sigmoid(z_gba)))
    return in_china, in_gba


# --- chain nodes ----------------------------------------------------------------------------

def assign_nodes(rng, primary_segment: np.ndarray, country: np.ndarray, seg_cum: np.ndarray,
                 ix: ChainIndex, primary: np.ndarray | None = None) -> pd.DataFrame:
    """Give each firm 1-3 nodes: a primary in its segment, then same-segment or adjacent ones.

    ``primary`` gives the primary nodes where they are already drawn (uniform within the
    segment otherwise). Returns positions ``firm`` (row of the firm), ``node`` (index in
    ``ix``), ``confidence`` and ``rank`` (0 for the primary node).
    """
    n = len(primary_segment)
    firm = np.arange(n)
    if primary is None:
        primary = ix.random_in_segment(rng, primary_segment)
    count = 1 + draw_category(rng, np.cumsum(N_NODES_P)[None, :].repeat(n, 0))
    parts = [(firm, primary, 0.55 + 0.45 * rng.beta(5, 2, n), np.zeros(n, np.int8))]
    taken = [primary]
    for k in (1, 2):
        kind = draw_category(rng, np.cumsum(SECOND_NODE_P)[None, :].repeat(n, 0))
        anywhere = ix.random_in_segment(rng, draw_category(rng, seg_cum, country))
        node = np.where(kind == 0, ix.random_in_segment(rng, primary_segment),
                        np.where(kind == 1, ix.random_neighbour(rng, primary), anywhere))
        for _ in range(2):  # a node the firm already has: draw a chain neighbour instead
            clash = np.flatnonzero(np.any(np.stack(taken) == node, axis=0))
            node[clash] = ix.random_neighbour(rng, primary[clash])
        keep = (count > k) & ~np.any(np.stack(taken) == node, axis=0)
        conf = 0.25 + 0.6 * rng.beta(2, 3, n)
        parts.append((firm[keep], node[keep], conf[keep], np.full(keep.sum(), k, np.int8)))
        taken.append(np.where(keep, node, -1))
    out = pd.DataFrame({key: np.concatenate([p[i] for p in parts])
                        for i, key in enumerate(("firm", "node", C.CONFIDENCE, "rank"))})
    out[C.CONFIDENCE] = out[C.CONFIDENCE].round(3)
    return out.sort_values(["firm", "rank"], kind="stable", ignore_index=True)
