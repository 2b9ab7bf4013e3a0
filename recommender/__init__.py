"""ChainScout's library: industrial chains, weak links, firm profiles, ranking and matching.

The public names are re-exported here; the modules named in ``docs/architecture.md`` hold them.

>>> from recommender import load_chain
>>> len(load_chain().node_ids) >= 50
True
"""

from recommender.chain import Chain, chain_from_dict, load_chain
from recommender.classify import KeywordMatcher, assign_nodes_by_keywords
from recommender.config import Settings, load_settings
from recommender.countries import normalise_countries, normalise_country
from recommender.demo.world import Region, load_reference_firms, load_region
from recommender.exceptions import (
    ChainError,
    ConfigError,
    DataError,
    DependencyError,
    ModelError,
    NotFittedError,
    NotFoundError,
    RecommenderError,
    ValidationError,
)
from recommender.geocode import Gazetteer, geocode_frame, geocode_report, haversine_km
from recommender.ingest import (
    export_firms,
    ingest_firms,
    ingest_outcomes,
    prepare_firms,
    read_table,
)
from recommender.paths import data_dir, shared_data_dir, var_dir
from recommender.schemas import SCHEMAS, validate_table

__all__ = [
    "SCHEMAS",
    "Chain",
    "ChainError",
    "ConfigError",
    "DataError",
    "DependencyError",
    "Gazetteer",
    "KeywordMatcher",
    "ModelError",
    "NotFittedError",
    "NotFoundError",
    "RecommenderError",
    "Region",
    "Settings",
    "ValidationError",
    "assign_nodes_by_keywords",
    "chain_from_dict",
    "data_dir",
    "export_firms",
    "geocode_frame",
    "geocode_report",
    "haversine_km",
    "ingest_firms",
    "ingest_outcomes",
    "load_chain",
    "load_reference_firms",
    "load_region",
    "load_settings",
    "normalise_countries",
    "normalise_country",
    "prepare_firms",
    "read_table",
    "shared_data_dir",
    "validate_table",
    "var_dir",
]
