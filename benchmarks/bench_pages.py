"""Time the pages for people server-side and weigh what they send.

Usage::

    .venv/bin/python benchmarks/bench_pages.py [--firms 100000] [--repeat 20] [--train]

Steps:

1. **Store**: the demo world of ``--firms`` synthetic firms (seed 7), built once under
   ``var/bench/`` and shared with ``bench_service.py``; a viewer key for the run (revoked at the
   end). ``--train`` serves a LambdaRank model trained on the world's outcomes (kept in
   ``var/bench/models``), else the prior.
2. **App**: the Flask app in this process (no HTTP server, no network: the figures are the
   service's own work: queries, snapshot lookups, templates, gzip), logged in as a person is.
3. **Pages**: the first request builds the score snapshot (timed apart); then each page is
   requested ``--repeat`` times, asking for gzip as a browser does.

Prints, per page, the median and 95th-percentile time and the bytes sent (gzip) and rendered
(plain). Goal: every page under 300 ms at the median on the 100,000-firm world.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_service import BENCH_DIR, prepare_store, revoke, say, train  # noqa: E402

NODE = "vacuum_pumps"


def pages(client) -> list[tuple[str, str]]:
    """The pages to time: (label, path), with ids read off the pages themselves."""
    dashboard = client.get(f"/?node={NODE}").get_data(as_text=True)
    firm = re.search(r'href="(/firms/[^"]+)"', dashboard).group(1)
    parks = client.get("/parks").get_data(as_text=True)
    park = re.search(r'href="(/parks/[^"/?]+)"', parks).group(1)
    return [
        ("dashboard (graph, 20 firms)", f"/?node={NODE}"),
        ("dashboard, filtered", f"/?node={NODE}&country=DE&country=JP&size=mid&stage=none"),
        ("dashboard + target list (K 30)", f"/?node={NODE}&targets_k=30"),
        ("firm portrait", firm),
        ("parks list", "/parks"),
        ("park portrait", park),
        ("map page", f"/map?weak_link={NODE}"),
        ("map data (GeoJSON, 50 firms)", f"/map/recruitment.geojson?weak_link={NODE}&k=50"),
        ("basemap (GeoJSON)", "/map/basemap.geojson"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--train", action="store_true")
    args = parser.parse_args()

    from service import create_app

    url, key, key_id = prepare_store(args.firms)
    if args.train:
        train(url)
    try:
        app = create_app({"database_url": url, "var_dir": str(BENCH_DIR),
                          "RATE_LIMIT_PER_MINUTE": 0, "SNAPSHOT_REFRESH": "inline",
                          "SECRET_KEY": "bench-pages"})
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"csrf_token": token, "api_key": key})
        started = time.perf_counter()
        first = client.get("/")
        say(f"{args.firms:,} firms; first page (builds the score snapshot): "
            f"{time.perf_counter() - started:.1f} s, status {first.status_code}")
        say("")
        say(f"{'page':<34}{'median ms':>10}{'p95 ms':>9}{'sent KB':>9}{'plain KB':>10}")
        for label, path in pages(client):
            times, response = [], None
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(path, headers={"Accept-Encoding": "gzip"})
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            body = response.get_data()
            plain = gzip.decompress(body) if response.headers.get("Content-Encoding") else body
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
            say(f"{label:<34}{statistics.median(times):>10.1f}{p95:>9.1f}"
                f"{len(body) / 1024:>9.1f}{len(plain) / 1024:>10.1f}")
    finally:
        revoke(url, key_id)


if __name__ == "__main__":
    main()
