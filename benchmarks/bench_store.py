"""Time ``Store.upsert_firms`` on synthetic firms: a first insert, then an unchanged re-upsert.

Usage::

    .venv/bin/python benchmarks/bench_store.py [N] [--url URL] [--changed FRACTION]

Every row is synthetic (``is_synthetic = true``, ``source = "synthetic"``). Without ``--url``
the store is a SQLite file in a temporary folder, deleted afterwards; a PostgreSQL ``--url``
gets a schema of its own, dropped afterwards. Peak memory is the process's maximum resident
set size, printed once the input frame is built and again at the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from recommender import columns as C
from recommender.store import database_url, open_store

COUNTRIES = np.array(["CN", "US", "DE", "JP", "KR", "TW", "GB", "FR", "CH", "NL"])
SIZES = np.array(["nano", "micro", "small", "mid", "large", "mega"])


def synthetic_firms(n: int, seed: int = 7) -> pd.DataFrame:
    """Return ``n`` synthetic firms with every column of ``FIRM_COLUMNS`` filled plausibly."""
    rng = np.random.default_rng(seed)
    number = pd.Series(np.arange(n)).astype("str")
    country = pd.Series(COUNTRIES[rng.integers(0, len(COUNTRIES), n)]).astype("str")
    name = "Synthetic Instruments " + number
    revenue = np.round(rng.lognormal(3, 1.5, n), 3)
    revenue[rng.random(n) < 0.2] = np.nan
    return pd.DataFrame(
        {
            C.FIRM_ID: "syn-bench-" + number,
            C.FIRM_KEY: name.str.lower() + "|" + country,
            C.NAME: name,
            C.NAME_ZH: "合成仪器" + number,
            C.CREDIT_CODE: None,
            C.COUNTRY: country,
            C.PROVINCE: None,
            C.CITY: None,
            C.LAT: np.round(rng.uniform(-60, 70, n), 6),
            C.LON: np.round(rng.uniform(-180, 180, n), 6),
            C.GEO_QUALITY: "country",
            C.FOUNDED_YEAR: rng.integers(1900, 2024, n),
            C.REGISTERED_CAPITAL: np.round(rng.lognormal(16, 2, n), 2),
            C.EMPLOYEES: rng.integers(1, 100_000, n),
            C.REVENUE: revenue,
            C.REVENUE_GROWTH: np.round(rng.normal(0.05, 0.2, n), 4),
            C.RD_INTENSITY: np.round(rng.beta(2, 20, n), 4),
            C.PATENTS: rng.integers(0, 5_000, n),
            C.IS_LISTED: rng.random(n) < 0.1,
            C.SIZE_CLASS: SIZES[rng.integers(0, len(SIZES), n)],
            C.INTL_COUNTRIES: rng.integers(0, 60, n),
            C.IN_CHINA: rng.random(n) < 0.3,
            C.IN_GBA: rng.random(n) < 0.1,
            C.INDUSTRY_CODE: "C40",
            C.BUSINESS_SCOPE: "precision instruments (synthetic)",
            C.WEBSITE: None,
            C.SYMBOL: None,
            C.ISIN: None,
            C.SOURCE: "synthetic",
            C.IS_SYNTHETIC: True,
        }
    )


def peak_rss_mb() -> float:
    """Return the peak resident set size of this process in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def timed(label: str, n: int, step) -> dict:
    start = time.perf_counter()
    counts = step()
    seconds = time.perf_counter() - start
    print(f"{label:<22} {n:>10,} rows {seconds:8.2f} s {n / seconds:>12,.0f} rows/s  {counts}")
    return counts


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """Yield a temporary SQLite URL, or ``url`` narrowed to a PostgreSQL schema of its own."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    parsed = database_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield url
        return
    schema = f"bench_store_{os.getpid()}"
    admin = sa.create_engine(parsed)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def run(n: int, url: str | None, changed: float) -> None:
    frame = synthetic_firms(n)
    print(f"peak memory with the input frame built: {peak_rss_mb():,.0f} MB")
    with scratch_database(url) as target:
        with open_store(target) as store:
            print(f"store: {store!r}, {n:,} synthetic firms")
            timed("insert", n, lambda: store.upsert_firms(frame))
            timed("unchanged re-upsert", n, lambda: store.upsert_firms(frame))
            if changed > 0:
                edited = frame.copy()
                rows = np.arange(0, n, max(1, round(1 / changed)))
                edited.loc[rows, C.EMPLOYEES] += 1
                timed(f"re-upsert {len(rows):,} changed", n, lambda: store.upsert_firms(edited))
            stored = store.summary()["tables"]["firms"]
            print(f"data_version {store.data_version()}, firms stored {stored:,}")
    print(f"peak memory at the end (max RSS): {peak_rss_mb():,.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200_000, help="rows (default 200000)")
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument(
        "--changed", type=float, default=0.0,
        help="also time a re-upsert with this fraction of rows changed (e.g. 0.1)",
    )
    args = parser.parse_args(argv)
    run(args.n, args.url, args.changed)


if __name__ == "__main__":
    main()
