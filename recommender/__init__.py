"""ChainScout's library: industrial chains, weak links, firm profiles, ranking and matching.

The public names are re-exported here; the modules named in ``docs/architecture.md`` hold them.
Names whose modules load LightGBM, scikit-learn or geopandas are imported on first use, so
``import recommender`` stays quick.

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

# name -> module, imported on first attribute access (PEP 562)
_LAZY = {
    "ChainData": "recommender.dataset",
    "load_chain_data": "recommender.dataset",
    "diagnose_weak_links": "recommender.weak_links",
    "weak_link_weights": "recommender.weak_links",
    "candidate_pairs": "recommender.candidates",
    "build_features": "recommender.features",
    "training_frame": "recommender.features",
    "FEATURES": "recommender.features",
    "prior_scores": "recommender.prior",
    "ChainRanker": "recommender.ranker",
    "ModelRegistry": "recommender.registry",
    "evaluate": "recommender.evaluation",
    "ndcg_at_k": "recommender.metrics",
    "map_at_k": "recommender.metrics",
    "recall_at_k": "recommender.metrics",
    "recommend": "recommender.recommend",
    "score_candidates": "recommender.recommend",
    "target_list": "recommender.recommend",
    "target_portfolio": "recommender.portfolio",
    "train_model": "recommender.training",
    "park_matches": "recommender.parks",
    "firm_parks": "recommender.parks",
    "assign_firms_to_parks": "recommender.assignment",
    "recruitment_map": "recommender.maps",
    "to_geojson": "recommender.maps",
    "write_map": "recommender.maps",
    "NodeClassifier": "recommender.node_classifier",
    "read_listing": "recommender.listings",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'recommender' has no attribute {name!r}")


__all__ = sorted(_LAZY) + [
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
