"""The embedded demo world's region and reference firms, read from ``data/``.

A region is a folder with a ``region.yaml`` (identity, cluster core, radius, Greater Bay Area
cities, sourced facts, table file names) and five tables: cities, parks, imports,
export controls and chain leaders' supplier needs. The reference firms are real firms with
their home country, head-office city and chain nodes, and no invented figures. What is fact
and what is illustrative is documented in ``data/README.md``.

Examples
--------
>>> region = load_region()  # doctest: +SKIP
>>> region.id, len(region.cities), region.parks.loc[0, "focus_nodes"][:2]  # doctest: +SKIP
('guangdong', 21, ['mass_spectrometers', 'spectrometers'])
>>> firms, links = load_reference_firms()  # doctest: +SKIP
>>> firms.loc[0, "firm_key"]  # doctest: +SKIP
'nm:thermofisherscientific|US'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from recommender import columns as C
from recommender import paths
from recommender.exceptions import DataError
from recommender.firms.ingest import firm_keys
from recommender.firms.schemas import validate_table
from recommender.firms.tables import read_table

__all__ = [
    "COUNTRY_MIX_COLUMNS",
    "POPULATION_10K",
    "REFERENCE_FACTS",
    "REFERENCE_FACTS_FILE",
    "REFERENCE_FIRM_NODES_FILE",
    "UNKNOWN",
    "REFERENCE_FIRMS_FILE",
    "REGION_FILE",
    "REGION_TABLES",
    "Region",
    "country_mix_path",
    "load_country_mix",
    "load_reference_facts",
    "load_reference_firms",
    "load_region",
]

POPULATION_10K = "population_10k"  # cities: resident population, 10 000 people (2020 census)
REGION_FILE = "region.yaml"
REFERENCE_FIRMS_FILE = "reference_firms.csv"
REFERENCE_FIRM_NODES_FILE = "reference_firm_nodes.csv"
REFERENCE_FACTS_FILE = "reference_facts.csv"
# the public facts a reference firm may carry: fact -> (firm column, unit)
REFERENCE_FACTS = {"employees": (C.EMPLOYEES, "people"), "revenue": (C.REVENUE, "million USD"),
                   C.FOUNDED_YEAR: (C.FOUNDED_YEAR, "year"), C.IN_CHINA: (C.IN_CHINA, "flag"),
                   C.IN_GBA: (C.IN_GBA, "flag")}
UNKNOWN = "unknown"  # the source of a fact that could not be found (its value stays empty)
# table name -> default file name; region.yaml's ``tables`` mapping may rename the files
REGION_TABLES = {
    "cities": "cities.csv",
    "parks": "parks.csv",
    "imports": "imports.csv",
    "export_controls": "export_controls.csv",
    "leader_needs": "leader_needs.csv",
}
COUNTRY_MIX_COLUMNS = [C.NODE_ID, C.COUNTRY, "share", C.SOURCE]
_REQUIRED_KEYS = ("id", C.NAME_ZH, C.NAME_EN, "country", "chain", "core", "radius_km")

# Column dtypes of the returned firm frame: text as pandas' default string dtype, figures as
# float64, flags that may be unknown as nullable booleans.
_FIRM_DTYPES: dict[str, str] = {
    **{k: "str" for k in (C.FIRM_ID, C.FIRM_KEY, C.NAME, C.NAME_ZH, C.CREDIT_CODE, C.COUNTRY,
                          C.PROVINCE, C.CITY, C.GEO_QUALITY, C.SIZE_CLASS, C.INDUSTRY_CODE,
                          C.BUSINESS_SCOPE, C.WEBSITE, C.SYMBOL, C.ISIN, C.SOURCE)},
    **{k: "float64" for k in (C.LAT, C.LON, C.REGISTERED_CAPITAL, C.EMPLOYEES, C.REVENUE,
                              C.REVENUE_GROWTH, C.RD_INTENSITY, C.PATENTS, C.INTL_COUNTRIES)},
    C.FOUNDED_YEAR: "Int64", C.IS_LISTED: "boolean", C.IN_CHINA: "boolean",
    C.IN_GBA: "boolean", C.IS_SYNTHETIC: "bool",
}


@dataclass(frozen=True, eq=False)
class Region:
    """A region of the demo world: identity, cluster core, facts and its input tables.

    ``cities``: city_id, name_zh, name_en, lat, lon, in_gba (bool), population_10k.
    ``parks``: the park profile columns of ``recommender.columns``; focus_nodes and tenants
    are lists of ids. ``imports``: hs_code (text), origin_country, year, value_usd.
    ``export_controls``: origin_country, node_id, control (0..1). ``leader_needs``:
    leader_firm_id, node_id, need (1..5). Every table but cities has ``is_illustrative``
    (bool). ``facts`` maps a fact name to its value, unit, note and source.
    """

    id: str
    name_zh: str
    name_en: str
    country: str
    chain_id: str
    core_lat: float
    core_lon: float
    radius_km: float
    gba_cities: list[str]
    facts: dict[str, Any]
    cities: pd.DataFrame
    parks: pd.DataFrame
    imports: pd.DataFrame
    export_controls: pd.DataFrame
    leader_needs: pd.DataFrame


def load_region(region_dir: str | Path | None = None) -> Region:
    """Read a region folder (``region.yaml`` and its tables) into a ``Region``.

    Parameters
    ----------
    region_dir : the folder; ``recommender.paths.default_region_dir()`` when None.

    Raises
    ------
    DataError
        Naming the file when a file is missing or unreadable, a key or column is missing,
        or the tables disagree (a park in an unknown city, GBA lists that differ).

    Examples
    --------
    >>> region = load_region()  # doctest: +SKIP
    >>> region.name_en, region.radius_km, len(region.gba_cities)  # doctest: +SKIP
    ('Guangdong', 150.0, 9)
    """
    folder = Path(region_dir) if region_dir is not None else paths.default_region_dir()
    meta = _read_region_yaml(folder / REGION_FILE)
    files = {**REGION_TABLES, **(meta.get("tables") or {})}
    unknown = sorted(set(files) - set(REGION_TABLES))
    if unknown:
        raise DataError(f"{REGION_FILE}: unknown table(s) {', '.join(unknown)} under 'tables'; "
                        f"known: {', '.join(REGION_TABLES)}")
    cities = _read_cities(folder / files["cities"])
    parks = _illustrative(_validated(folder / files["parks"], "parks"))
    imports = _illustrative(_validated(folder / files["imports"], "imports"))
    controls = _illustrative(_validated(folder / files["export_controls"], "export_controls"))
    needs = _illustrative(_validated(folder / files["leader_needs"], "leader_needs"))
    imports[C.YEAR] = _whole_numbers(imports[C.YEAR])
    parks[C.MAX_NEW_FIRMS] = _whole_numbers(parks[C.MAX_NEW_FIRMS])

    gba = [str(c) for c in meta.get("gba_cities") or []]
    _check_cities(cities, gba, parks, files)
    core = meta["core"]
    return Region(
        id=str(meta["id"]), name_zh=str(meta[C.NAME_ZH]), name_en=str(meta[C.NAME_EN]),
        country=str(meta["country"]), chain_id=str(meta["chain"]),
        core_lat=float(core["lat"]), core_lon=float(core["lon"]),
        radius_km=float(meta["radius_km"]), gba_cities=gba, facts=dict(meta.get("facts") or {}),
        cities=cities, parks=parks, imports=imports, export_controls=controls,
        leader_needs=needs,
    )


def load_reference_firms(data_dir: str | Path | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the reference firms and their chain nodes from ``<data_dir>/firms/``.

    The firm frame has every column of ``recommender.columns.FIRM_COLUMNS`` (those the file
    leaves out are missing values) and ``firm_key`` computed as ingest computes it, from the
    normalised name and the country. Coordinates that come with a row are marked ``given``.
    Head count, revenue, founding year and presence in China and the Greater Bay Area come
    from ``reference_facts.csv`` where the folder has one (:func:`load_reference_facts`):
    a known fact fills its column, an unknown one leaves it missing; a known revenue gives
    the size class (the generator's revenue bands).

    Parameters
    ----------
    data_dir : the data folder; ``recommender.paths.data_dir()`` when None.

    Returns
    -------
    (firms, firm_nodes) : firm_nodes has firm_id, node_id, confidence, evidence, method.

    Raises
    ------
    DataError
        Naming the file when a file is missing, a column is missing or a value is invalid,
        or when a firm-node link names a firm that is not in the firm file.
    """
    folder = (Path(data_dir) if data_dir is not None else paths.data_dir()) / "firms"
    firms_path = folder / REFERENCE_FIRMS_FILE
    links_path = folder / REFERENCE_FIRM_NODES_FILE
    raw = read_table(firms_path)
    _require_columns(raw, [C.FIRM_ID, C.NAME, C.COUNTRY], firms_path.name)
    if C.CREDIT_CODE not in raw.columns:
        raw[C.CREDIT_CODE] = pd.NA
    raw[C.FIRM_KEY] = firm_keys(raw)
    firms = validate_table(raw, "firms", file=firms_path.name)
    located = firms[C.LAT].notna() & firms[C.LON].notna()
    firms[C.GEO_QUALITY] = firms[C.GEO_QUALITY].mask(located & firms[C.GEO_QUALITY].isna(),
                                                     "given")
    firms[C.IS_SYNTHETIC] = firms[C.IS_SYNTHETIC].fillna(False)
    extra = [c for c in firms.columns if c not in C.FIRM_COLUMNS]
    firms = firms[C.FIRM_COLUMNS + extra].astype(_FIRM_DTYPES)
    if firms[C.FIRM_ID].duplicated().any():
        dup = firms.loc[firms[C.FIRM_ID].duplicated(), C.FIRM_ID].iloc[0]
        raise DataError(f"{firms_path.name}: firm_id {dup!r} appears more than once")

    links = validate_table(read_table(links_path), "firm_nodes", file=links_path.name)
    orphans = sorted(set(links[C.FIRM_ID]) - set(firms[C.FIRM_ID]))
    if orphans:
        raise DataError(f"{links_path.name}: firm_id(s) not in {firms_path.name}: "
                        f"{', '.join(orphans[:5])}")
    links = links[C.FIRM_NODE_COLUMNS].astype(
        {C.FIRM_ID: "str", C.NODE_ID: "str", C.CONFIDENCE: "float64", C.EVIDENCE: "str",
         C.METHOD: "str"})
    if (folder / REFERENCE_FACTS_FILE).is_file():
        firms = _with_facts(firms, load_reference_facts(folder.parent, firm_ids=firms[C.FIRM_ID]))
    return firms, links


def load_reference_facts(data_dir: str | Path | None = None, *,
                         firm_ids=None) -> pd.DataFrame:
    """Read the reference firms' public facts: ``firm_id, fact, value, unit, year, source``.

    One row per firm and fact of :data:`REFERENCE_FACTS`; a fact that could not be found has
    an empty value and year and the source ``unknown``. Raises ``DataError`` naming the file
    and row when a fact or unit is not one of those, a known value has no year or no source,
    a number or flag does not parse, an unknown one carries a value, or (with ``firm_ids``)
    a firm is not a reference firm.
    """
    folder = (Path(data_dir) if data_dir is not None else paths.data_dir()) / "firms"
    path = folder / REFERENCE_FACTS_FILE
    table = read_table(path)
    _require_columns(table, [C.FIRM_ID, "fact", "value", "unit", "year", C.SOURCE], path.name)
    for i, row in enumerate(table.itertuples(index=False), start=2):
        expected = REFERENCE_FACTS.get(row.fact)
        unknown = str(row.source).strip() == UNKNOWN
        value = row.value if isinstance(row.value, str) else None
        problem = None
        if expected is None or row.unit != expected[1]:
            problem = f"fact {row.fact!r} in {row.unit!r} is not one of {sorted(REFERENCE_FACTS)}"
        elif unknown and value is not None:
            problem = "an unknown fact has a value"
        elif not unknown and (value is None or not str(row.year).isdigit()
                              or not isinstance(row.source, str)):
            problem = "a known fact needs a value, a year and a source"
        elif not unknown and expected[1] == "flag" and value not in ("true", "false"):
            problem = f"flag {value!r} is not true or false"
        elif not unknown and expected[1] != "flag" and pd.isna(pd.to_numeric(value, "coerce")):
            problem = f"{value!r} is not a number"
        if problem:
            raise DataError(f"{path.name}: row {i}: {problem}")
    if firm_ids is not None:
        strays = sorted(set(table[C.FIRM_ID]) - set(firm_ids))
        if strays:
            raise DataError(f"{path.name}: firm_id(s) not reference firms: {', '.join(strays[:5])}")
    return table.reset_index(drop=True)


def _with_facts(firms: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Fill the firms' fact columns from the known rows of ``facts``."""
    known = facts[facts[C.SOURCE] != UNKNOWN]
    out = firms.copy()
    at = pd.Index(out[C.FIRM_ID].astype(str))
    for fact, (column, unit) in REFERENCE_FACTS.items():
        rows = known[known["fact"] == fact]
        values = rows["value"].eq("true") if unit == "flag" else pd.to_numeric(rows["value"])
        position = at.get_indexer(rows[C.FIRM_ID].astype(str))
        series = out[column].astype(object)
        series.iloc[position] = values.to_numpy(object)
        out[column] = series.astype(out[column].dtype)
    from recommender.demo.universe import SIZE_BOUNDS_MUSD

    revenue = out[C.REVENUE].to_numpy(float)
    band = np.searchsorted(np.asarray(SIZE_BOUNDS_MUSD), revenue, side="right")
    sized = ~np.isnan(revenue) & out[C.SIZE_CLASS].isna().to_numpy()
    out.loc[sized, C.SIZE_CLASS] = np.asarray(C.SIZE_CLASSES, dtype=object)[band[sized]]
    return out


# --- reading and checking ---------------------------------------------------------------

def _read_region_yaml(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path.name}: cannot be read ({exc})") from exc
    if not isinstance(meta, dict):
        raise DataError(f"{path.name}: expected a mapping at the top level")
    missing = [k for k in _REQUIRED_KEYS if meta.get(k) in (None, "")]
    core = meta.get("core")
    if isinstance(core, dict):
        missing += [f"core.{k}" for k in ("lat", "lon") if core.get(k) is None]
    elif "core" not in missing:
        missing.append("core.lat, core.lon")
    if missing:
        raise DataError(f"{path.name}: missing key(s) {', '.join(missing)}")
    return meta


def _require_columns(df: pd.DataFrame, names: list[str], file: str) -> None:
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise DataError(f"{file}: missing column(s) {', '.join(missing)}")


def _validated(path: Path, schema: str) -> pd.DataFrame:
    """Read a region table and type it with its schema; text columns get the str dtype."""
    df = validate_table(read_table(path), schema, file=path.name)
    text = [c for c in df.columns if pd.api.types.is_string_dtype(df[c])
            and not pd.api.types.is_object_dtype(df[c])]
    return df.astype(dict.fromkeys(text, "str"))


def _illustrative(df: pd.DataFrame) -> pd.DataFrame:
    """Make ``is_illustrative`` a plain bool: a missing flag means the figure is not invented."""
    df[C.IS_ILLUSTRATIVE] = df[C.IS_ILLUSTRATIVE].fillna(False).astype(bool)
    return df


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Return int64 when no value is missing, else nullable Int64."""
    return values.astype("int64") if values.notna().all() else values.astype("Int64")


def _read_cities(path: Path) -> pd.DataFrame:
    raw = read_table(path)
    names = [C.CITY_ID, C.CITY_NAME_ZH, C.CITY_NAME_EN, C.LAT, C.LON, C.IN_GBA]
    _require_columns(raw, names, path.name)
    out = raw.copy()
    for name in (C.CITY_ID, C.CITY_NAME_ZH, C.CITY_NAME_EN):
        out[name] = out[name].astype("str").str.strip()
    for name in (C.LAT, C.LON, POPULATION_10K):
        if name not in out.columns:
            out[name] = pd.NA
        numbers = pd.to_numeric(out[name], errors="coerce")
        bad = numbers.isna() & out[name].notna()
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 2
            raise DataError(f"{path.name}: row {row}, column {name}: "
                            f"{out[name][bad].iloc[0]!r} is not a number")
        out[name] = numbers.astype("float64")
    if out[[C.LAT, C.LON]].isna().any().any():
        raise DataError(f"{path.name}: every city needs lat and lon")
    flags = out[C.IN_GBA].astype("str").str.strip().str.lower()
    if not flags.isin(["true", "false"]).all():
        raise DataError(f"{path.name}: column {C.IN_GBA} must be true or false in every row")
    out[C.IN_GBA] = flags == "true"
    if out[C.CITY_ID].duplicated().any():
        raise DataError(f"{path.name}: city_id "
                        f"{out.loc[out[C.CITY_ID].duplicated(), C.CITY_ID].iloc[0]!r} repeats")
    return out


def _check_cities(cities: pd.DataFrame, gba: list[str], parks: pd.DataFrame,
                  files: dict[str, str]) -> None:
    known = set(cities[C.CITY_ID])
    unknown = sorted(set(gba) - known)
    if unknown:
        raise DataError(f"{REGION_FILE}: gba_cities not in {files['cities']}: "
                        f"{', '.join(unknown)}")
    flagged = set(cities.loc[cities[C.IN_GBA], C.CITY_ID])
    if gba and flagged != set(gba):
        raise DataError(f"{files['cities']}: in_gba disagrees with {REGION_FILE} gba_cities "
                        f"for {', '.join(sorted(flagged ^ set(gba)))}")
    stray = sorted(set(parks[C.CITY_ID].dropna()) - known)
    if stray:
        raise DataError(f"{files['parks']}: city_id(s) not in {files['cities']}: "
                        f"{', '.join(stray)}")


def country_mix_path(chain_path: str | Path | None = None) -> Path:
    """The country-mix table beside a chain file: ``<chain>_country_mix.csv``."""
    chain_path = Path(chain_path) if chain_path is not None else paths.default_chain_path()
    return chain_path.with_name(f"{chain_path.stem}_country_mix.csv")


def load_country_mix(path: str | Path | None = None) -> pd.DataFrame:
    """Read where each node's product is made: ``node_id, country, share, source`` rows.

    The default is the table beside the default chain (:func:`country_mix_path`); how its
    figures were set is in ``data/README.md``. Raises ``DataError`` naming the file and row
    when a column is missing, a share is not in (0, 1], a row has no source, or a node's
    shares add up to more than 1.
    """
    path = Path(path) if path is not None else country_mix_path()
    table = read_table(path)
    missing = [c for c in COUNTRY_MIX_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path.name}: missing columns {missing}")
    share = pd.to_numeric(table["share"], errors="coerce")
    bad = share.isna() | (share <= 0) | (share > 1) | table[C.SOURCE].isna() \
        | ~table[C.COUNTRY].fillna("").str.fullmatch(r"[A-Z]{2}")
    if bad.any():
        row = int(bad.idxmax())
        raise DataError(f"{path.name}: row {row + 2}: needs a country code, a share in (0, 1] "
                        f"and a source")
    table = table.assign(share=share)[COUNTRY_MIX_COLUMNS]
    totals = table.groupby(C.NODE_ID)["share"].sum()
    if (totals > 1.000001).any():
        raise DataError(f"{path.name}: the shares of {totals.idxmax()!r} add up to "
                        f"{totals.max():.2f}, more than 1")
    return table.reset_index(drop=True)
