"""Column names shared by every table ChainScout reads, stores and returns.

Functions take these as keyword-only defaults, so a caller with other names can pass
its own; nothing else in the code spells a column name as a string literal twice.
"""

__all__ = [
    "BASE_RATE",
    "BUILDING_M2",
    "BUSINESS_SCOPE",
    "CAMPAIGN_ID",
    "CAMPAIGN_NAME",
    "CITY",
    "CITY_ID",
    "CITY_NAME_EN",
    "CITY_NAME_ZH",
    "CLEAN_ROOM_M2",
    "CONCENTRATION",
    "CONFIDENCE",
    "CONTACTED",
    "CONTROL",
    "COUNTRY",
    "CREDIT_CODE",
    "CRITICALITY",
    "DATE",
    "DEMAND",
    "DISTANCE_KM",
    "EMPLOYEES",
    "EVIDENCE",
    "EXPORT_CONTROL",
    "FIRM_COLUMNS",
    "FIRM_ID",
    "FIRM_KEY",
    "FIRM_NODE_COLUMNS",
    "FOCUS_NODES",
    "FOUNDED_YEAR",
    "GEO_QUALITY",
    "GROUP_ID",
    "HOP",
    "HS_CODE",
    "HS_CODES",
    "IMPACT",
    "IMPORT_DEPENDENCE",
    "IMPORT_VALUE",
    "INCENTIVES_EN",
    "INCENTIVES_ZH",
    "INDUSTRY_CODE",
    "INTL_COUNTRIES",
    "IN_CHINA",
    "IN_GBA",
    "ISIN",
    "IS_ILLUSTRATIVE",
    "IS_LISTED",
    "IS_SYNTHETIC",
    "LABEL",
    "LAND_HA",
    "LAT",
    "LEADER_FIRM_ID",
    "LEADER_NEED",
    "LIKELIHOOD",
    "LINK_NAME_EN",
    "LINK_NAME_ZH",
    "LOCAL_FIRMS",
    "LOCAL_GAP",
    "LOCAL_SUPPLY",
    "LON",
    "MATCH",
    "MAX_NEW_FIRMS",
    "METHOD",
    "MODEL_VERSION",
    "NAME",
    "NAME_EN",
    "NAME_ZH",
    "NEED",
    "NODE_ID",
    "NODE_NAME_EN",
    "NODE_NAME_ZH",
    "NOTE",
    "ORIGIN",
    "OUTCOME_COLUMNS",
    "OUTCOME_STAGE",
    "PARK_ID",
    "PARK_NAME_EN",
    "PARK_NAME_ZH",
    "PATENTS",
    "POWER_MVA",
    "PROVINCE",
    "P_SUCCESS",
    "RANK",
    "RD_INTENSITY",
    "REASONS",
    "REASON_EN",
    "REASON_ZH",
    "RECRUITMENT_STAGE",
    "REGION_ID",
    "REGISTERED_CAPITAL",
    "RENT",
    "REVENUE",
    "REVENUE_GROWTH",
    "SCORE",
    "SEGMENT",
    "SIZE_CLASS",
    "SIZE_CLASSES",
    "SOURCE",
    "STAGE",
    "SYMBOL",
    "TENANTS",
    "TRUE_UTILITY",
    "VALUE",
    "VALUE_USD",
    "WEAK_LINK_COMPONENTS",
    "WEAK_LINK_SCORE",
    "WEBSITE",
    "YEAR",
]

# --- firms (企业画像) ---------------------------------------------------------------------
FIRM_ID = "firm_id"  # stable id: "ref-…" reference, "syn-…" synthetic, "f-…" ingested
FIRM_KEY = "firm_key"  # dedup key: credit code, else normalised name + "|" + country
NAME = "name"  # display name (English or romanised where known)
NAME_ZH = "name_zh"
NAME_EN = "name_en"  # the English name of a chain, region, node, park or city (a firm's: NAME)
CREDIT_CODE = "credit_code"  # 统一社会信用代码 (18 characters) where known
COUNTRY = "country"  # ISO 3166-1 alpha-2, upper case ("CN", "US", "TW", "HK")
PROVINCE = "province"  # first-level division, English ("Guangdong")
CITY = "city"  # English city name as resolved by the gazetteer
LAT = "lat"  # WGS84 degrees
LON = "lon"
GEO_QUALITY = "geocode_quality"  # exact | alias | country | unresolved
FOUNDED_YEAR = "founded_year"
REGISTERED_CAPITAL = "registered_capital_cny"  # 注册资本, in yuan
EMPLOYEES = "employees"
REVENUE = "revenue_musd"  # annual revenue, million US dollars
REVENUE_GROWTH = "revenue_growth"  # year-on-year, fraction (0.1 = +10 %)
RD_INTENSITY = "rd_intensity"  # R&D spending / revenue, fraction
PATENTS = "patents"  # patent families held
IS_LISTED = "is_listed"
SIZE_CLASS = "size_class"  # ordered: nano < micro < small < mid < large < mega
SIZE_CLASSES = ("nano", "micro", "small", "mid", "large", "mega")  # the size classes, in order
INTL_COUNTRIES = "intl_countries"  # countries with sales or subsidiaries
IN_CHINA = "in_china"  # already sells or has a subsidiary in China
IN_GBA = "in_gba"  # already present in the Greater Bay Area
INDUSTRY_CODE = "industry_code"  # GB/T 4754 code (国标行业) or the source's industry label
BUSINESS_SCOPE = "business_scope"  # 经营范围 / business description, Chinese or English
WEBSITE = "website"
SYMBOL = "symbol"  # stock ticker
ISIN = "isin"
SOURCE = "source"  # where the row came from: "reference", "synthetic", a file name
IS_SYNTHETIC = "is_synthetic"

FIRM_COLUMNS = [
    FIRM_ID, FIRM_KEY, NAME, NAME_ZH, CREDIT_CODE, COUNTRY, PROVINCE, CITY, LAT, LON,
    GEO_QUALITY, FOUNDED_YEAR, REGISTERED_CAPITAL, EMPLOYEES, REVENUE, REVENUE_GROWTH,
    RD_INTENSITY, PATENTS, IS_LISTED, SIZE_CLASS, INTL_COUNTRIES, IN_CHINA, IN_GBA,
    INDUSTRY_CODE, BUSINESS_SCOPE, WEBSITE, SYMBOL, ISIN, SOURCE, IS_SYNTHETIC,
]

# --- chain nodes and firm-node links ------------------------------------------------------
NODE_ID = "node_id"
NODE_NAME_ZH = NAME_ZH
NODE_NAME_EN = NAME_EN
STAGE = "stage"  # upstream | midstream | downstream
SEGMENT = "segment"
HS_CODES = "hs_codes"
CONFIDENCE = "confidence"  # 0..1, strength of a firm's activity in a node
EVIDENCE = "evidence"  # matched words or top terms that support the link
METHOD = "method"  # keyword | classifier | reference | synthetic | user

FIRM_NODE_COLUMNS = [FIRM_ID, NODE_ID, CONFIDENCE, EVIDENCE, METHOD]

# --- campaigns and outcomes ---------------------------------------------------------------
CAMPAIGN_ID = "campaign_id"
CAMPAIGN_NAME = "campaign_name"
REGION_ID = "region_id"
DATE = "date"  # ISO date of the outcome (or of the campaign start)
OUTCOME_STAGE = "stage"  # 0 declined/no answer, 1 responded, 2 site visit, 3 MoU, 4 invested
NOTE = "note"
TRUE_UTILITY = "true_utility"  # synthetic ground truth, never a feature

OUTCOME_COLUMNS = [FIRM_ID, NODE_ID, CAMPAIGN_ID, DATE, OUTCOME_STAGE]

# --- parks (园区画像) ----------------------------------------------------------------------
PARK_ID = "park_id"
PARK_NAME_ZH = NAME_ZH
PARK_NAME_EN = NAME_EN
FOCUS_NODES = "focus_nodes"  # list of node ids
LAND_HA = "land_available_ha"
BUILDING_M2 = "building_available_m2"
POWER_MVA = "power_capacity_mva"
CLEAN_ROOM_M2 = "clean_room_m2"
RENT = "rent_cny_m2_month"
INCENTIVES_ZH = "incentives_zh"
INCENTIVES_EN = "incentives_en"
MAX_NEW_FIRMS = "max_new_firms"  # capacity for new tenants in one planning round
TENANTS = "tenants"  # list of firm ids
IS_ILLUSTRATIVE = "is_illustrative"  # figure invented for the demo, not a public fact

# --- region inputs ------------------------------------------------------------------------
HS_CODE = "hs_code"
ORIGIN = "origin_country"  # ISO 3166-1 alpha-2
YEAR = "year"
VALUE_USD = "value_usd"
CONTROL = "control"  # 0..1: how strictly the origin controls export of the node's technology
LEADER_FIRM_ID = "leader_firm_id"
NEED = "need"  # 1..5: how badly a chain leader needs local suppliers for the node

# --- cities -------------------------------------------------------------------------------
CITY_ID = "city_id"
CITY_NAME_ZH = NAME_ZH
CITY_NAME_EN = NAME_EN

# --- weak-link diagnosis (one row per chain node; components in [0, 1]) --------------------
LOCAL_SUPPLY = "local_supply"  # size-weighted local activity in the node (raw)
LOCAL_FIRMS = "local_firms"  # count of local firms active in the node
LOCAL_GAP = "local_gap"  # 1 - normalised local supply
IMPORT_VALUE = "import_value_usd"  # imports of the node's HS codes (raw)
LEADER_NEED = "leader_need"  # summed needs of local chain leaders (raw)
DEMAND = "demand"
IMPORT_DEPENDENCE = "import_dependence"
CONCENTRATION = "source_concentration"  # HHI of origin countries
EXPORT_CONTROL = "export_control_exposure"
CRITICALITY = "criticality"
WEAK_LINK_SCORE = "weak_link_score"  # weighted sum of the components
WEAK_LINK_COMPONENTS = (LOCAL_GAP, DEMAND, IMPORT_DEPENDENCE, CONCENTRATION, EXPORT_CONTROL,
                        CRITICALITY)

# --- candidates, features, ranking --------------------------------------------------------
MATCH = "match"  # strength of a firm's activity in the node (0..1), hop-discounted
HOP = "hop"  # 0 active in the node, 1 active in a chain neighbour
GROUP_ID = "group_id"  # a query group: campaign x weak link
LABEL = "label"  # graded outcome used as relevance, 0..4
SCORE = "score"  # ranking score (model or prior)
P_SUCCESS = "p_success"  # calibrated probability of an MoU or better
RANK = "rank"  # 1 = best
REASONS = "reasons"  # list of {"feature", "zh", "en", "contribution"}
MODEL_VERSION = "model_version"
DISTANCE_KM = "distance_km"  # great-circle distance to the region's core

# --- a firm ranked for a weak link, as the library and the service answer it ---------------
LINK_NAME_ZH = "node_name_zh"  # the weak link's name, in a row that names a firm too
LINK_NAME_EN = "node_name_en"
RECRUITMENT_STAGE = "outcome_stage"  # the pair's best recorded stage by name; "none" if never
CONTACTED = "contacted"  # an outcome is recorded for the pair
REASON_ZH = "reason_zh"  # the reasons joined into one Chinese sentence
REASON_EN = "reason_en"
LIKELIHOOD = "likelihood"  # calibrated probability of an MoU or better (= p_success)
IMPACT = "impact"  # 0..1: how much of the weak link the firm could fill if it came
VALUE = "value"  # likelihood x impact: the expected share of the weak link filled
BASE_RATE = "base_rate"  # share of all recorded contacts that reached an MoU or better
