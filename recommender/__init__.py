"""ChainScout's library: industrial chains, weak links, firm profiles, ranking and matching.

The public names are re-exported here; the modules named in ``docs/architecture.md`` hold them.
Names whose modules load LightGBM, scikit-learn or geopandas are imported on first use, so
``import recommender`` stays quick.

>>> from recommender import load_chain
>>> len(load_chain().node_ids) >= 50
True
"""

from recommender.chain import Chain, chain_from_dict, load_chain
from recommender.config import Settings, load_settings
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
from recommender.firms.countries import normalise_countries, normalise_country
from recommender.firms.gazetteer import Gazetteer
from recommender.firms.geocode import geocode_frame, geocode_report, haversine_km
from recommender.firms.ingest import (
    export_firms,
    ingest_firms,
    ingest_outcomes,
    prepare_firms,
)
from recommender.firms.keywords import KeywordMatcher, assign_nodes_by_keywords
from recommender.firms.schemas import SCHEMAS, validate_table
from recommender.firms.tables import read_table
from recommender.paths import data_dir, shared_data_dir, var_dir

# name -> module, imported on first attribute access (PEP 562)
_LAZY = {
    "ChainData": "recommender.ranking.dataset",
    "load_chain_data": "recommender.ranking.dataset",
    "diagnose_weak_links": "recommender.diagnosis.weak_links",
    "weak_link_weights": "recommender.diagnosis.weak_links",
    "candidate_pairs": "recommender.ranking.candidates",
    "build_features": "recommender.ranking.features",
    "training_frame": "recommender.ranking.features",
    "FEATURES": "recommender.ranking.feature_registry",
    "prior_scores": "recommender.ranking.prior",
    "ChainRanker": "recommender.ranking.ranker",
    "ModelRegistry": "recommender.ranking.registry",
    "evaluate": "recommender.ranking.evaluation",
    "ndcg_at_k": "recommender.ranking.metrics",
    "map_at_k": "recommender.ranking.metrics",
    "recall_at_k": "recommender.ranking.metrics",
    "recommend": "recommender.targeting.recommend",
    "score_candidates": "recommender.targeting.recommend",
    "target_list": "recommender.targeting.recommend",
    "target_portfolio": "recommender.targeting.portfolio",
    "train_model": "recommender.ranking.training",
    "park_matches": "recommender.parks.matching",
    "firm_parks": "recommender.parks.matching",
    "assign_firms_to_parks": "recommender.parks.assignment",
    "recruitment_map": "recommender.maps",
    "to_geojson": "recommender.maps",
    "write_map": "recommender.maps",
    "NodeClassifier": "recommender.firms.node_classifier",
    "read_listing": "recommender.firms.listings",
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
