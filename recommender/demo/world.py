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

import pandas as pd
import yaml

from recommender import columns as C
from recommender import paths
from recommender.exceptions import DataError
from recommender.firms.ingest import firm_keys
from recommender.firms.schemas import validate_table
from recommender.firms.tables import read_table

__all__ = [
    "POPULATION_10K",
    "REFERENCE_FIRM_NODES_FILE",
    "REFERENCE_FIRMS_FILE",
    "REGION_FILE",
    "REGION_TABLES",
    "Region",
    "load_reference_firms",
    "load_region",
]

POPULATION_10K = "population_10k"  # cities: resident population, 10 000 people (2020 census)
REGION_FILE = "region.yaml"
REFERENCE_FIRMS_FILE = "reference_firms.csv"
REFERENCE_FIRM_NODES_FILE = "reference_firm_nodes.csv"
# table name -> default file name; region.yaml's ``tables`` mapping may rename the files
REGION_TABLES = {
    "cities": "cities.csv",
    "parks": "parks.csv",
    "imports": "imports.csv",
    "export_controls": "export_controls.csv",
    "leader_needs": "leader_needs.csv",
}
_REQUIRED_KEYS = ("id", "name_zh", "name_en", "country", "chain", "core", "radius_km")

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
        id=str(meta["id"]), name_zh=str(meta["name_zh"]), name_en=str(meta["name_en"]),
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
    return firms, links


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
