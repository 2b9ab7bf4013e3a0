"""Ingest: read firm and outcome files, validate them whole, normalise, geocode, classify, store.

One function per step, so the CLI, the service and the tests call the same code::

    read_table -> prepare_firms (map headers, normalise, key, geocode, classify, validate)
               -> store (one transaction, with an audit row in ``import_batches``)

A file with any bad row is rejected whole with a report naming file, row and column; nothing
is written. Re-importing the same file changes nothing: firms are keyed by their credit code,
or by their normalised name and country.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ValidationError
from recommender.firms.headers import FIRM_HEADERS, OUTCOME_HEADERS, looks_chinese, map_headers
from recommender.firms.merge import match_stored
from recommender.firms.schemas import HEADER_ROW_OFFSET, validate_table
from recommender.firms.tables import normalise_name, read_table

__all__ = [
    "CURRENCY_TO_CNY",
    "FORMATS",
    "WRITE_CHUNK",
    "IngestResult",
    "Progress",
    "export_firms",
    "file_sha256",
    "firm_ids",
    "firm_keys",
    "ingest_firms",
    "ingest_outcomes",
    "merge_rows",
    "normalise_firms",
    "parse_founded_year",
    "parse_registered_capital",
    "prepare_firms",
    "prepare_outcomes",
    "read_firm_source",
    "store_firms",
]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` during long work."""

WRITE_CHUNK = 50_000

# Approximate conversion of registered capital to yuan; the figure is a size signal only.
CURRENCY_TO_CNY = {"人民币": 1.0, "元": 1.0, "美元": 7.1, "港元": 0.91, "港币": 0.91,
                   "欧元": 7.7, "日元": 0.048, "英镑": 9.0, "新台币": 0.22}
_CAPITAL_RE = re.compile(
    r"([\d,.]+)\s*(亿|万)?\s*(元)?\s*(人民币|美元|港元|港币|欧元|日元|英镑|新台币)?"
)
_YEAR_RE = re.compile(r"(1[89]\d{2}|20\d{2})")


@dataclass
class IngestResult:
    """What an import did: counts per table, headers it ignored, and the audit batch id."""

    kind: str
    file: str
    rows: int
    counts: dict[str, int] = field(default_factory=dict)
    unmapped_headers: list[str] = field(default_factory=list)
    batch_id: int | None = None
    geocoding: dict | None = None
    merged: list[dict] = field(default_factory=list)  # a sample of rows merged into stored firms

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _noop(step: str, done: int, total: int) -> None:
    return None


def firm_keys(firms: pd.DataFrame) -> pd.Series:
    """Return the dedup key of each firm: ``cc:<credit code>`` or ``nm:<name>|<country>``."""
    code = firms[C.CREDIT_CODE].astype("string").str.strip().str.upper()
    by_name = ("nm:" + firms[C.NAME].astype("string").map(normalise_name, na_action="ignore")
               + "|" + firms[C.COUNTRY].astype("string"))
    return ("cc:" + code).where(code.notna() & (code != ""), by_name)


def firm_ids(keys: pd.Series) -> pd.Series:
    """Derive a stable firm id from each key (``f-`` and 12 hex digits of its SHA-1)."""
    return keys.map(lambda k: "f-" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:12],
                    na_action="ignore")


def parse_registered_capital(values: pd.Series) -> pd.Series:
    """Turn 注册资本 text such as ``5000万元人民币`` or ``1.2亿美元`` into yuan."""

    def one(text):
        if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
            return np.nan
        m = _CAPITAL_RE.search(str(text).replace(" ", ""))
        if not m:
            return np.nan
        try:
            number = float(m.group(1).replace(",", ""))
        except ValueError:
            return np.nan
        scale = {"亿": 1e8, "万": 1e4}.get(m.group(2) or "", 1.0)
        return number * scale * CURRENCY_TO_CNY.get(m.group(4) or "人民币", 1.0)

    return values.map(one).astype("float64")


def parse_founded_year(values: pd.Series) -> pd.Series:
    """Take the year out of 成立日期 text (``2003-05-12``, ``2003年5月``, ``2003``)."""
    years = values.astype("string").str.extract(_YEAR_RE, expand=False)
    return pd.to_numeric(years, errors="coerce").astype("Int64")


def _problem_error(kind: str, file: str, problems: list[dict]) -> ValidationError:
    return ValidationError(f"{kind}: {len(problems)} problem(s) in {file}; nothing was loaded",
                           problems)


def normalise_firms(raw: pd.DataFrame, *, file: str = "<frame>",
                    default_country: str | None = None,
                    source: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Map headers and normalise values; return firms in our columns and the unmapped headers.

    Chinese-header exports of domestic databases default to country CN.
    """
    from recommender.firms.countries import normalise_countries

    chinese = looks_chinese(raw.columns)
    df, unmapped = map_headers(raw, FIRM_HEADERS)
    if C.NAME not in df.columns:
        raise _problem_error("firms", file, [{"file": file, "row": 1, "column": "name",
                                              "message": "no firm-name column (企业名称 / name)"}])
    out = pd.DataFrame(index=df.index)
    for col in C.FIRM_COLUMNS:
        if col in df.columns:
            out[col] = df[col]
    if "founded" in df.columns:
        out[C.FOUNDED_YEAR] = parse_founded_year(df["founded"])
    if "registered_capital" in df.columns:
        out[C.REGISTERED_CAPITAL] = parse_registered_capital(df["registered_capital"])
    country_raw = out[C.COUNTRY] if C.COUNTRY in out.columns else pd.Series(pd.NA, index=df.index)
    fallback = default_country or ("CN" if chinese or C.CREDIT_CODE in out.columns else None)
    countries = normalise_countries(country_raw.astype("string"))
    given = country_raw.notna() & (country_raw.astype("string").str.strip() != "")
    unknown = given & countries.isna()
    if unknown.any():
        problems = [{"file": file, "row": int(i) + HEADER_ROW_OFFSET, "column": C.COUNTRY,
                     "message": f"{country_raw.iloc[i]!r} is not a country we know"}
                    for i in np.flatnonzero(unknown.to_numpy())[:1000]]
        raise _problem_error("firms", file, problems)
    out[C.COUNTRY] = countries.fillna(fallback) if fallback else countries
    out[C.NAME] = out[C.NAME].astype("string").str.strip()
    if C.CREDIT_CODE not in out.columns:
        out[C.CREDIT_CODE] = pd.NA
    keys = firm_keys(out)
    if C.FIRM_KEY in out.columns:  # a source with keys of its own (listings: ISIN or symbol)
        given = out[C.FIRM_KEY].astype("string")
        keys = given.where(given.notna() & (given.str.strip() != ""), keys)
    out[C.FIRM_KEY] = keys
    if C.FIRM_ID not in out.columns:
        out[C.FIRM_ID] = firm_ids(out[C.FIRM_KEY])
    out[C.SOURCE] = source or file
    out[C.IS_SYNTHETIC] = False
    for col in C.FIRM_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    return out[C.FIRM_COLUMNS], unmapped


def prepare_firms(raw: pd.DataFrame, chain, *, file: str = "<frame>",
                  default_country: str | None = None, source: str | None = None,
                  classifier=None,
                  progress: Progress = _noop) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Normalise, geocode, validate and classify a raw firm table.

    Returns the firms, their chain-node links and the unmapped headers. Links come from the
    chain's keywords, or from a fitted ``NodeClassifier`` when one is given (its links carry
    method ``classifier``, or ``keyword`` for nodes it leaves to the keywords).
    Raises ``ValidationError`` naming file, row and column if any row is bad.
    """
    from recommender.firms.geocode import geocode_frame
    from recommender.firms.keywords import assign_nodes_by_keywords

    total = len(raw)
    progress("normalise", 0, total)
    firms, unmapped = normalise_firms(raw, file=file, default_country=default_country,
                                      source=source)
    progress("validate", 0, total)
    firms = validate_table(firms, "firms", file=file)
    progress("geocode", 0, total)
    firms = geocode_frame(firms)
    progress("classify", 0, total)
    texts = firms[C.BUSINESS_SCOPE].fillna("")
    links = (assign_nodes_by_keywords(texts, chain) if classifier is None
             else classifier.predict(texts))
    links[C.FIRM_ID] = firms[C.FIRM_ID].loc[links["row"]].to_numpy()
    links = links[C.FIRM_NODE_COLUMNS].reset_index(drop=True)
    progress("classify", total, total)
    return firms, links, unmapped


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_firms(store, firms: pd.DataFrame, links: pd.DataFrame, *, kind: str, file: str,
                sha256: str | None = None, progress: Progress = _noop,
                link_methods: tuple[str, ...] | None = None,
                merges: pd.DataFrame | None = None) -> tuple[dict[str, int], int]:
    """Write firms and their node links in one transaction, with an audit row.

    The firms' links of each method in ``link_methods`` are replaced by the new ones (links of
    other methods, such as reference links, stay); ``None`` replaces all their links. A firm
    whose nodes a person corrected (:mod:`recommender.store.corrections`) keeps the links it
    has: the import updates its other fields only. ``merges`` (of
    :func:`recommender.firms.merge.match_stored`) names rows that are firms already stored:
    those are not added but merged (see :func:`merge_rows`).

    Returns the counts (inserted, updated, unchanged, merged, links) and the batch id.
    """
    batch = store.record_batch(kind=kind, file=file, sha256=sha256, rows=len(firms))
    counts = {"inserted": 0, "updated": 0, "unchanged": 0, "merged": 0}
    merged = None
    if merges is not None and len(merges):
        rows = merges["row"].to_numpy()
        merged = (firms.iloc[rows], links[links[C.FIRM_ID].isin(firms[C.FIRM_ID].iloc[rows])],
                  merges)
        links = links[~links[C.FIRM_ID].isin(firms[C.FIRM_ID].iloc[rows])]
        firms = firms.drop(firms.index[rows])
    try:
        with store.transaction() as conn:
            for start in range(0, len(firms), WRITE_CHUNK):
                part = firms.iloc[start:start + WRITE_CHUNK]
                for key, value in store.upsert_firms(part, conn=conn).items():
                    counts[key] = counts.get(key, 0) + value
                progress("store", min(start + WRITE_CHUNK, len(firms)), len(firms))
            # ids of firms that already existed under the same key are kept by the store
            id_map, links = _stored_ids(store, firms, links, all_new=counts["inserted"] == len(
                firms), conn=conn)
            corrected = store.corrected_firm_ids(conn=conn)
            ids = [i for i in id_map.values() if i not in corrected]
            links = links[~links[C.FIRM_ID].isin(corrected)]
            for method in link_methods or (None,):
                part = links if method is None else links[links[C.METHOD] == method]
                store.replace_firm_nodes(part, firm_ids=ids, method=method, conn=conn)
            counts["links"] = len(links)
            counts["corrected_kept"] = len(id_map) - len(ids)
            if merged is not None:
                counts.update(merge_rows(store, *merged, source=file, conn=conn))
    except Exception as exc:
        store.finish_batch(batch, status="failed", message=str(exc))
        raise
    store.finish_batch(batch, status="ok", **{k: counts[k] for k in
                                              ("inserted", "updated", "unchanged")})
    return counts, batch


def _stored_ids(store, firms: pd.DataFrame, links: pd.DataFrame, *, all_new: bool, conn
                ) -> tuple[dict[str, str], pd.DataFrame]:
    """``({firm_key: stored firm_id}, links)``: the id each firm has in the store, and the links
    with the stored ids. When every firm was new (``all_new``: a first load) and came with an
    id, the store took those ids: nothing is read back, and links to these firms keep theirs."""
    ids, linked = firms[C.FIRM_ID], links[C.FIRM_ID]
    if (all_new and isinstance(ids.dtype, pd.StringDtype) and ids.notna().all()
            and isinstance(linked.dtype, pd.StringDtype)
            and pc.all(pc.is_in(pa.array(linked), value_set=pa.array(ids).cast(
                pa.array(linked).type))).as_py()):
        return dict(zip(firms[C.FIRM_KEY].tolist(), ids.tolist(), strict=True)), links
    id_map = store.firm_ids_by_key(firms[C.FIRM_KEY].tolist(), conn=conn)
    return id_map, links.assign(**{C.FIRM_ID: linked.map(
        dict(zip(ids, firms[C.FIRM_KEY].map(id_map), strict=True)))})


def merge_rows(store, firms: pd.DataFrame, links: pd.DataFrame, merges: pd.DataFrame, *,
               source: str, conn) -> dict[str, int]:
    """Merge incoming rows into the stored firms they are, inside the caller's transaction.

    Each stored firm keeps its id and every value it has; its empty fields take the rows'
    values, each recorded as coming from ``source``; it gains the rows' chain nodes it lacks
    (links of a firm whose nodes a person corrected stay as they are).
    Returns the counts ``merged``, ``filled`` (fields) and ``merged_links``.
    """
    from recommender.firms.merge import TARGET_KEY, fill_missing

    id_of = store.firm_ids_by_key(sorted(set(merges[TARGET_KEY])), conn=conn)
    targets = merges[TARGET_KEY].map(id_of).set_axis(firms.index)
    stored = store.firms(firm_ids=sorted(set(targets)), conn=conn)
    changed, filled = fill_missing(stored, firms, targets)
    if len(changed):
        store.upsert_firms(changed, conn=conn)
        store.record_firm_sources(filled.assign(**{C.SOURCE: source,
                                                   "as_of": pd.Timestamp.now("UTC").date()}),
                                  conn=conn)
    ids = [i for i in dict.fromkeys(targets) if i not in store.corrected_firm_ids(conn=conn)]
    new = links.assign(**{C.FIRM_ID: links[C.FIRM_ID].map(
        dict(zip(firms[C.FIRM_ID], targets, strict=True)))})
    new = new[new[C.FIRM_ID].isin(ids)]
    have = store.firm_nodes(firm_ids=ids, conn=conn)
    pairs = pd.MultiIndex.from_frame(have[[C.FIRM_ID, C.NODE_ID]])
    new = new[~pd.MultiIndex.from_frame(new[[C.FIRM_ID, C.NODE_ID]]).isin(pairs)]
    new = new.sort_values(C.CONFIDENCE, ascending=False).drop_duplicates([C.FIRM_ID, C.NODE_ID])
    for method in sorted(set(new[C.METHOD])):
        part = pd.concat([have[have[C.METHOD] == method], new[new[C.METHOD] == method]])
        store.replace_firm_nodes(part, firm_ids=sorted(set(part[C.FIRM_ID])), method=method,
                                 conn=conn)
    return {"merged": len(firms), "filled": len(filled), "merged_links": len(new)}


FORMATS = ("table", "listing")


def read_firm_source(path: str | Path, *, format: str = "table") -> pd.DataFrame:
    """Read a firm file: ``table`` (a firm-database export) or ``listing`` (public listings).

    A listing keeps its symbol, ISIN and website, turns its market-cap class into
    ``size_class``, and keys each firm by ISIN, else by symbol.
    """
    if format not in FORMATS:
        raise InvalidArgument(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if format == "table":
        return read_table(path)
    from recommender.firms.listings import listing_key, read_listing

    listing = read_listing(path, file=Path(path).name)
    return listing.assign(**{C.FIRM_KEY: listing_key(listing)})


def ingest_firms(path: str | Path, store, chain, *, default_country: str | None = None,
                 progress: Progress = _noop, dry_run: bool = False,
                 format: str = "table", classifier=None) -> IngestResult:
    """Import a firm file into the store: all rows land, or none do.

    Parameters
    ----------
    path : CSV, XLSX or Parquet with Chinese or English headers.
    format : ``table`` (firm-database exports) or ``listing`` (public stock listings).
    classifier : a fitted ``recommender.firms.node_classifier.NodeClassifier``; default: keywords.
    store : an open ``recommender.store.Store``.
    chain : the ``Chain`` whose keywords assign firms to nodes.
    dry_run : validate and report, write nothing.

    Examples
    --------
    >>> ingest_firms("firms.xlsx", store, chain).counts  # doctest: +SKIP
    {'inserted': 120, 'updated': 0, 'unchanged': 0, 'links': 210}
    """
    from recommender.firms.geocode import geocode_report

    path = Path(path)
    progress("read", 0, 0)
    raw = read_firm_source(path, format=format)
    firms, links, unmapped = prepare_firms(raw, chain, file=path.name,
                                           default_country=default_country,
                                           source=path.name, classifier=classifier,
                                           progress=progress)
    if format == "listing":  # the listing reader writes the source column itself
        unmapped = [header for header in unmapped if header != C.SOURCE]
    result = IngestResult("firms", path.name, len(firms), unmapped_headers=unmapped,
                          geocoding=geocode_report(firms))
    if dry_run:
        result.counts = {"valid": len(firms), "links": len(links)}
        return result
    merges = match_stored(firms, store.firms())
    result.merged = _merge_sample(firms, merges, store)
    result.counts, result.batch_id = store_firms(
        store, firms, links, kind="firms", file=path.name, sha256=file_sha256(path),
        progress=progress, link_methods=("keyword", "classifier"), merges=merges)
    return result


def _merge_sample(firms: pd.DataFrame, merges: pd.DataFrame, store, size: int = 10) -> list:
    """A few merged rows, as ``{name, into, firm_id, basis}``, for the import summary."""
    from recommender.firms.merge import BASIS

    head = merges.dropna(subset=[C.FIRM_ID]).head(size)
    names = store.firms(firm_ids=head[C.FIRM_ID].tolist()).set_index(C.FIRM_ID)[C.NAME]
    return [{"name": firms[C.NAME].iloc[r], "into": names.get(f), C.FIRM_ID: f, "basis": b}
            for r, f, b in zip(head["row"], head[C.FIRM_ID], head[BASIS], strict=True)]


def prepare_outcomes(raw: pd.DataFrame, *, file: str, known_nodes, known_firms) -> pd.DataFrame:
    """Validate an outcome history; every firm id must exist and every node be in the chain."""
    df, _ = map_headers(raw, OUTCOME_HEADERS)
    out = validate_table(df, "outcomes", file=file, known_nodes=known_nodes)
    known_firms = set(known_firms)
    unknown = ~out[C.FIRM_ID].isin(known_firms).to_numpy(dtype=bool)
    if unknown.any():
        problems = [{"file": file, "row": int(i) + HEADER_ROW_OFFSET, "column": C.FIRM_ID,
                     "message": f"{out[C.FIRM_ID].iloc[i]!r} is not a firm in the store"}
                    for i in np.flatnonzero(unknown)[:1000]]
        raise _problem_error("outcomes", file, problems)
    return out


def ingest_outcomes(path: str | Path, store, chain, *, dry_run: bool = False) -> IngestResult:
    """Import an outcome history (firm_id, node_id, campaign_id, date, stage 0-4), whole or not."""
    path = Path(path)
    raw = read_table(path)
    out = prepare_outcomes(raw, file=path.name, known_nodes=chain.node_ids,
                           known_firms=store.firm_id_set())
    result = IngestResult("outcomes", path.name, len(out))
    if dry_run:
        result.counts = {"valid": len(out)}
        return result
    batch = store.record_batch(kind="outcomes", file=path.name, sha256=file_sha256(path),
                               rows=len(out))
    try:
        out = out.assign(source=path.name)
        with store.transaction() as conn:
            result.counts = store.add_outcomes(out, conn=conn)
    except Exception as exc:
        store.finish_batch(batch, status="failed", message=str(exc))
        raise
    store.finish_batch(batch, status="ok", inserted=result.counts.get("inserted", 0),
                       unchanged=result.counts.get("duplicate", 0))
    result.batch_id = batch
    return result


def export_firms(store, out: str | Path) -> Path:
    """Write firm profiles with their ids, chain nodes and attributes to Parquet or CSV."""
    out = Path(out)
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise InvalidArgument(f"{out.name}: export to .parquet or .csv")
    firms = store.firms()
    links = store.firm_nodes()
    nodes = (links.sort_values([C.FIRM_ID, C.CONFIDENCE], ascending=[True, False])
             .groupby(C.FIRM_ID)[C.NODE_ID].agg(lambda s: ";".join(dict.fromkeys(s))))
    firms = firms.assign(node_ids=firms[C.FIRM_ID].map(nodes).fillna(""))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        firms.to_parquet(out, index=False)
    else:
        firms.to_csv(out, index=False, encoding="utf-8-sig")
    return out
