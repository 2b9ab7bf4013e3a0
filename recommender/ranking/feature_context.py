"""What building features reads of one ``ChainData``, as arrays computed once per bundle.

:func:`~recommender.ranking.features.build_features` looks every pair's firm and node up in
arrays rather than in the tables: :class:`FirmArrays` (firm ids, numeric columns, country
codes, size ranks, distance to the nearer of the region's core and parks, time-zone gap
between IANA zones' standard offsets) and :class:`NodeArrays` (per node
in chain order: local chain leaders next to it, local competitors, export controls by home
country). Building them costs a pass over the firm and link tables, so a
:class:`FeatureContext` is built once per bundle and kept on it
(``ChainData.feature_context``): a bundle is never mutated, and a new bundle (a new outcome,
a new data version) builds its own, so a context never outlives or crosses its tables.

Missing size figures are estimated, never read as "tiny" (:meth:`FirmArrays.size_estimates`):
a firm whose head count or revenue is unknown gets the typical figure of its size class
(:data:`SIZE_ESTIMATES`: for listed firms the market-capitalisation class), else of a listed
firm (class ``small``) if it is listed, else of a known maker (class ``mid``) if it is one of
the reference firms (source ``"reference"``); the feature ``size_basis`` says which (0
reported, 1 size class, 2 listed, 3 known maker; NaN where nothing is known and the figures
stay missing), so that reasons and pages say "规模未知（按市值等级估计）". The typical
figures: the geometric middle of each market-cap band (nano < US$50 million, micro 50-300
million, small 0.3-2 billion, mid 2-10 billion, large 10-200 billion, mega above), revenue at
about half the capitalisation (a price-to-sales ratio near 2) and employees at about
US$250,000 of revenue each; orders of magnitude, which is what the features (log10) use.

>>> SIZE_ESTIMATES["large"]
(40000.0, 10000.0)
>>> context = data.feature_context                        # doctest: +SKIP
>>> context.firms.column("employees")[:3]                 # doctest: +SKIP
array([1200.,   45.,  310.])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from recommender import columns as C
from recommender.diagnosis.locality import local_mask
from recommender.exceptions import DataError
from recommender.firms.countries import COMMON_LANGUAGE_ZH
from recommender.firms.geocode import haversine_km, time_zone_gap_h, time_zones
from recommender.ranking.candidates import arrow_strings, is_in

__all__ = ["KNOWN_MAKER_CLASS", "LISTED_CLASS", "REFERENCE_SOURCE", "SIZE_ESTIMATES",
           "FeatureContext", "FirmArrays", "NodeArrays", "float_values"]

# size class -> (typical employees, typical revenue in million US dollars); see the module
SIZE_ESTIMATES: dict[str, tuple[float, float]] = {
    "nano": (50.0, 10.0), "micro": (250.0, 60.0), "small": (1_500.0, 400.0),
    "mid": (8_000.0, 2_000.0), "large": (40_000.0, 10_000.0), "mega": (150_000.0, 60_000.0),
}
LISTED_CLASS = "small"  # a listed firm of unknown capitalisation
KNOWN_MAKER_CLASS = "mid"  # a reference firm (a known maker of its node) of unknown size
REFERENCE_SOURCE = "reference"  # columns.SOURCE of the curated reference firms


@dataclass(frozen=True)
class FeatureContext:
    """The firm and node arrays of one ``ChainData`` (build with :meth:`of`, once per bundle).

    Attributes
    ----------
    firms : FirmArrays
    nodes : NodeArrays
    """

    firms: FirmArrays
    nodes: NodeArrays

    @classmethod
    def of(cls, data) -> FeatureContext:
        """Build the context of a ``ChainData`` (``DataError`` if a firm id repeats)."""
        return cls(firms=FirmArrays(data.firms), nodes=NodeArrays(data))


class FirmArrays:
    """The firm table as arrays: the ids, float columns on demand, country codes, size ranks."""

    def __init__(self, firms: pd.DataFrame):
        self.ids = arrow_strings(firms[C.FIRM_ID])
        distinct = pc.count_distinct(self.ids, mode="all").as_py()
        if distinct != len(self.ids):
            dup = firms[C.FIRM_ID][firms[C.FIRM_ID].duplicated()].iloc[0]
            raise DataError(f"firms: firm_id {dup!r} appears more than once")
        self._firms = firms
        self._columns: dict[str, np.ndarray] = {}
        self._geography: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._estimates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        country = (firms[C.COUNTRY] if C.COUNTRY in firms.columns
                   else pd.Series(pd.NA, index=firms.index, dtype="str"))
        codes, countries = pd.factorize(country.astype("str").str.upper())
        self.country_code = codes.astype(np.int64)
        self.countries = [str(c) for c in countries]
        # per country, then one more entry for "no country" (code -1)
        self.chinese = np.array([float(c in COMMON_LANGUAGE_ZH) for c in self.countries]
                                + [np.nan])
        sizes = (firms[C.SIZE_CLASS] if C.SIZE_CLASS in firms.columns
                 else pd.Series(pd.NA, index=firms.index, dtype="str"))
        codes, names = pd.factorize(sizes.astype("str"))
        ranks = {s: float(i) for i, s in enumerate(C.SIZE_CLASSES)}
        by_code = np.array([ranks.get(str(n).strip().lower(), np.nan) for n in names]
                           + [np.nan])
        self.size_rank = by_code[codes]

    def size_estimates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per firm: employees and revenue (reported, else estimated) and the size basis code.

        The basis is 0 where both figures are reported, else the code of the estimate used
        (1 size class, 2 listed, 3 known maker), NaN where a figure is missing and nothing
        gives an estimate.
        """
        if "size" not in self._estimates:
            employees, revenue = self.column(C.EMPLOYEES), self.column(C.REVENUE)
            classes = list(C.SIZE_CLASSES)
            typical = np.array([SIZE_ESTIMATES[c] for c in classes] + [(np.nan, np.nan)])
            rank = np.where(np.isnan(self.size_rank), len(classes), self.size_rank).astype(int)
            listed = self.column(C.IS_LISTED) > 0
            source = (self._firms[C.SOURCE].astype("str").to_numpy(object)
                      if C.SOURCE in self._firms.columns else np.full(len(self.ids), None))
            known = source == REFERENCE_SOURCE
            basis = np.select([rank < len(classes), listed, known], [1.0, 2.0, 3.0], np.nan)
            rank = np.select([rank < len(classes), listed, known],
                             [rank, classes.index(LISTED_CLASS), classes.index(KNOWN_MAKER_CLASS)],
                             len(classes))
            missing = np.isnan(employees) | np.isnan(revenue)
            self._estimates["size"] = (
                np.where(np.isnan(employees), typical[rank, 0], employees),
                np.where(np.isnan(revenue), typical[rank, 1], revenue),
                np.where(missing, basis, 0.0))
        return self._estimates["size"]

    def column(self, name: str) -> np.ndarray:
        if name not in self._columns:
            self._columns[name] = (float_values(self._firms[name]) if name in self._firms.columns
                                   else np.full(len(self.ids), np.nan))
        return self._columns[name]

    def geography(self, region) -> tuple[np.ndarray, np.ndarray]:
        """Per firm: km to the region's core or its nearest park, and the time-zone gap in hours.

        The distance is to the nearer of the region's core and its parks with coordinates
        (where a firm would settle). The gap compares the standard UTC offsets of the firm's
        IANA zone (its nearest city's, else its country's) and of the region core's zone
        (:func:`recommender.firms.geocode.time_zone_gap_h`); never longitude.
        """
        key = (float(region.core_lat), float(region.core_lon), str(region.country))
        if key not in self._geography:
            lat, lon = self.column(C.LAT), self.column(C.LON)
            distance = haversine_km(lat, lon, region.core_lat, region.core_lon)
            for y, x in _park_points(region):
                distance = np.fmin(distance, haversine_km(lat, lon, y, x))
            home = time_zones([region.core_lat], [region.core_lon], [region.country])[0]
            countries = np.array(self.countries + [None], dtype=object)[self.country_code]
            gap = time_zone_gap_h(time_zones(lat, lon, countries), home)
            self._geography = {key: (distance, gap)}  # one region per bundle: keep the latest only
        return self._geography[key]


class NodeArrays:
    """Per-node arrays in chain order: leaders next door, local competitors, export controls."""

    def __init__(self, data):
        chain, region = data.chain, data.region
        self.index = pd.Index(chain.node_ids)
        self.ids = arrow_strings(pd.Series(chain.node_ids, dtype="str"))
        links = data.firm_nodes[[C.FIRM_ID, C.NODE_ID, C.CONFIDENCE]]
        links = links[is_in(links[C.NODE_ID], self.index)]
        links = links[~(float_values(links[C.CONFIDENCE]) <= 0)]  # confidence 0: not active
        leaders = set(region.leader_needs[C.LEADER_FIRM_ID].astype("str")) if len(
            region.leader_needs) else set()
        led = links[is_in(links[C.FIRM_ID], leaders)]
        active = led.groupby(C.NODE_ID)[C.FIRM_ID].agg(lambda s: set(s.astype("str")))
        leaders_in = {v: active.get(v, set()) & leaders for v in self.index}
        self.leader_customers = np.array(
            [len(set().union(*(leaders_in[u] for u in chain.consumers(v)))) for v in self.index],
            dtype=float)
        self.leader_suppliers = np.array(
            [len(set().union(*(leaders_in[u] for u in chain.suppliers(v)))) for v in self.index],
            dtype=float)
        firms = data.firms
        home = (firms[C.COUNTRY] == region.country).fillna(False).to_numpy(bool)
        at_home = firms.loc[home, [C.FIRM_ID, C.COUNTRY, C.PROVINCE, C.CITY]]
        local_ids = at_home.loc[local_mask(at_home, region), C.FIRM_ID].astype("str")
        local_links = links[is_in(links[C.FIRM_ID], local_ids)]
        counts = local_links.groupby(C.NODE_ID)[C.FIRM_ID].nunique()
        self.local_competitors = counts.reindex(self.index).fillna(0).to_numpy(float)
        controls = region.export_controls
        self._controls = controls[controls[C.NODE_ID].isin(self.index)] if len(controls) else None
        self._matrix: tuple[tuple[str, ...], np.ndarray] | None = None

    def control_matrix(self, countries: list[str]) -> np.ndarray:
        """Export control (0..1) by country row and node column; 0 where the table has none."""
        key = tuple(countries)
        if self._matrix is None or self._matrix[0] != key:
            matrix = np.zeros((len(countries) + 1, len(self.index)))
            matrix[-1] = np.nan  # the row of "no country" (code -1)
            if self._controls is not None and len(self._controls):
                table = self._controls.pivot_table(index=C.ORIGIN, columns=C.NODE_ID,
                                                   values=C.CONTROL, aggfunc="max")
                table = table.reindex(index=countries, columns=self.index)
                matrix[:len(countries)] = table.fillna(0.0).to_numpy(float)
            self._matrix = (key, matrix)
        return self._matrix[1]


def float_values(values: pd.Series) -> np.ndarray:
    """Return a column as float64, missing values (and text that is not a number) as NaN.

    >>> float_values(pd.Series(["1.5", None, "n/a"])).tolist()
    [1.5, nan, nan]
    """
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        values = pd.to_numeric(values.astype(object).where(values.notna(), np.nan),
                               errors="coerce")
    return values.to_numpy(float, na_value=np.nan)


def _park_points(region) -> list[tuple[float, float]]:
    """The (lat, lon) of the region's parks that have both (none if it lists no parks)."""
    parks = getattr(region, "parks", None)
    if parks is None or not len(parks) or C.LAT not in parks.columns:
        return []
    lat, lon = float_values(parks[C.LAT]), float_values(parks[C.LON])
    keep = ~np.isnan(lat) & ~np.isnan(lon)
    return list(zip(lat[keep].tolist(), lon[keep].tolist(), strict=True))
