"""A deterministic synthetic universe of instrument firms and a simulated investment history.

``generate_world`` draws firm profiles (country, city, size, R&D, patents, China presence),
their chain nodes and a business-scope text from which a keyword classifier can recover the
nodes, then hands over to :mod:`recommender.demo.history` for the campaigns, the outcomes and
the ground truth. Reference firms (real names) join the universe unchanged: they can be
contacted, but no figure is invented on their rows. Every draw comes from generators spawned
off ``numpy.random.default_rng(seed)``, so a seed fixes the world. The model and all its
parameters are documented in ``data/README.md`` ("The synthetic generator").

>>> world = generate_world(n_firms=500, seed=1)                        # doctest: +SKIP
>>> synthetic = int(world.firms[C.IS_SYNTHETIC].sum())                 # doctest: +SKIP
>>> synthetic, world.params["seed"], len(world.campaigns)              # doctest: +SKIP
(500, 1, 264)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from recommender import columns as C
from recommender.demo import history
from recommender.exceptions import ConfigError, DataError

__all__ = ["GENERATOR_VERSION", "DemoWorld", "generate_world", "read_world", "write_world"]

GENERATOR_VERSION = "1.0"
TABLES = ("firms", "firm_nodes", "campaigns", "outcomes", "truth")
_META_KEY = b"chainscout.demo"
PROFILE_YEAR = 2025  # the profiles describe the firms as of this year
SIZE_CLASSES = C.SIZE_CLASSES
SIZE_BOUNDS_MUSD = (2.0, 10.0, 50.0, 500.0, 5000.0)  # revenue upper bounds of the first five
LOCAL_SHARE_CN = 0.25  # share of Chinese firms placed in the region's own cities
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
NOISE_MISSING = 0.05  # share of firms whose text omits the keywords of one of their nodes
NOISE_MISLEADING = 0.03  # share of firms whose text names a keyword of an unrelated node


@dataclass(frozen=True)
class DemoWorld:
    """A generated world: firms (reference + synthetic), firm nodes, campaigns, outcomes, truth."""

    firms: pd.DataFrame
    firm_nodes: pd.DataFrame
    campaigns: pd.DataFrame
    outcomes: pd.DataFrame
    truth: pd.DataFrame
    params: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}


# --- tables ---------------------------------------------------------------------------------

def country_table() -> pd.DataFrame:
    """Return the country mix: country, share, revenue per employee (million USD)."""
    return pd.DataFrame(COUNTRIES, columns=[C.COUNTRY, "share", "revenue_per_employee"])


def _province(region) -> str:
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
        C.PROVINCE: _province(region),
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


def _pick(rng, cum: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
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
    lang = history.common_language(country_codes)
    dist = np.log1p(distance_km / 1000)
    chinese = pd.Series(country_codes).isin(["CN", "HK", "MO"]).to_numpy()
    z = -1.0 + 0.6 * np.log1p(p[C.INTL_COUNTRIES]) + 0.5 * (le - 2) + lang - 0.3 * dist
    in_china = chinese | (rng.random(n) < _sigmoid(z))
    z_gba = -1.2 + 0.3 * (le - 2) + 0.6 * lang - 0.3 * dist
    in_gba = city_gba | (in_china & ~local & (rng.random(n) < _sigmoid(z_gba)))
    return in_china, in_gba


# --- chain nodes ----------------------------------------------------------------------------

def assign_nodes(rng, primary_segment: np.ndarray, country: np.ndarray, seg_cum: np.ndarray,
                 ix: history.ChainIndex) -> pd.DataFrame:
    """Give each firm 1-3 nodes: a primary in its segment, then same-segment or adjacent ones.

    Returns positions ``firm`` (row of the firm), ``node`` (index in ``ix``), ``confidence``
    and ``rank`` (0 for the primary node).
    """
    n = len(primary_segment)
    firm = np.arange(n)
    primary = ix.random_in_segment(rng, primary_segment)
    count = 1 + _pick(rng, np.cumsum(N_NODES_P)[None, :].repeat(n, 0))
    parts = [(firm, primary, 0.55 + 0.45 * rng.beta(5, 2, n), np.zeros(n, np.int8))]
    taken = [primary]
    for k in (1, 2):
        kind = _pick(rng, np.cumsum(SECOND_NODE_P)[None, :].repeat(n, 0))
        anywhere = ix.random_in_segment(rng, _pick(rng, seg_cum, country))
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


# --- business scope text --------------------------------------------------------------------

ZH_VERBS = ["的研发、生产和销售", "的设计、制造与销售", "的技术开发、生产及技术服务",
            "的研发、制造、销售及维修"]
ZH_FILLERS = ["技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广", "货物进出口",
              "技术进出口", "软件开发", "信息系统集成服务", "企业管理咨询", "非居住房地产租赁",
              "普通货物仓储服务", "会议及展览服务"]
ZH_TAIL = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
EN_VERBS = ["Designs, manufactures and sells ", "Develops and produces ",
            "Manufactures and distributes ", "Supplies "]
EN_FILLERS = [" for customers worldwide.", " for OEM and end-user customers.",
              " for domestic and export markets.", " under its own brand and as an OEM."]
EN_TAILS = ["", " Provides after-sales service and engineering support.",
            " Offers custom development and system integration.",
            " Sells through distributors in Europe, Asia and the Americas."]
GENERIC_ZH, GENERIC_EN = "机电产品", "industrial products"


def _take(values, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as an Arrow string array, null where ``idx`` is negative."""
    table = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    idx = np.asarray(idx, np.int64)
    return table.take(pa.array(np.maximum(idx, 0), mask=idx < 0))


def _draw(rng, words: list[str], n: int) -> pa.Array:
    return _take(words, rng.integers(0, len(words), n))


def _concat(*parts) -> pa.Array:
    """Concatenate strings element-wise; a null part counts as empty."""
    return pc.binary_join_element_wise(*parts, "", null_handling="replace",
                                       null_replacement="")


def scope_texts(rng, links: pd.DataFrame, n: int, chinese: np.ndarray,
                ix: history.ChainIndex) -> tuple[pa.Array, pa.Array]:
    """Write a scope text per firm from its nodes' keywords; return (texts, link evidence).

    Chinese (经营范围 style) where ``chinese``, English otherwise. Primary nodes give one or
    two keywords, the others one. ``NOISE_MISSING`` of the firms lose the keywords of one of
    their nodes (its evidence is then missing) and ``NOISE_MISLEADING`` gain a keyword of a
    random node that they are not linked to.
    """
    firm, node, rank = (links[k].to_numpy() for k in ("firm", "node", "rank"))
    m = len(firm)
    table = pa.array(list(ix.keyword_table) + [GENERIC_ZH, GENERIC_EN], pa.string())
    first, second = ix.random_keywords(rng, node, chinese[firm])
    second[(rank > 0) | (rng.random(m) < 0.3)] = -1
    counts = np.bincount(firm, minlength=n)
    drop_rank = np.where(rng.random(n) < NOISE_MISSING, (rng.random(n) * counts).astype(int), -1)
    dropped = rank == drop_rank[firm]
    first[dropped], second[dropped] = -1, -1
    # the "skip" join must see a value in every row (Arrow drops rows that are all null)
    evidence = pc.binary_join_element_wise(_take(table, np.maximum(first, 0)),
                                           _take(table, second), "; ", null_handling="skip")
    evidence = pc.if_else(pa.array(dropped), pa.nulls(m, pa.string()), evidence)
    slots = []  # the keywords of each firm's k-th node, -1 where it has none
    for k in range(3):
        for source in (first, second):
            slot = np.full(n, -1, np.int64)
            slot[firm[rank == k]] = source[rank == k]
            slots.append(slot)
    generic = len(table) - 2 + (~chinese).astype(np.int64)  # GENERIC_ZH or GENERIC_EN
    slots[0] = np.where(slots[0] < 0, generic, slots[0])
    mislead = np.full(n, -1, np.int64)
    wrong = np.flatnonzero(rng.random(n) < NOISE_MISLEADING)
    mislead[wrong] = ix.random_keywords(rng, rng.integers(0, ix.n, len(wrong)), chinese[wrong])[0]
    slots.append(mislead)
    sep = _take(["、", ", "], (~chinese).astype(np.int64))
    words = pc.binary_join_element_wise(*(_take(table, s) for s in slots), sep,
                                        null_handling="skip")
    fill_a, fill_b = (rng.integers(0, len(ZH_FILLERS), n) for _ in range(2))
    zh = _concat("一般项目：", words, _draw(rng, ZH_VERBS, n), "；", _take(ZH_FILLERS, fill_a),
                 _take(["；" + f for f in ZH_FILLERS], np.where(fill_a == fill_b, -1, fill_b)),
                 "。", _take([ZH_TAIL], np.where(rng.random(n) < 0.6, 0, -1)))
    en = _concat(_draw(rng, EN_VERBS, n), words, _draw(rng, EN_FILLERS, n),
                 _draw(rng, EN_TAILS, n))
    return pc.if_else(pa.array(chinese), zh, en), evidence


# --- names ----------------------------------------------------------------------------------

ZH_BRAND = ("恒heng 精jing 华hua 中zhong 科ke 普pu 天tian 瑞rui 立li 宏hong 创chuang 博bo 汇hui "
            "海hai 新xin 德de 安an 正zheng 光guang 微wei 联lian 东dong 信xin 源yuan 鼎ding 锐rui "
            "泰tai 明ming 聚ju 开kai").split()
EN_BRAND_A = ("Al Be Cor Dex El Fal Gen Hal Ion Kel Lum Mar Nor Opt Pra Qua Ren Sol Tek Ul Ver "
              "Wes Xen Zet").split()
EN_BRAND_B = "ar ex ion is on ora tek tron ix um ent avia".split()
INDUSTRY_WORDS = {
    "optics_photonics": ("光电科技", "Photonics"),
    "electronic_components": ("微电子", "Microelectronics"),
    "vacuum_motion": ("精密机械", "Precision Machinery"), "sensors": ("传感技术", "Sensing"),
    "materials": ("新材料", "Materials"), "machining_equipment": ("数控装备", "Machine Tools"),
    "instrument_parts": ("精密部件", "Precision Components"),
    "industrial_measurement_control": ("自动化仪表", "Automation"),
    "electrical_measurement": ("电子测量", "Test & Measurement"),
    "scientific_analysis": ("分析仪器", "Analytical"), "medical_diagnosis": ("医疗器械", "Medical"),
    "special_detection": ("检测技术", "Inspection"), "optical_instruments": ("光学仪器", "Optics"),
}
LEGAL_SUFFIX = {"US": "Inc.", "CA": "Inc.", "DE": "GmbH", "AT": "GmbH", "CH": "AG", "GB": "Ltd",
                "FR": "SAS", "IT": "S.r.l.", "NL": "B.V.", "SE": "AB", "DK": "A/S", "FI": "Oy",
                "BE": "NV", "ES": "S.L.", "IL": "Ltd.", "IN": "Pvt. Ltd.", "AU": "Pty Ltd",
                "SG": "Pte. Ltd.", "MY": "Sdn. Bhd.", "HK": "Limited"}


def firm_names(rng, country: np.ndarray, codes: list[str], segment: np.ndarray,
               segments: tuple[str, ...], city: np.ndarray, cities: pd.DataFrame,
               listed: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Return (name, name_zh): Chinese-style names in CN, TW and HK, brand + suffix elsewhere.

    ``country``, ``segment`` and ``city`` are positions in ``codes``, ``segments`` and
    ``cities``.
    """
    n = len(country)
    i, j = rng.integers(0, len(ZH_BRAND), n), rng.integers(0, len(ZH_BRAND), n)
    brand_zh = _concat(_take([b[0] for b in ZH_BRAND], i), _take([b[0] for b in ZH_BRAND], j))
    brand_py = _concat(_take([b[1:].capitalize() for b in ZH_BRAND], i),
                       _take([b[1:] for b in ZH_BRAND], j))
    words = [INDUSTRY_WORDS.get(s, ("科技", "Technology")) for s in segments]
    ind_zh, ind_en = _take([w[0] for w in words], segment), _take([w[1] for w in words], segment)
    brand_en = _concat(_draw(rng, EN_BRAND_A, n), _draw(rng, EN_BRAND_B, n))
    suffix = _take([LEGAL_SUFFIX.get(c, "Co., Ltd.") for c in codes], country)
    code = np.asarray(codes, dtype=object)[country]
    cn, tw, hk = (pa.array(code == c) for c in ("CN", "TW", "HK"))
    city_en = _take(cities[C.CITY].tolist(), city)
    city_zh = _take(cities[C.NAME_ZH].fillna("").tolist(), city)
    company = _take(["有限公司", "股份有限公司"], listed.astype(np.int64))
    name = pc.if_else(cn, _concat(city_en, " ", brand_py, " ", ind_en, " Co., Ltd."),
                      pc.if_else(tw, _concat(brand_py, " ", ind_en, " Co., Ltd."),
                                 pc.if_else(hk, _concat(brand_py, " ", ind_en, " Limited"),
                                            _concat(brand_en, " ", ind_en, " ", suffix))))
    none = pa.nulls(n, pa.string())
    name_zh = pc.if_else(cn, _concat(city_zh, brand_zh, ind_zh, company),
                         pc.if_else(tw, _concat(brand_zh, ind_zh, "股份有限公司"),
                                    pc.if_else(hk, _concat(brand_zh, ind_zh, "有限公司"), none)))
    return name, name_zh


# --- the world ------------------------------------------------------------------------------

def _check_arguments(n_firms, seed, start, end, n_campaigns) -> tuple[pd.Timestamp, pd.Timestamp]:
    if isinstance(n_firms, bool) or not isinstance(n_firms, (int, np.integer)) or n_firms < 1:
        raise ConfigError(f"n_firms must be a positive integer, got {n_firms!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"start and end must be dates, got {start!r} and {end!r}") from exc
    if t1 - t0 < pd.Timedelta(days=2 * history.DECLINE_AFTER_DAYS):
        raise ConfigError(f"the window {t0.date()} .. {t1.date()} is too short for a history")
    if n_campaigns is not None and (not isinstance(n_campaigns, (int, np.integer))
                                    or n_campaigns < 1):
        raise ConfigError(f"n_campaigns must be a positive integer or None, got {n_campaigns!r}")
    return t0, t1


def _load_defaults(chain, region, reference):
    if chain is None:
        from recommender.chain import load_chain
        chain = load_chain()
    if region is None or reference is None:
        from recommender.demo import world
        region = world.load_region() if region is None else region
        reference = world.load_reference_firms() if reference is None else reference
    return chain, region, reference


def synthetic_firms(rngs, n: int, ix: history.ChainIndex, region, progress) -> tuple:
    """Return (firms, links, latent inputs) of ``n`` synthetic firms, rows 0..n-1."""
    r_firm, r_node, r_text, r_name = rngs
    progress("firms")
    countries = country_table()
    codes = countries[C.COUNTRY].to_numpy(object)
    country = _pick(r_firm, np.cumsum(countries["share"].to_numpy())[None, :], np.zeros(n, int))
    country_code = codes[country]
    cities = city_table(region)
    city_country = cities[C.COUNTRY].to_numpy(object)
    city = np.empty(n, np.int64)
    for k, code in enumerate(codes):  # one vectorised draw per country
        at = np.flatnonzero(country == k)
        pool = np.flatnonzero(city_country == code)
        w = cities["weight"].to_numpy()[pool]
        city[at] = pool[_pick(r_firm, np.cumsum(w / w.sum())[None, :], np.zeros(len(at), int))]
    lat = np.round(cities[C.LAT].to_numpy()[city] + r_firm.normal(0, GEO_JITTER_DEG, n), 5)
    lon = np.round(cities[C.LON].to_numpy()[city] + r_firm.normal(0, GEO_JITTER_DEG, n), 5)
    local = cities["local"].to_numpy(bool)[city]
    seg_cum = np.cumsum(segment_probabilities(codes, ix.segments, ix.segment_stage), axis=1)
    segment = _pick(r_firm, seg_cum, country)
    rd_median = np.array([RD_MEDIAN.get(s, 0.06) for s in ix.segments])
    rpe = countries["revenue_per_employee"].to_numpy()
    p = draw_profiles(r_firm, rpe[country], rd_median[segment], country_code == "CN")
    dist = history.distance_to_core(lat, lon, region)
    in_china, in_gba = draw_presence(r_firm, p, country_code, local,
                                     cities[C.IN_GBA].to_numpy(bool)[city], dist)
    progress("nodes")
    links = assign_nodes(r_node, segment, country, seg_cum, ix)
    progress("text")
    chinese = pd.Series(country_code).isin(["CN", "TW", "HK"]).to_numpy()
    scope, evidence = scope_texts(r_text, links, n, chinese, ix)
    node_industry = [INDUSTRY_CODES.get(ix.segments[ix.segment_of[v]],
                                        INDUSTRY_CODES.get(ix.node_ids[v], "4090"))
                     for v in range(ix.n)]
    primary = links.loc[links["rank"] == 0, "node"].to_numpy()
    name, name_zh = firm_names(r_name, country, list(codes), segment, ix.segments, city, cities,
                               p[C.IS_LISTED])
    ids = _concat("syn-", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 7, "0"))
    capital = np.round(p[C.REVENUE] * 7.1e6 * 0.3 * np.exp(r_firm.normal(0, 0.8, n)), -4)
    revenue_class = np.searchsorted(np.asarray(SIZE_BOUNDS_MUSD), p[C.REVENUE], side="right")
    text = {
        C.FIRM_ID: ids, C.FIRM_KEY: ids, C.NAME: name, C.NAME_ZH: name_zh,
        C.COUNTRY: _take(list(codes), country), C.PROVINCE: _take(cities[C.PROVINCE], city),
        C.CITY: _take(cities[C.CITY], city), C.GEO_QUALITY: _take(["exact"], np.zeros(n, int)),
        C.SIZE_CLASS: _take(SIZE_CLASSES, revenue_class),
        C.INDUSTRY_CODE: _take(node_industry, primary), C.BUSINESS_SCOPE: scope,
        C.SOURCE: _take(["synthetic"], np.zeros(n, int)),
        **{k: pa.nulls(n, pa.string()) for k in (C.CREDIT_CODE, C.WEBSITE, C.SYMBOL, C.ISIN)},
    }
    numbers = {
        C.LAT: lat, C.LON: lon, C.FOUNDED_YEAR: pd.array(p[C.FOUNDED_YEAR], dtype="Int64"),
        C.REGISTERED_CAPITAL: np.where(country_code == "CN", capital, np.nan),
        C.IN_CHINA: pd.array(in_china, dtype="boolean"),
        C.IN_GBA: pd.array(in_gba, dtype="boolean"),
        C.IS_LISTED: pd.array(p[C.IS_LISTED], dtype="boolean"),
        C.IS_SYNTHETIC: np.ones(n, bool),
        **{k: p[k].astype(float) for k in (C.EMPLOYEES, C.REVENUE, C.REVENUE_GROWTH,
                                           C.RD_INTENSITY, C.PATENTS, C.INTL_COUNTRIES)},
    }
    columns = {k: pd.array(v, dtype="str") for k, v in text.items()} | numbers
    firms = pd.DataFrame({k: columns[k] for k in C.FIRM_COLUMNS})
    links[C.EVIDENCE] = pd.array(evidence, dtype="str")
    latent = pd.DataFrame({C.COUNTRY: country_code, C.LAT: lat, C.LON: lon,
                           C.IN_CHINA: in_china, C.IN_GBA: in_gba,
                           **{k: p[k] for k in history.LATENT_INPUTS if k in p},
                           "local": local, "famous": False})[history.LATENT_INPUTS
                                                             + ["local", "famous"]]
    return firms, links, latent


def reference_firms(rng, firms: pd.DataFrame, links: pd.DataFrame, ix: history.ChainIndex,
                    region, offset: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (rows, links, latent inputs) of the reference firms, rows offset.. of the universe.

    The rows are the reference rows as given. The latent inputs use each real value where it
    is known and a value drawn for a notable firm of its country and segment where it is
    missing; those draws live only in the latent inputs, never on the rows.
    """
    rows = firms.reindex(columns=C.FIRM_COLUMNS).reset_index(drop=True)
    m = len(rows)
    position = pd.Series(np.arange(m), index=rows[C.FIRM_ID].to_numpy())
    links = links.reindex(columns=C.FIRM_NODE_COLUMNS)
    links = links[links[C.NODE_ID].isin(ix.node_ids) & links[C.FIRM_ID].isin(position.index)]
    out = pd.DataFrame({"firm": position[links[C.FIRM_ID]].to_numpy() + offset,
                        "node": ix.index_of(links[C.NODE_ID].to_numpy()),
                        C.CONFIDENCE: links[C.CONFIDENCE].fillna(0.9).to_numpy(float),
                        C.EVIDENCE: links[C.EVIDENCE].to_numpy(object),
                        C.METHOD: links[C.METHOD].fillna("reference").to_numpy(object)})
    out = out.sort_values(["firm", C.CONFIDENCE], ascending=[True, False], kind="stable")
    out["rank"] = out.groupby("firm").cumcount().astype(np.int8)
    country_code = rows[C.COUNTRY].fillna("").to_numpy(object)
    countries = country_table().set_index(C.COUNTRY)
    rpe = countries["revenue_per_employee"].reindex(country_code).fillna(0.25).to_numpy()
    base = segment_probabilities(["*"], ix.segments, ix.segment_stage)[0]
    segment = _pick(rng, np.cumsum(base)[None, :], np.zeros(m, int))
    first = out[out["rank"] == 0]
    segment[first["firm"].to_numpy() - offset] = ix.segment_of[first["node"].to_numpy()]
    rd_median = np.array([RD_MEDIAN.get(s, 0.06) for s in ix.segments])[segment]
    shadow = draw_profiles(rng, rpe, rd_median, country_code == "CN",
                           log_emp_mu=np.log(3000), log_emp_sigma=1.2)
    cities = city_table(region)
    hub = cities.drop_duplicates(C.COUNTRY).set_index(C.COUNTRY)
    shadow[C.LAT] = hub[C.LAT].reindex(country_code).to_numpy()
    shadow[C.LON] = hub[C.LON].reindex(country_code).to_numpy()
    latent = pd.DataFrame({C.COUNTRY: country_code})
    for k in history.LATENT_INPUTS[1:]:
        if k in (C.IS_LISTED, C.IN_CHINA, C.IN_GBA):
            continue
        known = pd.to_numeric(rows[k].astype(object), errors="coerce").to_numpy(float)
        latent[k] = np.where(np.isnan(known), shadow[k], known)
    region_names = set(region.cities[C.CITY_NAME_EN]) | set(region.cities[C.CITY_NAME_ZH])
    local = (country_code == "CN") & (rows[C.CITY].isin(region_names)
                                      | (rows[C.PROVINCE] == _province(region))).to_numpy()
    gba_names = region.cities.loc[region.cities[C.IN_GBA].fillna(False).astype(bool),
                                  [C.CITY_NAME_EN, C.CITY_NAME_ZH]]
    city_gba = (local & rows[C.CITY].isin(set(gba_names.stack())).to_numpy()) \
        | (country_code == "HK")
    dist = history.distance_to_core(latent[C.LAT], latent[C.LON], region)
    drawn_china, drawn_gba = draw_presence(
        rng, {C.EMPLOYEES: latent[C.EMPLOYEES].to_numpy(),
              C.INTL_COUNTRIES: latent[C.INTL_COUNTRIES].to_numpy()},
        country_code, local, city_gba, np.nan_to_num(dist, nan=10_000.0))
    for k, drawn in ((C.IS_LISTED, shadow[C.IS_LISTED]), (C.IN_CHINA, drawn_china),
                     (C.IN_GBA, drawn_gba)):
        known = rows[k].astype("boolean")
        latent[k] = np.where(known.isna().to_numpy(), drawn,
                             known.fillna(False).to_numpy(bool))
    latent = latent[history.LATENT_INPUTS]
    latent["local"], latent["famous"] = local, True
    return rows, out, latent


def _firm_frame(reference: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Stack reference and synthetic rows, giving the reference rows the synthetic dtypes."""
    if reference.empty:
        return synthetic
    ref = reference.reindex(columns=C.FIRM_COLUMNS).astype(object)
    for col in C.FIRM_COLUMNS:
        values = ref[col].where(ref[col].notna(), None).tolist()
        ref[col] = pd.array(values, dtype=synthetic[col].dtype)
    return pd.concat([ref, synthetic], ignore_index=True)


def generate_world(n_firms: int = 20_000, seed: int = 7, *, chain=None, region=None,
                   reference=None, start="2021-01-01", end="2026-06-30",
                   n_campaigns: int | None = None, progress=None) -> DemoWorld:
    """Generate a synthetic universe of firms and a history of campaigns over it.

    Parameters
    ----------
    n_firms : number of synthetic firms (reference firms come on top).
    seed : the world is a function of the seed and the other arguments.
    chain, region : a ``Chain`` and a ``Region``; the embedded demo ones when None.
    reference : ``(firms, firm_nodes)`` of the reference firms; the embedded ones when None,
        ``(empty, empty)`` for none.
    start, end : the window of the history.
    n_campaigns : campaigns in the window; four per month when None.
    progress : called with the name of each phase as it starts (firms, nodes, text,
        history, assemble).

    Examples
    --------
    >>> world = generate_world(n_firms=500, seed=1)                    # doctest: +SKIP
    >>> world.outcomes["stage"].value_counts().sort_index().tolist()  # doctest: +SKIP
    [3664, 1645, 799, 339, 146]
    >>> paths = write_world(world, "var/demo")                         # doctest: +SKIP
    >>> read_world("var/demo").params == world.params                  # doctest: +SKIP
    True
    """
    t0, t1 = _check_arguments(n_firms, seed, start, end, n_campaigns)
    progress = progress or (lambda phase: None)
    chain, region, reference = _load_defaults(chain, region, reference)
    ref_firms, ref_links = reference
    ix = history.ChainIndex.from_chain(chain)
    rngs = np.random.default_rng(seed).spawn(6)
    syn, syn_links, syn_latent = synthetic_firms(rngs[:4], int(n_firms), ix, region, progress)
    ref, ref_links, ref_latent = reference_firms(rngs[4], ref_firms, ref_links, ix, region,
                                                 offset=int(n_firms))
    progress("history")
    latent = pd.concat([syn_latent, ref_latent], ignore_index=True)
    links = pd.concat([syn_links.assign(**{C.METHOD: "synthetic"}), ref_links],
                      ignore_index=True)
    firm_ids = pa.concat_arrays([pa.array(syn[C.FIRM_ID]).cast(pa.string()),
                                 pa.array(ref[C.FIRM_ID].astype(str).tolist(), pa.string())])
    sim = history.simulate_history(rngs[5], latent, links, firm_ids, ix, region, t0, t1,
                                   n_campaigns=n_campaigns)
    progress("assemble")
    firms = _firm_frame(ref, syn)
    firm_nodes = pd.DataFrame({
        C.FIRM_ID: pd.array(firm_ids.take(pa.array(syn_links["firm"].to_numpy())), dtype="str"),
        C.NODE_ID: pd.array(_take(ix.node_ids, syn_links["node"].to_numpy()), dtype="str"),
        C.CONFIDENCE: syn_links[C.CONFIDENCE].to_numpy(float),
        C.EVIDENCE: syn_links[C.EVIDENCE].array,
        C.METHOD: pd.array(_take(["synthetic"], np.zeros(len(syn_links), int)), dtype="str"),
    })
    if len(ref_firms):
        given = reference[1].reindex(columns=C.FIRM_NODE_COLUMNS).astype(firm_nodes.dtypes)
        firm_nodes = pd.concat([given, firm_nodes], ignore_index=True)
    params = {"version": GENERATOR_VERSION, "seed": int(seed), "n": int(n_firms),
              "n_reference": len(ref), "start": str(t0.date()), "end": str(t1.date()),
              **sim.params}
    return DemoWorld(firms, firm_nodes, sim.campaigns, sim.outcomes, sim.truth, params)


# --- Parquet --------------------------------------------------------------------------------

def write_world(world: DemoWorld, out_dir) -> dict[str, Path]:
    """Write the five tables as Parquet under ``out_dir``; return their paths by table name.

    The generator's ``params`` travel as JSON in each file's schema metadata. Each file is
    written under a temporary name and renamed, so a reader never sees half a file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = json.dumps(world.params, sort_keys=True).encode()
    paths = {}
    for name, frame in world.tables().items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: meta})
        path = out / f"{name}.parquet"
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
        paths[name] = path
    return paths


def read_world(out_dir) -> DemoWorld:
    """Read a world written by :func:`write_world`."""
    out = Path(out_dir)
    frames, params = {}, None
    for name in TABLES:
        path = out / f"{name}.parquet"
        if not path.is_file():
            raise DataError(f"{path}: missing; write the world with write_world first")
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
        meta = (table.schema.metadata or {}).get(_META_KEY)
        if meta is None:
            raise DataError(f"{path}: not written by write_world (no generator parameters)")
        params = json.loads(meta) if params is None else params
        frames[name] = table.to_pandas()
    return DemoWorld(**frames, params=params)
