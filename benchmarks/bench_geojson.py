"""Time the GeoJSON writer against ``geopandas.GeoDataFrame.to_json`` on 100,000 firm points.

Run: ``.venv/bin/python benchmarks/bench_geojson.py [--features N] [--repeat R]``. Builds a
firm layer (``recommender.maps.firm_layer``) of N synthetic recommendation rows, flagged
``is_synthetic`` and with Chinese and English names and reasons, then times
``recommender.maps.to_geojson`` and geopandas' ``to_json(to_wgs84=True)`` (best of R runs
each), prints both figures and their ratio, and checks that the two outputs hold the same
features: the same ids, coordinates within 1e-6 degrees (ours are rounded to 6 decimals) and
equal properties (numbers within 1e-9). Wall-clock and CPU times are both printed: on a
machine busy with other work the wall clock is the larger. Exits 1 if the outputs differ or if
ours takes more than the target of 0.5 s (wall clock) for 100,000 features.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
import orjson
import pandas as pd

from recommender import columns as C
from recommender.maps import firm_layer, to_geojson

TARGET_S = 0.5  # for 100,000 point features
NODES = [("vacuum_pumps", "真空泵", "Vacuum pumps"), ("mass_spectrometers", "质谱仪",
         "Mass spectrometers"), ("lasers", "激光器", "Lasers"), ("adc_chips", "模数转换芯片",
         "ADC chips")]
COUNTRIES = ["US", "DE", "JP", "KR", "GB", "FR", "CH", "NL", "TW", "IL"]


def synthetic_recommendations(n: int, seed: int = 7) -> pd.DataFrame:
    """Return ``n`` recommendation-shaped rows of synthetic firms (one weak link each)."""
    rng = np.random.default_rng(seed)
    node = rng.integers(0, len(NODES), n)
    ids = np.array([f"syn-{i:08x}" for i in range(n)], dtype=object)
    score = np.round(rng.random(n), 4)
    p = np.where(rng.random(n) < 0.1, np.nan, np.round(rng.random(n), 4))
    zh = np.array([z for _, z, _ in NODES], dtype=object)[node]
    en = np.array([e for _, _, e in NODES], dtype=object)[node]
    return pd.DataFrame({
        C.FIRM_ID: ids, C.RANK: np.arange(1, n + 1), C.SCORE: score, C.P_SUCCESS: p,
        C.NODE_ID: np.array([i for i, _, _ in NODES], dtype=object)[node],
        C.NAME: [f"Synthetic Instruments {i}" for i in range(n)],
        C.NAME_ZH: [f"合成仪器{i}" for i in range(n)],
        C.COUNTRY: rng.choice(COUNTRIES, n), C.CITY: rng.choice(["Boston", "Munich", "Kyoto"], n),
        C.LAT: rng.uniform(-55, 70, n), C.LON: rng.uniform(-180, 180, n),
        "reason_zh": "填补薄弱环节 " + zh + "；已在中国销售",
        "reason_en": "fills weak link " + en + "; already sells in China",
        C.IS_SYNTHETIC: True, C.SOURCE: "synthetic", C.MODEL_VERSION: "bench",
    })


def best_of(repeat: int, func) -> tuple[float, float, object]:
    """Return the best wall-clock time, the best CPU time of this process, and the result."""
    wall = cpu = math.inf
    result = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def same_features(ours: bytes, reference: str) -> str | None:
    """Return None when both collections hold the same features, else what differs."""
    a, b = orjson.loads(ours)["features"], orjson.loads(reference)["features"]
    if len(a) != len(b):
        return f"{len(a)} features against {len(b)}"
    for fa, fb in zip(a, b, strict=True):
        if str(fa["id"]) != str(fb["id"]):
            return f"id {fa['id']!r} against {fb['id']!r}"
        xa, xb = fa["geometry"]["coordinates"], fb["geometry"]["coordinates"]
        if max(abs(u - v) for u, v in zip(xa, xb, strict=True)) > 1e-6:
            return f"{fa['id']}: coordinates {xa} against {xb}"
        pa, pb = fa["properties"], fb["properties"]
        if set(pa) != set(pb):
            return f"{fa['id']}: properties {sorted(set(pa) ^ set(pb))} differ"
        for key, va in pa.items():
            vb = pb[key]
            if isinstance(va, float) or isinstance(vb, float):
                if va is None or vb is None or abs(va - vb) > 1e-9:
                    if not (va is None and vb is None):
                        return f"{fa['id']}: {key} {va!r} against {vb!r}"
            elif va != vb:
                return f"{fa['id']}: {key} {va!r} against {vb!r}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    layer = firm_layer(synthetic_recommendations(args.features))
    ours_s, ours_cpu, ours = best_of(args.repeat, lambda: to_geojson(layer))
    ref_s, ref_cpu, ref = best_of(args.repeat,
                                  lambda: layer.to_json(to_wgs84=True, drop_id=False))
    target = TARGET_S * args.features / 100_000
    print(f"features: {len(layer):,} (synthetic, is_synthetic=true); best of {args.repeat}, "
          f"wall clock (CPU time of this process)")
    print(f"recommender.maps.to_geojson:  {ours_s:6.3f} s ({ours_cpu:.3f} s CPU)  "
          f"{len(ours) / 1e6:5.1f} MB  target <= {target:.2f} s")
    print(f"GeoDataFrame.to_json:         {ref_s:6.3f} s ({ref_cpu:.3f} s CPU)  "
          f"{len(ref) / 1e6:5.1f} MB")
    print(f"ratio (to_json / ours):       {ref_s / ours_s:6.1f} x wall, "
          f"{ref_cpu / ours_cpu:.1f} x CPU")
    problem = same_features(ours, ref)
    print("same features: " + ("yes" if problem is None else f"NO ({problem})"))
    return 0 if problem is None and ours_s <= target else 1


if __name__ == "__main__":
    sys.exit(main())
