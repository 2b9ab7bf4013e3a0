"""Scores served from memory: every candidate of every recruitable weak link, scored ahead.

:func:`build_scores` scores every (firm, recruitable weak link) pair once per model version
and data version with the same steps as :func:`recommender.targeting.recommend.score_candidates`
(``features.serving_frame``, the model's ``predict`` and ``predict_proba_success``) and keeps
them sorted per weak link, best first, ties by firm id, as
:func:`recommender.targeting.recommend.recommend`
orders them. A top-k request then filters one weak link's slice (country, size class,
recruitment stage) and takes its first ``k`` rows: no model call, no sort.

Reasons (:mod:`recommender.ranking.reasons`) need each row's feature contributions; they are
computed when the table is built for the first :data:`REASONS_AHEAD` rows of every weak link, and
for any other row on the first request that shows it, then kept. They are taken relative to the mean
contributions of the weak link's candidates (at most :data:`BASELINE_ROWS` of them, evenly spread);
``recommend`` takes up to 2,000, and those left after its filters, so a reason near the margin may
differ from the library's.

Each served row is kept as JSON (without its rank, which depends on the filters), so a
repeated request only joins bytes.

Nothing here knows about Flask; :mod:`service.api` turns the answers into responses.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd

from recommender import columns as C
from recommender.exceptions import NotFoundError, ValidationError
from recommender.targeting.stages import RECRUITMENT_STAGES, best_stage_codes, stage_codes

REASONS_AHEAD = 50  # rows per weak link whose reasons are computed when scores are built
# Candidates (evenly spread) whose mean contributions are a link's baseline. recommend() takes
# 2,000; contributions cost about 0.1 ms a row with LightGBM, and 500 a link keep a snapshot of
# 70 links within seconds while their mean moves little.
BASELINE_ROWS = 500
TOP_REASONS = 3
MAX_KEPT_ROWS = 200_000  # served rows kept as JSON; past it, rows are rebuilt each time
FIRM_FIELDS = [C.NAME, C.NAME_ZH, C.COUNTRY, C.CITY, C.LAT, C.LON, C.SIZE_CLASS, C.SOURCE,
               C.IS_SYNTHETIC]
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
DATA_VERSION = "data_version"


class NotRecruitable(ValidationError):
    """The node is in the chain but cannot be recruited for (a downstream application)."""

    code = "not_recruitable"


class ScoreTable:
    """Every candidate of the recruitable weak links, scored, sorted per link, best first.

    Built by :func:`build_scores`; read by many threads at once, never changed except for
    the rows' reasons and JSON, which are added as requests need them.
    """

    def __init__(self, *, model, data, weak_links: pd.DataFrame, order: np.ndarray,
                 pairs: pd.DataFrame, firms: pd.DataFrame, slices: dict[str, tuple[int, int]],
                 baselines: dict[str, pd.Series], model_version: str, as_of: pd.Timestamp):
        self.model = model
        self.data = data
        self.weak_links = weak_links
        self.model_version = model_version
        self.as_of = as_of
        self.slices = slices  # node id -> (start, stop) in the sorted arrays
        self.nodes = list(slices)
        self.baselines = baselines
        sorted_pairs = pairs.iloc[order].reset_index(drop=True)
        self.firm_at = sorted_pairs["firm_index"].to_numpy(np.int64)
        self.node_at = sorted_pairs["node_index"].to_numpy(np.int64)
        self.score = sorted_pairs[C.SCORE].to_numpy(float)
        self.p_success = sorted_pairs[C.P_SUCCESS].to_numpy(float)
        self.match = sorted_pairs[C.MATCH].to_numpy(float)
        self.hop = sorted_pairs[C.HOP].to_numpy(np.int64)
        self.best_stage = sorted_pairs["best_stage"].to_numpy(np.int8)  # -1: not contacted
        self.contacted = self.best_stage >= 0
        self.firms = firms  # one row per firm: id, FIRM_FIELDS
        self.firm_ids = firms[C.FIRM_ID].to_numpy(object)
        self._firm_records = firms[[C.FIRM_ID, *FIRM_FIELDS]].astype(object).where(
            firms[[C.FIRM_ID, *FIRM_FIELDS]].notna(), None).to_dict("records")
        self.country_codes, self.countries = pd.factorize(
            firms[C.COUNTRY].astype("string").str.upper())
        self.size_codes, self.sizes = pd.factorize(
            firms[C.SIZE_CLASS].astype("string").str.lower())
        names = weak_links.set_index(C.NODE_ID)
        self.node_names = {n: (names.at[n, C.NODE_NAME_ZH], names.at[n, C.NODE_NAME_EN])
                           for n in self.nodes}
        self._reasons: dict[int, list[dict]] = {}
        self._json: dict[int, bytes] = {}
        self._model_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.score)

    def __repr__(self) -> str:
        return (f"ScoreTable(links={len(self.slices)}, pairs={len(self)}, "
                f"model_version={self.model_version!r})")

    # --- choosing rows ------------------------------------------------------------------------
    def node_slice(self, node_id: str) -> tuple[int, int]:
        """Return the rows of ``node_id``; NotFoundError or :class:`NotRecruitable` otherwise."""
        found = self.slices.get(node_id)
        if found is not None:
            return found
        chain = self.data.chain
        if node_id not in set(chain.node_ids):
            raise NotFoundError(f"no node {node_id!r} in chain {chain.id!r}")
        stage = chain.node(node_id).get(C.STAGE)
        raise NotRecruitable(
            f"node {node_id!r} ({stage}) cannot be recruited for: only upstream and midstream "
            f"nodes are weak links to fill; downstream nodes are application sectors",
            [{"field": C.NODE_ID, "message": f"{node_id!r} is a {stage} node"}])

    def ranked(self, node_id: str, *, country: Sequence[str] | None = None,
               size: Sequence[str] | None = None, stage: Sequence[str] | None = None,
               exclude_contacted: bool = False) -> np.ndarray:
        """Return the positions of ``node_id``'s candidates that pass the filters, best first.

        ``stage`` keeps the firms whose recruitment stage for the link (the best outcome
        recorded for the pair) is one of those named (:data:`RECRUITMENT_STAGES`);
        ``exclude_contacted`` equals ``stage=["none"]``, and given both, a firm passes both.
        An unknown stage is a ValidationError.
        """
        start, stop = self.node_slice(node_id)
        keep = np.ones(stop - start, bool)
        firms = self.firm_at[start:stop]
        if country is not None:
            wanted = self.countries.get_indexer([c.upper() for c in country])
            keep &= np.isin(self.country_codes[firms], wanted[wanted >= 0])
        if size is not None:
            wanted = self.sizes.get_indexer([s.lower() for s in size])
            keep &= np.isin(self.size_codes[firms], wanted[wanted >= 0])
        if stage is not None:
            keep &= np.isin(self.best_stage[start:stop], stage_codes(stage))
        if exclude_contacted:
            keep &= ~self.contacted[start:stop]
        return start + np.flatnonzero(keep)

    def stage_counts(self, node_id: str) -> dict[str, int]:
        """Return how many of ``node_id``'s candidates are at each recruitment stage."""
        start, stop = self.node_slice(node_id)
        counts = np.bincount(self.best_stage[start:stop].astype(np.int64) + 1,
                             minlength=len(RECRUITMENT_STAGES))
        return {name: int(n) for name, n in zip(RECRUITMENT_STAGES, counts, strict=True)}

    # --- rows as served -----------------------------------------------------------------------
    def reasons(self, positions: Sequence[int]) -> list[list[dict]]:
        """Return the reasons of the rows at ``positions`` (computing those not yet known)."""
        missing = [int(p) for p in dict.fromkeys(positions) if int(p) not in self._reasons]
        if missing:
            self._add_reasons(np.asarray(missing, np.int64))
        return [self._reasons[int(p)] for p in positions]

    def _add_reasons(self, positions: np.ndarray) -> None:
        from recommender.ranking.features import build_features

        pairs = pd.DataFrame({
            C.FIRM_ID: self.firm_ids[self.firm_at[positions]],
            C.NODE_ID: np.asarray(self.nodes, object)[self.node_at[positions]],
            C.MATCH: self.match[positions], C.HOP: self.hop[positions],
            C.DATE: np.full(len(positions), np.datetime64(self.as_of, "ms")),
        })
        features = build_features(pairs, self.data, self.weak_links)
        with self._model_lock:  # one model call at a time per table: LightGBM uses every core
            contributions = self.model.contributions(features)
        self._store_reasons(positions, features, contributions)

    def _store_reasons(self, positions: np.ndarray, features: pd.DataFrame,
                       contributions: pd.DataFrame) -> None:
        from recommender.ranking.reasons import join_reasons, reasons_for

        region = self.data.region
        region_name = (getattr(region, "name_zh", None), getattr(region, "name_en", None))
        features = features.reset_index(drop=True)
        contributions = contributions.reset_index(drop=True)
        nodes = features[C.NODE_ID].astype(str).to_numpy()
        for node in pd.unique(nodes):
            at = np.flatnonzero(nodes == node)
            found = reasons_for(features.iloc[at], contributions.iloc[at],
                                node_names=self.node_names, top=TOP_REASONS,
                                region_name=region_name, baseline=self.baselines.get(node))
            for position, reasons in zip(positions[at], found, strict=True):
                self._reasons[int(position)] = {
                    C.REASONS: reasons, "reason_zh": join_reasons(reasons, "zh"),
                    "reason_en": join_reasons(reasons, "en")}

    def item(self, position: int) -> dict[str, Any]:
        """Return the row at ``position`` as served, without its rank."""
        position = int(position)
        firm = self._firm_records[self.firm_at[position]]
        node = self.nodes[self.node_at[position]]
        reasons = self.reasons([position])[0]
        return {
            C.FIRM_ID: firm[C.FIRM_ID], C.NAME: firm[C.NAME], C.NAME_ZH: firm[C.NAME_ZH],
            C.COUNTRY: firm[C.COUNTRY], C.CITY: firm[C.CITY], C.LAT: _number(firm[C.LAT]),
            C.LON: _number(firm[C.LON]), C.SIZE_CLASS: firm[C.SIZE_CLASS], C.NODE_ID: node,
            "node_name_zh": self.node_names[node][0], "node_name_en": self.node_names[node][1],
            C.SCORE: float(self.score[position]), C.P_SUCCESS: float(self.p_success[position]),
            C.MATCH: float(self.match[position]), C.HOP: int(self.hop[position]),
            "contacted": bool(self.contacted[position]),
            "outcome_stage": RECRUITMENT_STAGES[self.best_stage[position] + 1],
            C.REASONS: reasons[C.REASONS], "reason_zh": reasons["reason_zh"],
            "reason_en": reasons["reason_en"],
            "provenance": {C.SOURCE: firm[C.SOURCE],
                           C.IS_SYNTHETIC: bool(firm[C.IS_SYNTHETIC] or False),
                           DATA_VERSION: int(self.data.data_version),
                           C.MODEL_VERSION: self.model_version},
            C.MODEL_VERSION: self.model_version,
        }

    def item_json(self, position: int) -> bytes:
        """Return :meth:`item` as JSON bytes, kept after the first time."""
        position = int(position)
        found = self._json.get(position)
        if found is None:
            found = orjson.dumps(self.item(position), option=_JSON_OPTIONS)
            if len(self._json) < MAX_KEPT_ROWS:
                self._json[position] = found
        return found

    def items(self, positions: Sequence[int], *, first_rank: int = 1) -> list[dict[str, Any]]:
        """Return the rows at ``positions`` as dicts with ``rank`` from ``first_rank``."""
        self.reasons(positions)
        return [{C.RANK: first_rank + i, **self.item(p)} for i, p in enumerate(positions)]

    def items_json(self, positions: Sequence[int], *, first_rank: int = 1) -> bytes:
        """Return the rows at ``positions`` as a JSON array, ranks from ``first_rank``."""
        self.reasons(positions)  # one model call for every row not yet known
        parts = [b'{"rank":%d,' % (first_rank + i) + self.item_json(p)[1:]
                 for i, p in enumerate(positions)]
        return b"[" + b",".join(parts) + b"]"


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if value != value else value


def build_scores(data, weak_links: pd.DataFrame, model, *,
                 reasons_ahead: int = REASONS_AHEAD) -> ScoreTable:
    """Score every candidate of every recruitable weak link with ``model``; see the module.

    ``model`` is a fitted ranker or a :class:`recommender.targeting.recommend.PriorModel`.
    """
    from recommender.ranking.features import contacted_pairs, default_as_of, serving_frame
    from recommender.targeting.recommend import model_version

    recruitable = weak_links[weak_links["can_recruit"].astype(bool)]
    nodes = [str(n) for n in recruitable[C.NODE_ID]]
    as_of = default_as_of(data)
    frame = serving_frame(data, weak_links, nodes, as_of=as_of)
    firms = data.firms.drop_duplicates(C.FIRM_ID).reset_index(drop=True)
    firms = firms.reindex(columns=[C.FIRM_ID, *FIRM_FIELDS])
    pairs = pd.DataFrame({
        "firm_index": pd.Index(firms[C.FIRM_ID].astype(str)).get_indexer(
            frame[C.FIRM_ID].astype(str)),
        "node_index": pd.Index(nodes).get_indexer(frame[C.NODE_ID].astype(str)),
        C.MATCH: frame[C.MATCH].to_numpy(float), C.HOP: frame[C.HOP].to_numpy(np.int64),
    })
    if len(frame):
        pairs[C.SCORE] = np.asarray(model.predict(frame), float)
        pairs[C.P_SUCCESS] = _probabilities(model, frame, pairs[C.SCORE].to_numpy())
    else:
        pairs[C.SCORE] = pd.Series(dtype=float)
        pairs[C.P_SUCCESS] = pd.Series(dtype=float)
    pairs["best_stage"] = best_stage_codes(frame, contacted_pairs(data))
    # best first within each link, ties by firm id, links in the weak-link table's order
    firm_rank = pd.factorize(firms[C.FIRM_ID].astype(str), sort=True)[0]
    order = np.lexsort((firm_rank[pairs["firm_index"].to_numpy()],
                        -pairs[C.SCORE].to_numpy(float), pairs["node_index"].to_numpy()))
    counts = np.bincount(pairs["node_index"].to_numpy(), minlength=len(nodes))
    stops = np.cumsum(counts)
    slices = {node: (int(stop - n), int(stop)) for node, n, stop in zip(nodes, counts, stops,
                                                                        strict=True)}
    baselines = _baselines(frame, model, nodes)
    table = ScoreTable(model=model, data=data, weak_links=weak_links, order=order, pairs=pairs,
                       firms=firms, slices=slices, baselines=baselines,
                       model_version=model_version(model), as_of=as_of)
    ahead = np.concatenate([np.arange(start, min(stop, start + reasons_ahead))
                            for start, stop in slices.values()] or [np.zeros(0, np.int64)])
    if len(ahead):
        rows = frame.iloc[order[ahead]]
        table._store_reasons(ahead.astype(np.int64), rows, model.contributions(rows))
    return table


def _probabilities(model, frame: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
    """``model.predict_proba_success``, from the scores already made when the model says how
    (its ``calibration_``), instead of scoring every row a second time."""
    calibration = getattr(model, "calibration_", None)
    if isinstance(calibration, dict):
        from recommender.ranking.ranker import apply_calibration

        return np.asarray(apply_calibration(scores, calibration), float)
    return np.asarray(model.predict_proba_success(frame), float)


def _baselines(frame: pd.DataFrame, model, nodes: list[str]) -> dict[str, pd.Series]:
    """Mean contributions over each link's candidates (at most BASELINE_ROWS, evenly spread),
    taken in the serving frame's order, as ``recommend`` takes them."""
    codes = pd.Index(nodes).get_indexer(frame[C.NODE_ID].astype(str))
    picked, owner = [], []
    for i, node in enumerate(nodes):
        rows = np.flatnonzero(codes == i)
        if len(rows) > BASELINE_ROWS:
            rows = rows[np.linspace(0, len(rows) - 1, BASELINE_ROWS).astype(int)]
        picked.append(rows)
        owner += [node] * len(rows)
    if not owner:
        return {}
    contributions = model.contributions(frame.iloc[np.concatenate(picked)])
    means = contributions.groupby(np.asarray(owner, object), sort=False).mean()
    return {str(node): means.loc[node] for node in means.index}


# --- small per-snapshot caches --------------------------------------------------------------
class Memo:
    """A bounded least-recently-used cache of answers computed from one snapshot."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
