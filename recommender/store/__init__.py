"""The store: ChainScout's system of record (SQLite file by default, PostgreSQL by URL).

>>> from recommender.store import open_store
>>> store = open_store("sqlite://")
>>> store.summary()["data_version"]
0
>>> store.close()
"""

from recommender.store import pipeline_tables  # noqa: F401  (its tables join Base.metadata)
from recommender.store.database import POSTGRES_HINT, database_url
from recommender.store.models import REGION_TABLES, Base
from recommender.store.store import Store, open_store
from recommender.store.writes import ingested_firm_id

__all__ = [
    "POSTGRES_HINT",
    "REGION_TABLES",
    "Base",
    "Store",
    "database_url",
    "ingested_firm_id",
    "open_store",
]
