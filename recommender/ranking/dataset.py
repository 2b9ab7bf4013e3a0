"""Everything the ranking steps read about one chain and one region, in one immutable bundle.

:class:`ChainData` holds the chain, the region (with its imports, export controls and leader
needs), the firms and their chain nodes, the campaigns and outcomes of the region, the store's
data version and, for the demo world only, the synthetic ground truth. Candidates, features,
the prior, the ranker and its evaluation all take a ``ChainData``; nothing in it is mutated, a
new outcome gives a new bundle (:func:`with_outcomes`). What building features reads of a
bundle is computed once and kept on it (:attr:`ChainData.feature_context`).

>>> data = chain_data_from_world(generate_world(n_firms=500, seed=1),      # doctest: +SKIP
...                              chain=load_chain(), region=load_region())
>>> len(data.campaigns), data.truth is not None                          # doctest: +SKIP
(264, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError, InvalidArgument
from recommender.firms.schemas import validate_table
from recommender.ranking.feature_context import FeatureContext

__all__ = ["LEAN_FIRM_COLUMNS", "LEAN_LINK_COLUMNS", "ChainData", "chain_data_from_world",
           "load_chain_data", "outcome_model_of", "with_firm_partition", "with_outcomes"]

# region tables the store may hold for a region: store name -> Region attribute
_STORE_REGION_TABLES = {"imports": "imports", "export_controls": "export_controls",
                        "leader_needs": "leader_needs"}
# The firm columns that ranking, diagnosis, park matching and the served lists and exports read:
# every one but the business scope (the bulk of a firm's row: 150 MB a million firms), the
# import key, the geocoding quality and the industry code, which only a firm's own page shows
# (read from the store for that firm) and imports compare. A server reads these alone.
LEAN_FIRM_COLUMNS = tuple(c for c in C.FIRM_COLUMNS if c not in (
    C.BUSINESS_SCOPE, C.FIRM_KEY, C.GEO_QUALITY, C.INDUSTRY_CODE))
# The link columns they read: a link's evidence and method are shown on the firm's page alone.
LEAN_LINK_COLUMNS = (C.FIRM_ID, C.NODE_ID, C.CONFIDENCE)


@dataclass(frozen=True, eq=False)
class ChainData:
    """The inputs of ranking for one chain and one region.

    Attributes
    ----------
    chain : recommender.chain.Chain
    region : recommender.demo.world.Region
        Identity, core, cities and the region's tables (imports, export controls, leader
        needs).
    firms : DataFrame
        One row per firm, columns ``FIRM_COLUMNS`` (those of ``load_chain_data``'s
        ``firm_columns`` when it was given, e.g. :data:`LEAN_FIRM_COLUMNS`).
    firm_nodes : DataFrame
        Firm-node links, columns ``FIRM_NODE_COLUMNS`` (or ``load_chain_data``'s
        ``link_columns``, e.g. :data:`LEAN_LINK_COLUMNS`).
    campaigns : DataFrame
        The region's campaigns: ``campaign_id``, ``node_id``, ``date`` (datetime64) and
        whatever else the source gives.
    outcomes : DataFrame
        One row per recorded outcome: ``firm_id``, ``node_id``, ``campaign_id``, ``date``
        (datetime64), ``stage`` (int64, 0..4).
    data_version : int
        The store's data version the bundle was read at (0 for a world never stored).
    truth : DataFrame or None
        The synthetic ground truth (``campaign_id``, ``firm_id``, ``node_id``,
        ``true_utility``) of a demo world; None for data read from a store. Used only to
        evaluate on the demo, never as a feature.
    outcome_model : mapping or None
        How the demo world turns a true utility into an outcome stage: ``thresholds`` (the
        four stage thresholds) and ``noise_sd`` (the contact noise); from the generator's
        ``params``. With ``truth``, it lets an evaluation grade every candidate of a campaign,
        contacted or not (``recommender.ranking.evaluation``). None for data read from a store.
    shortlists : DataFrame or None
        The firms officers saw for each campaign (``campaign_id``, ``node_id``, ``firm_id``):
        the pipeline's 线索 lead stage (:func:`load_chain_data` reads every project of a
        campaign that was ever at it). The pool that ``recommender.ranking.selection`` samples
        uncontacted firms from, and estimates the propensity of contact on; None when not
        recorded (every live candidate of the node then stands for the shortlist). A demo
        world records none: its officers choose among every candidate of the node not
        contacted in the year before (``recommender.demo.history``), which is that fallback
        pool; written out it would be as long as the truth table.
    """

    chain: object
    region: object
    firms: pd.DataFrame
    firm_nodes: pd.DataFrame
    campaigns: pd.DataFrame
    outcomes: pd.DataFrame
    data_version: int = 0
    truth: pd.DataFrame | None = None
    outcome_model: Mapping | None = None
    shortlists: pd.DataFrame | None = None
    # built on first use by feature_context; not an argument, never copied by replace()
    _feature_context: FeatureContext | None = field(default=None, init=False, compare=False,
                                                    repr=False)

    @property
    def feature_context(self) -> FeatureContext:
        """The firm and node arrays that building features reads, computed once per bundle.

        Built on first use and kept on the bundle (its tables are never mutated); a new bundle,
        from :func:`with_outcomes` or a new read, builds its own. See
        :mod:`recommender.ranking.feature_context`.
        """
        if self._feature_context is None:  # frozen: set once, the dataclass way around it
            object.__setattr__(self, "_feature_context", FeatureContext.of(self))
        return self._feature_context

    def __repr__(self) -> str:
        return (f"ChainData(chain={getattr(self.chain, 'id', '?')!r}, "
                f"region={getattr(self.region, 'id', '?')!r}, firms={len(self.firms)}, "
                f"links={len(self.firm_nodes)}, campaigns={len(self.campaigns)}, "
                f"outcomes={len(self.outcomes)}, data_version={self.data_version}, "
                f"truth={'yes' if self.truth is not None else 'no'})")


def load_chain_data(store, *, chain, region, firm_columns: Sequence[str] | None = None,
                    link_columns: Sequence[str] | None = None) -> ChainData:
    """Read a chain's and a region's ranking inputs from the store.

    Campaigns are those of ``region`` (and those that name no region); outcomes of campaigns
    that belong to another region are left out. The region's imports, export controls and
    leader needs come from the store where it holds rows for ``region.id``, else from
    ``region`` as given. ``shortlists`` are the firms of the pipeline's projects that were at
    the 线索 lead stage (a ``project_events`` row entering it) for a campaign of the region
    and one of its nodes, one row per campaign, node and firm; None when no project was.
    ``truth`` is None.

    Parameters
    ----------
    store : recommender.store.Store
    chain : recommender.chain.Chain
    region : recommender.demo.world.Region
    firm_columns : sequence of str, optional
        The firm columns to read (``firm_id`` always), in ``FIRM_COLUMNS`` order; every one
        when None. :data:`LEAN_FIRM_COLUMNS` leaves out the texts that a process serving
        rankings never reads, which would otherwise be most of its memory at scale.
    link_columns : sequence of str, optional
        The firm-node link columns to keep, in ``FIRM_NODE_COLUMNS`` order; every one when
        None (:data:`LEAN_LINK_COLUMNS`: no evidence nor method).

    Raises
    ------
    InvalidArgument
        A name of ``firm_columns`` or ``link_columns`` is not a firm or a link column.

    Returns
    -------
    ChainData

    Examples
    --------
    >>> data = load_chain_data(open_store(), chain=load_chain(),  # doctest: +SKIP
    ...                        region=load_region())
    >>> data.truth is None                                         # doctest: +SKIP
    True
    """
    for field_name, given, known in (("firm_columns", firm_columns, C.FIRM_COLUMNS),
                                     ("link_columns", link_columns, C.FIRM_NODE_COLUMNS)):
        unknown = sorted(set(given or ()) - set(known))
        if unknown:
            raise InvalidArgument(f"{field_name}: not column(s) of the table: "
                                  f"{', '.join(unknown)}",
                                  [{"field": field_name, "message": f"unknown {unknown}"}])
    with store.snapshot() as conn:  # one state of the store: the version matches the tables read
        version = int(store.data_version(conn=conn))
        firms = store.firms(columns=firm_columns, conn=conn)
        links = store.firm_nodes(columns=link_columns, conn=conn)
        campaigns = store.campaigns(conn=conn)
        outcomes = store.outcomes(conn=conn)
        tables = {attr: store.region_table(name, region.id, conn=conn)
                  for name, attr in _STORE_REGION_TABLES.items()}
        shortlists = _shortlists(conn, region.id)
    if link_columns is not None:  # the store reads the keys it sorts by too: keep those asked
        links = links[[c for c in C.FIRM_NODE_COLUMNS if c in {C.FIRM_ID, *link_columns}]]
    stored = {attr: table.drop(columns=[C.REGION_ID]).reset_index(drop=True)
              for attr, table in tables.items() if len(table)}
    if stored:
        region = dataclasses.replace(region, **stored)
    elsewhere = campaigns[C.REGION_ID].notna() & (campaigns[C.REGION_ID] != region.id)
    foreign = set(campaigns.loc[elsewhere, C.CAMPAIGN_ID])
    campaigns = campaigns[~elsewhere].reset_index(drop=True)
    outcomes = outcomes[~outcomes[C.CAMPAIGN_ID].isin(foreign)].reset_index(drop=True)
    shortlists = shortlists[~shortlists[C.CAMPAIGN_ID].isin(foreign)].reset_index(drop=True)
    return ChainData(chain=chain, region=region, firms=firms, firm_nodes=links,
                     campaigns=_dated(campaigns, "campaigns"),
                     outcomes=_outcome_frame(outcomes), data_version=version, truth=None,
                     shortlists=shortlists if len(shortlists) else None)


def _shortlists(conn, region_id) -> pd.DataFrame:
    """The firms of the projects that entered the 线索 lead stage, per campaign and node.

    Projects of ``region_id`` (or of no region) that name a campaign; one row per campaign,
    node and firm (``campaign_id``, ``node_id``, ``firm_id``), sorted.
    """
    import sqlalchemy as sa

    from recommender.store import models as M
    from recommender.store import pipeline_tables as PT

    lead = PT.PROJECT_STAGES[0]  # 线索: a firm on a campaign's shortlist
    projects, events = PT.PROJECTS, PT.PROJECT_EVENTS
    key = [projects.c[C.CAMPAIGN_ID], projects.c[C.NODE_ID], projects.c[C.FIRM_ID]]
    query = (sa.select(*key).distinct()
             .join(events, events.c[PT.PROJECT_ID] == projects.c[M.ID])
             .where(events.c[PT.TO_STAGE] == lead, projects.c[C.CAMPAIGN_ID].isnot(None),
                    projects.c[C.REGION_ID].is_(None) | (projects.c[C.REGION_ID] == region_id)))
    rows = conn.execute(query).all()
    names = [C.CAMPAIGN_ID, C.NODE_ID, C.FIRM_ID]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=names, dtype=object)
    return frame.sort_values(names, ignore_index=True).astype(str)


def chain_data_from_world(world, *, chain, region, data_version: int = 0) -> ChainData:
    """Bundle a generated demo world (``recommender.demo.generator.DemoWorld``), truth included.

    ``outcome_model`` holds the world's stage thresholds and contact noise (from its
    ``params``; None when they are absent).

    Examples
    --------
    >>> world = generate_world(n_firms=500, seed=1)                          # doctest: +SKIP
    >>> data = chain_data_from_world(world, chain=load_chain(), region=load_region())
    ...                                                                      # doctest: +SKIP
    >>> data.firms is world.firms                                            # doctest: +SKIP
    True
    """
    return ChainData(chain=chain, region=region, firms=world.firms,
                     firm_nodes=world.firm_nodes, campaigns=_dated(world.campaigns, "campaigns"),
                     outcomes=_outcome_frame(world.outcomes), data_version=int(data_version),
                     truth=world.truth, outcome_model=outcome_model_of(world.params))


def outcome_model_of(params: Mapping | None) -> dict | None:
    """Return ``{"thresholds": [...], "noise_sd": ...}`` from a demo world's ``params``.

    None when ``params`` lacks either (a world written by an older generator).

    >>> outcome_model_of({"thresholds": [0.1, 0.9, 1.5, 2.0], "noise_sd": 0.7, "seed": 7})
    {'thresholds': [0.1, 0.9, 1.5, 2.0], 'noise_sd': 0.7}
    """
    params = params or {}
    if params.get("thresholds") is None or params.get("noise_sd") is None:
        return None
    return {"thresholds": [float(t) for t in params["thresholds"]],
            "noise_sd": float(params["noise_sd"])}


def with_outcomes(data: ChainData, extra: pd.DataFrame, *,
                  data_version: int | None = None) -> ChainData:
    """Return a copy of ``data`` with the outcome rows of ``extra`` appended.

    ``extra`` needs ``firm_id``, ``node_id``, ``campaign_id``, ``date`` and ``stage``; it is
    validated with the outcomes schema first. The copy's ``data_version`` is ``data_version``
    if given, else one more than ``data``'s, so that anything cached by version is not reused.

    Raises
    ------
    ValidationError
        If a row of ``extra`` fails the outcomes schema (names row and column).

    Examples
    --------
    >>> new = pd.DataFrame({"firm_id": ["syn-0000001"], "node_id": ["lasers"],
    ...                     "campaign_id": ["C2026-06-01"], "date": ["2026-06-20"],
    ...                     "stage": [2]})
    >>> with_outcomes(data, new).outcomes.tail(1)["stage"].tolist()  # doctest: +SKIP
    [2]
    """
    rows = _outcome_frame(validate_table(extra, "outcomes", file="new outcomes"))
    merged = pd.concat([data.outcomes, rows.reindex(columns=data.outcomes.columns)],
                       ignore_index=True) if len(data.outcomes) else rows
    version = data.data_version + 1 if data_version is None else int(data_version)
    return dataclasses.replace(data, outcomes=_outcome_frame(merged), data_version=version)


def with_firm_partition(data: ChainData, firms: pd.DataFrame, firm_nodes: pd.DataFrame, *,
                        nodes) -> ChainData:
    """Return ``data`` with only some firms and their links, whose features are the whole's.

    The node arrays (``nodes``, a :class:`~recommender.ranking.feature_context.NodeArrays` of
    the whole bundle) count the region's local firms and the leaders' links over every firm,
    so a partition keeps those of the whole; the firm arrays are the partition's own, since a
    firm's features read its own row only. ``data`` itself may hold no firms at all.
    """
    from recommender.ranking.feature_context import FirmArrays

    part = dataclasses.replace(data, firms=firms, firm_nodes=firm_nodes, truth=None)
    object.__setattr__(part, "_feature_context", FeatureContext(firms=FirmArrays(firms),
                                                                nodes=nodes))
    return part


# --- normalising ----------------------------------------------------------------------------

def _dated(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Return ``frame`` with its ``date`` column as datetime64 (calendar days)."""
    if C.DATE not in frame.columns:
        raise DataError(f"{what}: missing column {C.DATE}")
    try:
        dates = pd.to_datetime(frame[C.DATE]).astype("datetime64[ms]")
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what}: column {C.DATE} holds a value that is not a date "
                        f"({exc})") from exc
    return frame.assign(**{C.DATE: dates.dt.normalize()})


def _outcome_frame(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Return outcomes with datetime64 dates and int64 stages (a missing stage is an error)."""
    missing = [c for c in C.OUTCOME_COLUMNS if c not in outcomes.columns]
    if missing:
        raise DataError(f"outcomes: missing column(s) {', '.join(missing)}")
    out = _dated(outcomes, "outcomes").reset_index(drop=True)
    stage = pd.to_numeric(out[C.OUTCOME_STAGE], errors="coerce")
    if stage.isna().any():
        raise DataError("outcomes: every row needs a stage 0..4")
    return out.assign(**{C.OUTCOME_STAGE: stage.astype("int64")})
