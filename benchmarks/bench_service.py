"""Serve a 100,000-firm demo world with gunicorn and measure the top-50 endpoint under load.

Usage::

    .venv/bin/python benchmarks/bench_service.py [--firms 100000] [--workers 2]
        [--seconds 10] [--connections 4,8,16] [--node vacuum_pumps] [--k 50] [--client auto]
        [--train]

Steps:

1. **Store**: the demo world of ``--firms`` synthetic firms (seed 7) in a SQLite store under
   ``var/bench/``, built once and reused while its firm count matches; a viewer key for the
   run (revoked at the end).
2. **Server**: gunicorn on 127.0.0.1, a free port, ``--workers`` sync workers, the service's
   gunicorn settings (each worker opens its first snapshot as it starts: the first one scores
   it into ``var/bench/scores``, the other reads that file), no access log, the
   per-key rate limit off (one key sends every request). The prior ranks unless ``--train``
   trains a LambdaRank model on the world's outcomes first (``recommender.ranking.training``, kept
   active in ``var/bench/models``); serving costs the same either way once the scores are
   made, only the snapshot takes longer to build.
3. **Warm-up**: until both workers answer the top-50 request from a built snapshot.
4. **Load**, on loopback only and bounded: ``--seconds`` of requests per endpoint from
   ``--connections`` concurrent connections, first ``GET /api/v1/health`` (the reference: no
   key, no data), then ``GET /api/v1/weak-links/<node>/recommendations?k=50``, once for each
   number of connections in ``--connections`` (a closed loop: each connection sends its next
   request when the last one is answered, so latency grows with connections). The client is
   ``wrk`` (Debian's package; installed with apt-get when missing and the script runs as root),
   else a Python client of threads with ``http.client``, each request on a fresh connection as
   gunicorn's sync workers close it. The client runs on the same machine and takes CPU from
   the server: the figures are a floor.

Prints throughput and p50/p99 latency per endpoint, and each worker's memory after the
warm-up and after the load (resident set, and the part only that worker holds: pages of the
shared score file count in every worker's resident set but are one copy in the page cache).
The goals: p99 <= 10 ms at >= 2,000 requests a second on the top-50 endpoint, and at most
1 GB resident per worker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
STARTUP_SECONDS = 1800
GOAL_RPS = 2000


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the store -------------------------------------------------------------------------------
def prepare_store(n_firms: int) -> tuple[str, str, int]:
    """Return (database URL, a new viewer key, its id) for the demo world of ``n_firms``."""
    from recommender.chain import load_chain
    from recommender.demo.install import build_demo
    from recommender.store import auth, open_store

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{BENCH_DIR / f'bench-{n_firms}.db'}"
    store = open_store(url)
    synthetic = store.summary()["synthetic_firms"]
    if synthetic != n_firms:
        if synthetic:
            raise SystemExit(f"{url} holds {synthetic} synthetic firms, not {n_firms}; "
                             f"delete it to rebuild")
        say(f"building the demo world: {n_firms:,} firms (once; reused from {BENCH_DIR})")
        started = time.perf_counter()
        build_demo(n_firms=n_firms, seed=7, out_dir=BENCH_DIR / f"demo-{n_firms}",
                   chain=load_chain(), store=store)
        say(f"  built in {time.perf_counter() - started:.0f} s")
    key, principal = auth.create_key(store, auth.VIEWER, label="bench_service")
    store.close()
    return url, key, principal.id


def train(url: str) -> None:
    """Train and activate a model in ``var/bench/models`` unless one is active there."""
    from recommender.chain import load_chain
    from recommender.config import load_settings
    from recommender.demo.world import load_region
    from recommender.diagnosis.weak_links import diagnose_weak_links
    from recommender.ranking.dataset import load_chain_data
    from recommender.ranking.registry import ModelRegistry
    from recommender.ranking.training import train_model
    from recommender.store import open_store

    registry = ModelRegistry(BENCH_DIR / "models")
    if registry.active_version() is not None:
        return
    say("training a model on the world's outcomes (once; kept in var/bench/models)")
    started = time.perf_counter()
    chain, region = load_chain(), load_region()
    with open_store(url) as store:
        data = load_chain_data(store, chain=chain, region=region)
    weak_links = diagnose_weak_links(chain, region, data.firms, data.firm_nodes,
                                     settings=load_settings())
    result = train_model(data, weak_links, registry)
    say(f"  model {result['version']} in {time.perf_counter() - started:.0f} s: "
        f"{(result['promotion'] or {}).get('reason', '')}")


def revoke(url: str, key_id: int) -> None:
    from recommender.store import auth, open_store

    with open_store(url) as store:
        auth.revoke_key(store, key_id)


# --- the server ------------------------------------------------------------------------------
def start_server(url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CHAINSCOUT_DATABASE_URL": url,
           "CHAINSCOUT_VAR_DIR": str(BENCH_DIR), "CHAINSCOUT_RATE_LIMIT_PER_MINUTE": "0"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
             str(workers), "-c", "python:service.gunicorn_conf", "--timeout", "600",
             "--backlog", "2048", "service.wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def warm_up(process: subprocess.Popen, port: int, path: str, headers: dict, workers: int,
            log: Path) -> float:
    """Wait for the server, then until enough requests in a row answer fast (every worker)."""
    started = time.perf_counter()
    deadline = time.monotonic() + STARTUP_SECONDS
    fast = 0
    while fast < 10 * workers:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise SystemExit(f"no warm answer in {STARTUP_SECONDS} s:\n{log.read_text()}")
        try:
            begun = time.perf_counter()
            status, body = get(port, path, headers)
            took = time.perf_counter() - begun
        except OSError:
            time.sleep(0.5)
            continue
        if status == 503:  # the first snapshot is still being scored: retry
            time.sleep(1)
            continue
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:500]!r}")
        fast = fast + 1 if took < 0.05 else 0
    return time.perf_counter() - started


def worker_memory(process: subprocess.Popen) -> list[dict]:
    """Each gunicorn worker's resident memory in MB: ``rss`` (every page it maps, pages of a
    shared memory-mapped file included), ``uss`` (pages only it holds) and ``pss`` (its own
    pages plus its share of those it shares)."""
    import psutil

    found = []
    for child in psutil.Process(process.pid).children():
        try:
            full = child.memory_full_info()
        except psutil.Error:
            continue
        found.append({"pid": child.pid, "rss_mb": full.rss / 2 ** 20,
                      "uss_mb": full.uss / 2 ** 20, "pss_mb": getattr(full, "pss", 0) / 2 ** 20})
    return found


def say_memory(process: subprocess.Popen, when: str) -> list[dict]:
    found = worker_memory(process)
    say(f"worker memory {when}: " + "; ".join(
        f"pid {w['pid']}: RSS {w['rss_mb']:,.0f} MB (own {w['uss_mb']:,.0f}, "
        f"proportional {w['pss_mb']:,.0f})" for w in found))
    return found


# --- the clients -----------------------------------------------------------------------------
def have_wrk() -> str | None:
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    say("installing wrk (Debian package) for the load")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, **quiet)
    return shutil.which("wrk")


def run_wrk(wrk: str, port: int, path: str, headers: dict, seconds: int,
            connections: int) -> dict:
    args = [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
            "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(args + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"client": "wrk", "requests": requests,
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": ms("50"), "p99_ms": ms("99"),
            "failed": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": errors.group(1).strip() if errors else "none"}


def run_python(port: int, path: str, headers: dict, seconds: int, connections: int) -> dict:
    """Threads sending requests until ``seconds`` pass; latency of each request."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()

    def client() -> None:
        mine, bad = [], 0
        while time.monotonic() < stop:
            begun = time.perf_counter()
            try:
                status, _ = get(port, path, headers)
            except OSError:
                status = 0
            mine.append(time.perf_counter() - begun)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            failed[0] += bad

    threads = [threading.Thread(target=client) for _ in range(connections)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - begun
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e3

    return {"client": "python threads", "requests": len(latencies),
            "rps": len(latencies) / took, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "failed": failed[0], "socket_errors": "none"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10, help="load per endpoint (bounded)")
    parser.add_argument("--connections", default="4,8,16",
                        help="concurrent connections, comma-separated: one run each")
    parser.add_argument("--node", default="vacuum_pumps")
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--train", action="store_true",
                        help="serve a trained model instead of the prior")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()

    url, key, key_id = prepare_store(args.firms)
    if args.train:
        train(url)
    port = free_port()
    log = BENCH_DIR / "gunicorn.log"
    headers = {"Authorization": f"Bearer {key}"}
    top = f"/api/v1/weak-links/{args.node}/recommendations?k={args.k}"
    process = start_server(url, port, args.workers, log)
    results = {}
    try:
        warm = warm_up(process, port, top, headers, args.workers, log)
        status, body = get(port, top, headers)
        answer = json.loads(body)
        serving = json.loads(get(port, "/api/v1/models", headers)[1])["serving"]
        say(f"server: gunicorn, {args.workers} sync workers on 127.0.0.1:{port}; warm after "
            f"{warm:.0f} s (snapshot scored in {serving['build_seconds']:.1f} s); model "
            f"{answer['model_version']}, {answer['candidates']:,} candidates for {args.node}, "
            f"{len(body):,} bytes per top-{args.k} answer")
        results["memory after warm-up"] = say_memory(process, "after warm-up")
        wrk = have_wrk() if args.client in ("auto", "wrk") else None
        if args.client == "wrk" and wrk is None:
            raise SystemExit("wrk is not installed")
        connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
        for name, path, hdrs in (("health", "/api/v1/health", {}),
                                 (f"top-{args.k}", top, headers)):
            for n in connections:
                if wrk:
                    result = run_wrk(wrk, port, path, hdrs, args.seconds, n)
                else:
                    result = run_python(port, path, hdrs, args.seconds, n)
                results[f"{name} c={n}"] = result | {"connections": n}
                say(f"{name:<8} c={n:<3} {result['rps']:>7,.0f} requests/s   p50 "
                    f"{result['p50_ms']:6.2f} ms   p99 {result['p99_ms']:6.2f} ms   "
                    f"({result['requests']:,} requests, {result['failed']} failed, "
                    f"{result['client']})")
        results["memory after load"] = say_memory(process, "after the load")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        revoke(url, key_id)
    runs = [r for name, r in results.items() if name.startswith(f"top-{args.k} ")]
    memory = results.get("memory after load") or []
    if memory:
        worst = max(w["rss_mb"] for w in memory)
        say(f"goal each worker's resident memory <= 1 GB: "
            f"{'met' if worst <= 1024 else 'not met'} (largest RSS {worst:,.0f} MB)")
    if runs:
        met = [r["connections"] for r in runs if r["p99_ms"] <= 10 and r["rps"] >= GOAL_RPS]
        say(f"goal p99 <= 10 ms at >= {GOAL_RPS:,} requests/s on the top-50 endpoint: "
            + (f"met with {', '.join(map(str, met))} connections" if met else "not met"))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
