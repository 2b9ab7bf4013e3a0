"""A deterministic synthetic universe of instrument firms and a simulated investment history.

``generate_world`` draws firm profiles (country, city, size, R&D, patents, China presence) and
their chain nodes (:mod:`recommender.demo.universe`), names and a business-scope text from
which a keyword classifier can recover the nodes (:mod:`recommender.demo.texts`), then hands
over to :mod:`recommender.demo.history` for the campaigns, the outcomes and the ground truth.
Reference firms (real names) join the universe unchanged: they can be contacted, but no figure
is invented on their rows. Every draw comes from generators spawned off
``numpy.random.default_rng(seed)``, so a seed fixes the world. The model and all its
parameters are documented in ``data/README.md`` ("The synthetic generator").
:func:`write_world` and :func:`read_world` keep a world as Parquet files.

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
from recommender.demo.chain_index import ChainIndex
from recommender.demo.history import DECLINE_AFTER_DAYS, simulate_history
from recommender.demo.latent import LATENT_INPUTS, distance_to_core
from recommender.demo.texts import firm_names, join_text, scope_texts, take_text
from recommender.demo.universe import (
    GEO_JITTER_DEG,
    INDUSTRY_CODES,
    LOCAL_SHARE,
    RD_MEDIAN,
    SIZE_BOUNDS_MUSD,
    assign_nodes,
    city_table,
    country_table,
    draw_category,
    draw_presence,
    draw_profiles,
    node_country_probabilities,
    region_province,
    segment_probabilities,
    segment_shares,
)
from recommender.exceptions import DataError, InvalidArgument

__all__ = [
    "DemoWorld", "GENERATOR_VERSION", "PLAIN_COLUMNS", "SIZE_LEAD", "SIZE_LEAD_CLIP", "TABLES",
    "WRITE_ROWS", "generate_world",
    "read_world", "reference_firms", "synthetic_firms", "synthetic_link_frame", "write_world",
]

GENERATOR_VERSION = "2.1"
# a node's leading countries host its larger makers: median head count x lead ** SIZE_LEAD,
# lead = the country's share among the node's firms / its world share, clipped
SIZE_LEAD, SIZE_LEAD_CLIP = 0.5, (0.25, 6.0)
TABLES = ("firms", "firm_nodes", "campaigns", "outcomes", "truth")
WRITE_ROWS = 4_000_000  # rows converted to Arrow and written at a time
# columns written without a Parquet dictionary: the truth's firm ids (every firm, tens of
# times over) overflow any dictionary page, and trying costs more than it saves
PLAIN_COLUMNS = {"truth": (C.FIRM_ID,)}
_META_KEY = b"chainscout.demo"


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


# --- the world ------------------------------------------------------------------------------

def _check_arguments(n_firms, seed, start, end, n_campaigns) -> tuple[pd.Timestamp, pd.Timestamp]:
    if isinstance(n_firms, bool) or not isinstance(n_firms, (int, np.integer)) or n_firms < 1:
        raise InvalidArgument(f"n_firms must be a positive integer, got {n_firms!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidArgument(f"seed must be a non-negative integer, got {seed!r}")
    try:
        t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"start and end must be dates, got {start!r} and {end!r}") from exc
    if t1 - t0 < pd.Timedelta(days=2 * DECLINE_AFTER_DAYS):
        raise InvalidArgument(f"the window {t0.date()} .. {t1.date()} is too short for a history")
    if n_campaigns is not None and (not isinstance(n_campaigns, (int, np.integer))
                                    or n_campaigns < 1):
        raise InvalidArgument(f"n_campaigns must be a positive integer or None, "
                              f"got {n_campaigns!r}")
    return t0, t1


def _load_defaults(chain, region, reference, country_mix):
    from recommender.demo import world

    if chain is None:
        from recommender.chain import load_chain
        chain = load_chain()
    region = world.load_region() if region is None else region
    reference = world.load_reference_firms() if reference is None else reference
    country_mix = world.load_country_mix() if country_mix is None else country_mix
    return chain, region, reference, country_mix


def synthetic_firms(rngs, n: int, ix: ChainIndex, region, progress,
                    country_mix: pd.DataFrame) -> tuple:
    """Return (firms, links, latent inputs) of ``n`` synthetic firms, rows 0..n-1.

    A share ``LOCAL_SHARE`` of the firms make up the region's own cluster: Chinese firms in
    the region's cities, their segment by China's strengths. The others are the world's
    makers: the primary node is drawn first (segment by :func:`segment_shares`, node uniform
    within it), then the home country from the node's row of ``country_mix``, then a city
    among that country's hubs outside the region.
    """
    r_firm, r_node, r_text, r_name = rngs
    progress("firms")
    countries = country_table()
    codes = countries[C.COUNTRY].to_numpy(object)
    cn = list(codes).index("CN")
    seg_p = segment_probabilities(codes, ix.segments, ix.segment_stage)
    world = segment_shares(codes, countries["share"].to_numpy(), ix.segments, ix.segment_stage)
    at_home = r_firm.random(n) < LOCAL_SHARE
    segment = np.where(at_home, draw_category(r_firm, np.cumsum(seg_p[cn])[None, :],
                                              np.zeros(n, int)),
                       draw_category(r_firm, np.cumsum(world)[None, :], np.zeros(n, int)))
    primary = ix.random_in_segment(r_firm, segment)
    by_node = node_country_probabilities(country_mix, ix.node_ids, codes,
                                         countries["share"].to_numpy())
    country = np.where(at_home, cn, draw_category(r_firm, np.cumsum(by_node, axis=1), primary))
    country_code = codes[country]
    cities = city_table(region)
    city_country = cities[C.COUNTRY].to_numpy(object)
    city_local = cities["local"].to_numpy(bool)
    city = np.empty(n, np.int64)
    for k, code in enumerate(codes):  # one vectorised draw per country and locality
        for home in (False, True):
            at = np.flatnonzero((country == k) & (at_home == home))
            pool = np.flatnonzero((city_country == code) & (city_local == home))
            if len(at) == 0 or len(pool) == 0:
                continue
            w = cities["weight"].to_numpy()[pool]
            city[at] = pool[draw_category(r_firm, np.cumsum(w / w.sum())[None, :],
                                          np.zeros(len(at), int))]
    lat = np.round(cities[C.LAT].to_numpy()[city] + r_firm.normal(0, GEO_JITTER_DEG, n), 5)
    lon = np.round(cities[C.LON].to_numpy()[city] + r_firm.normal(0, GEO_JITTER_DEG, n), 5)
    local = cities["local"].to_numpy(bool)[city]
    seg_cum = np.cumsum(seg_p, axis=1)
    rd_median = np.array([RD_MEDIAN.get(s, 0.06) for s in ix.segments])
    rpe = countries["revenue_per_employee"].to_numpy()
    lead = np.where(at_home, 1.0, by_node[primary, country]
                    / (countries["share"].to_numpy()[country] / countries["share"].sum()))
    log_emp_mu = np.log(55) + SIZE_LEAD * np.log(np.clip(lead, *SIZE_LEAD_CLIP))
    p = draw_profiles(r_firm, rpe[country], rd_median[segment], country_code == "CN",
                      log_emp_mu=log_emp_mu)
    dist = distance_to_core(lat, lon, region)
    in_china, in_gba = draw_presence(r_firm, p, country_code, local,
                                     cities[C.IN_GBA].to_numpy(bool)[city], dist)
    progress("nodes")
    links = assign_nodes(r_node, segment, country, seg_cum, ix, primary=primary)
    progress("text")
    chinese = pd.Series(country_code).isin(["CN", "TW", "HK"]).to_numpy()
    scope, evidence = scope_texts(r_text, links, n, chinese, ix)
    node_industry = [INDUSTRY_CODES.get(ix.segments[ix.segment_of[v]],
                                        INDUSTRY_CODES.get(ix.node_ids[v], "4090"))
                     for v in range(ix.n)]
    primary = links.loc[links["rank"] == 0, "node"].to_numpy()
    name, name_zh = firm_names(r_name, country, list(codes), segment, ix.segments, city, cities,
                               p[C.IS_LISTED])
    ids = join_text("syn-", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()),
                                         7, "0"))
    capital = np.round(p[C.REVENUE] * 7.1e6 * 0.3 * np.exp(r_firm.normal(0, 0.8, n)), -4)
    revenue_class = np.searchsorted(np.asarray(SIZE_BOUNDS_MUSD), p[C.REVENUE], side="right")
    text = {
        C.FIRM_ID: ids, C.FIRM_KEY: ids, C.NAME: name, C.NAME_ZH: name_zh,
        C.COUNTRY: take_text(list(codes), country),
        C.PROVINCE: take_text(cities[C.PROVINCE], city), C.CITY: take_text(cities[C.CITY], city),
        C.GEO_QUALITY: take_text(["exact"], np.zeros(n, int)),
        C.SIZE_CLASS: take_text(C.SIZE_CLASSES, revenue_class),
        C.INDUSTRY_CODE: take_text(node_industry, primary), C.BUSINESS_SCOPE: scope,
        C.SOURCE: take_text(["synthetic"], np.zeros(n, int)),
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
                           **{k: p[k] for k in LATENT_INPUTS if k in p},
                           "local": local, "famous": False})[LATENT_INPUTS
                                                             + ["local", "famous"]]
    return firms, links, latent


def reference_firms(rng, firms: pd.DataFrame, links: pd.DataFrame, ix: ChainIndex,
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
    segment = draw_category(rng, np.cumsum(base)[None, :], np.zeros(m, int))
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
    for k in LATENT_INPUTS[1:]:
        if k in (C.IS_LISTED, C.IN_CHINA, C.IN_GBA):
            continue
        known = pd.to_numeric(rows[k].astype(object), errors="coerce").to_numpy(float)
        latent[k] = np.where(np.isnan(known), shadow[k], known)
    region_names = set(region.cities[C.CITY_NAME_EN]) | set(region.cities[C.CITY_NAME_ZH])
    local = (country_code == "CN") & (rows[C.CITY].isin(region_names)
                                      | (rows[C.PROVINCE] == region_province(region))).to_numpy()
    gba_names = region.cities.loc[region.cities[C.IN_GBA].fillna(False).astype(bool),
                                  [C.CITY_NAME_EN, C.CITY_NAME_ZH]]
    city_gba = (local & rows[C.CITY].isin(set(gba_names.stack())).to_numpy()) \
        | (country_code == "HK")
    dist = distance_to_core(latent[C.LAT], latent[C.LON], region)
    drawn_china, drawn_gba = draw_presence(
        rng, {C.EMPLOYEES: latent[C.EMPLOYEES].to_numpy(),
              C.INTL_COUNTRIES: latent[C.INTL_COUNTRIES].to_numpy()},
        country_code, local, city_gba, np.nan_to_num(dist, nan=10_000.0))
    for k, drawn in ((C.IS_LISTED, shadow[C.IS_LISTED]), (C.IN_CHINA, drawn_china),
                     (C.IN_GBA, drawn_gba)):
        known = rows[k].astype("boolean")
        latent[k] = np.where(known.isna().to_numpy(), drawn,
                             known.fillna(False).to_numpy(bool))
    latent = latent[LATENT_INPUTS]
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
                   n_campaigns: int | None = None, country_mix: pd.DataFrame | None = None,
                   progress=None) -> DemoWorld:
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
    country_mix : where each node's product is made (``node_id, country, share`` rows, see
        ``recommender.demo.world.load_country_mix``); the embedded table when None.
    progress : called with the name of each phase as it starts (firms, nodes, text,
        history, assemble).

    Raises
    ------
    InvalidArgument
        Naming ``n_firms``, ``seed``, ``start``/``end`` or ``n_campaigns`` when one is out of
        range (a window shorter than two decline periods is too short for a history).
    DataError
        If no firm outside the region is active in the chain (nobody to contact).

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
    chain, region, reference, country_mix = _load_defaults(chain, region, reference,
                                                           country_mix)
    ref_firms, ref_links = reference
    ix = ChainIndex.from_chain(chain)
    rngs = np.random.default_rng(seed).spawn(6)
    syn, syn_links, syn_latent = synthetic_firms(rngs[:4], int(n_firms), ix, region, progress,
                                                 country_mix)
    ref, ref_links, ref_latent = reference_firms(rngs[4], ref_firms, ref_links, ix, region,
                                                 offset=int(n_firms))
    progress("history")
    pa.default_memory_pool().release_unused()  # the texts' Arrow scratch, back to the system
    latent = pd.concat([syn_latent, ref_latent], ignore_index=True)
    del syn_latent, ref_latent
    used = ["firm", "node", C.CONFIDENCE]  # what the history reads of the links
    links = pd.concat([syn_links[used], ref_links[used]], ignore_index=True)
    # large_string, as the "str" columns made of it hold it: taking ids copies no offsets
    firm_ids = pa.concat_arrays([pa.array(syn[C.FIRM_ID]).cast(pa.large_string()),
                                 pa.array(ref[C.FIRM_ID].astype(str).tolist(),
                                          pa.large_string())])
    sim = simulate_history(rngs[5], latent, links, firm_ids, ix, region, t0, t1,
                           n_campaigns=n_campaigns)
    del latent, links
    progress("assemble")
    firms = _firm_frame(ref, syn)
    firm_nodes = synthetic_link_frame(firm_ids, syn_links, ix)
    if len(ref_firms):
        given = reference[1].reindex(columns=C.FIRM_NODE_COLUMNS).astype(firm_nodes.dtypes)
        firm_nodes = pd.concat([given, firm_nodes], ignore_index=True)
    params = {"version": GENERATOR_VERSION, "seed": int(seed), "n": int(n_firms),
              "n_reference": len(ref), "start": str(t0.date()), "end": str(t1.date()),
              **sim.params}
    return DemoWorld(firms, firm_nodes, sim.campaigns, sim.outcomes, sim.truth, params)


# --- Parquet --------------------------------------------------------------------------------


def synthetic_link_frame(firm_ids: pa.Array, links: pd.DataFrame, ix: ChainIndex) -> pd.DataFrame:
    """The firm-node table of synthetic firms: ``links`` (firm and node positions, confidence,
    evidence) with the firms' ids and the nodes' ids, method "synthetic"."""
    return pd.DataFrame({
        C.FIRM_ID: pd.array(firm_ids.take(pa.array(links["firm"].to_numpy())), dtype="str"),
        C.NODE_ID: pd.array(take_text(ix.node_ids, links["node"].to_numpy()), dtype="str"),
        C.CONFIDENCE: links[C.CONFIDENCE].to_numpy(float),
        C.EVIDENCE: links[C.EVIDENCE].array,
        C.METHOD: pd.array(take_text(["synthetic"], np.zeros(len(links), int)), dtype="str"),
    })

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
        path = out / f"{name}.parquet"
        tmp = path.with_name(f".{path.name}.tmp")
        writer = None
        # a slice at a time, so that a large table (the truth) never has a whole Arrow copy
        for start in range(0, max(len(frame), 1), WRITE_ROWS):
            table = pa.Table.from_pandas(frame.iloc[start:start + WRITE_ROWS],
                                         preserve_index=False)
            if writer is None:
                schema = table.schema.with_metadata({**(table.schema.metadata or {}),
                                                     _META_KEY: meta})
                plain = PLAIN_COLUMNS.get(name, ())
                writer = pq.ParquetWriter(tmp, schema, compression="zstd", use_dictionary=[
                    n for n in schema.names if n not in plain] if plain else True)
            writer.write_table(table.replace_schema_metadata(schema.metadata))
        writer.close()
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
