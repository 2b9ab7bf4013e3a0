"""The fault matrix through a real gunicorn on 127.0.0.1, started as ``chainscout serve``
starts it (``-c python:service.gunicorn_conf``): concurrent writes, logins across workers, a
killed worker, a model switch under reads, what the server refuses, and PostgreSQL stopped
for 10 s. Every load is bounded in requests and in time.

The PostgreSQL outage runs on a throwaway cluster of the test's own (``initdb`` and
``pg_ctl`` on a free port of 127.0.0.1, in a temporary folder), never the shared server other
tests use; it is skipped where the server binaries are missing, or where the test runs as
root without a ``postgres`` user to run them as.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import load_chain
from recommender.store import auth, open_store

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
NODE = "vacuum_pumps"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- a server and a client ----------------------------------------------------------------------
@dataclass
class Server:
    """A gunicorn master on 127.0.0.1, its access log (one ``<pid> <status>`` line a request)."""

    process: subprocess.Popen
    port: int
    log: Path
    access: Path

    def workers(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(p) for p in children.read_text().split()} if children.exists() else set()

    def served_by(self) -> Counter:
        lines = self.access.read_text().split("\n") if self.access.exists() else []
        return Counter(int(line.split()[0].strip("<>")) for line in lines if line.strip())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def call(port: int, method: str, path: str, *, headers=None, body: bytes | None = None,
         timeout: float = 30):
    """One request on a new connection: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    """``serve(env, workers=2)`` starts gunicorn with the service's config; returns a Server
    once ``/api/v1/health`` answers. Every server is stopped at the end of the module."""
    started: list[Server] = []

    def start(env: dict[str, str], *, workers: int = 2) -> Server:
        folder = tmp_path_factory.mktemp("faults")
        port = free_port()
        server = Server(None, port, folder / "server.log", folder / "access.log")
        with server.log.open("wb") as out:
            server.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf",
                 "--bind", f"{HOST}:{port}", "--workers", str(workers),
                 "--access-logfile", str(server.access), "--access-logformat", "%(p)s %(s)s",
                 "service.wsgi:app"],
                cwd=ROOT, env={**os.environ, "CHAINSCOUT_SNAPSHOT_CHECK_SECONDS": "0.5", **env},
                stdout=out, stderr=subprocess.STDOUT)
        started.append(server)
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(port, "GET", "/api/v1/health", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if server.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{server.log.read_text()[-3000:]}")
            time.sleep(0.2)
        while len(server.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        return server

    yield start
    for server in started:
        server.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@dataclass
class Load:
    """Requests sent by a few threads until stopped (or ``limit`` is reached)."""

    send: object  # () -> status, or raises
    threads: int = 4
    limit: int = 20_000
    results: list = field(default_factory=list)  # (monotonic time, status or exception name)
    stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Load:
        self._pool = ThreadPoolExecutor(self.threads)
        self._futures = [self._pool.submit(self._run) for _ in range(self.threads)]
        return self

    def _run(self) -> None:
        while not self.stop.is_set() and len(self.results) < self.limit:
            try:
                outcome = self.send()
            except (OSError, http.client.HTTPException) as exc:
                outcome = type(exc).__name__
            self.results.append((time.monotonic(), outcome))

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        for future in self._futures:
            future.result(timeout=60)
        self._pool.shutdown()

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.results) < count and time.monotonic() < deadline:
            time.sleep(0.02)


# --- stores -------------------------------------------------------------------------------------
def small_store(url: str) -> tuple[str, str]:
    """Put one firm and an officer key into the store at ``url``; return (firm id, key)."""
    with open_store(url) as store:
        store.upsert_firms(pd.DataFrame({C.FIRM_ID: ["ref-zeiss"], C.FIRM_KEY: ["zeiss|DE"],
                                         C.NAME: ["Carl Zeiss"], C.COUNTRY: ["DE"]}))
        key, _ = auth.create_key(store, "officer")
    return "ref-zeiss", key


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite",
                                     pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_20_clients_x_25_outcome_posts_store_exactly_500(backend, serve, tmp_path, request):
    url = (f"sqlite:///{tmp_path / 'w.db'}" if backend == "sqlite"
           else request.getfixturevalue("pg_url"))
    firm, key = small_store(url)
    node = load_chain().node_ids[0]
    server = serve({"CHAINSCOUT_DATABASE_URL": url, "CHAINSCOUT_VAR_DIR": str(tmp_path),
                    "CHAINSCOUT_RATE_LIMIT_PER_MINUTE": "0"})
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def client(n: int) -> list[int]:
        statuses = []
        for i in range(25):
            body = {"firm_id": firm, "node_id": node, "stage": 1, "date": "2024-05-01",
                    "campaign_id": f"load-{n}-{i}"}
            statuses.append(call(server.port, "POST", "/api/v1/outcomes", headers=headers,
                                 body=json.dumps(body).encode())[0])
        return statuses

    with ThreadPoolExecutor(20) as pool:
        statuses = Counter(s for batch in pool.map(client, range(20)) for s in batch)
    with open_store(url, upgrade=False) as store:
        stored = len(store.outcomes())
    assert statuses == {201: 500}
    assert stored == 500


def test_racing_duplicate_posts_get_one_201_and_the_rest_409(serve, tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    firm, key = small_store(url)
    server = serve({"CHAINSCOUT_DATABASE_URL": url, "CHAINSCOUT_VAR_DIR": str(tmp_path)})
    body = json.dumps({"firm_id": firm, "node_id": load_chain().node_ids[0], "stage": 2,
                       "date": "2024-05-02"}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(lambda _: call(server.port, "POST", "/api/v1/outcomes",
                                                   headers=headers, body=body)[0], range(8)))
    assert statuses == {201: 1, 409: 7}


@pytest.fixture(scope="module")
def demo_server(demo_store, keys, rankers, helpers, serve, tmp_path_factory):
    """gunicorn (2 workers) over the demo store, rate limits off; two saved models, the first
    active. (server, var dir, [version a, version b])."""
    from recommender.ranking.registry import ModelRegistry

    var = tmp_path_factory.mktemp("faults-var")
    registry = ModelRegistry(var / "models")
    versions = [helpers["save_model"](registry, rankers.good, 0.6),
                helpers["save_model"](registry, rankers.other, 0.5)]
    registry.activate(versions[0])
    server = serve({"CHAINSCOUT_DATABASE_URL": demo_store.url, "CHAINSCOUT_VAR_DIR": str(var),
                    "CHAINSCOUT_RATE_LIMIT_PER_MINUTE": "0"})
    return server, var, versions


@pytest.mark.slow
def test_10_logins_with_2_workers_under_load_all_hold(demo_server, keys):
    server, _, _ = demo_server
    cookie = re.compile(r"session=([^;]+)")

    def session_of(headers: dict) -> str:
        return cookie.search(headers.get("Set-Cookie", "")).group(1)

    def person(_) -> tuple[int, list[int]]:
        status, headers, page = call(server.port, "GET", "/login")
        jar = session_of(headers)
        token = TOKEN.search(page.decode()).group(1)
        form = urlencode({"csrf_token": token, "api_key": keys["viewer"]}).encode()
        status, headers, _ = call(server.port, "POST", "/login", body=form, headers={
            "Cookie": f"session={jar}", "Content-Type": "application/x-www-form-urlencoded"})
        logged_in = status == 302 and not headers["Location"].startswith("/login")
        jar = session_of(headers) if logged_in else jar
        pages = [call(server.port, "GET", "/parks", headers={"Cookie": f"session={jar}"})[0]
                 for _ in range(4)]
        return int(logged_in), pages

    with Load(lambda: call(server.port, "GET", "/api/v1/health")[0], threads=2,
              limit=5000) as load:
        with ThreadPoolExecutor(5) as pool:
            people = list(pool.map(person, range(10)))
    assert sum(logged for logged, _ in people) == 10
    assert Counter(s for _, pages in people for s in pages) == {200: 40}
    assert load.results  # the load ran meanwhile
    assert len(server.served_by()) >= 2  # both workers answered


@pytest.mark.slow
def test_a_worker_killed_under_load_costs_under_01_percent(demo_server, keys):
    """SIGKILL one of two workers mid-load: at most 0.1 % of the requests fail, and a new
    worker answers within 15 s."""
    server, _, _ = demo_server
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    before = server.workers()
    assert len(before) == 2
    with Load(lambda: call(server.port, "GET", "/api/v1/chains", headers=viewer)[0],
              threads=4, limit=6000) as load:
        load.wait_for(1000)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        replaced_at = None
        while time.monotonic() - killed_at < 15 and len(load.results) < load.limit:
            new = set(server.served_by()) - before
            if new:
                replaced_at = time.monotonic()
                break
            time.sleep(0.1)
        load.wait_for(min(load.limit, len(load.results) + 500), timeout=15)
    outcomes = Counter(outcome for _, outcome in load.results)
    failed = sum(n for outcome, n in outcomes.items() if outcome != 200)
    print(f"\nworker kill: {len(load.results)} requests, {dict(outcomes)}; replacement "
          f"answered after {replaced_at - killed_at if replaced_at else None} s")
    assert failed <= max(1, len(load.results) // 1000), outcomes
    assert replaced_at is not None, "no new worker answered within 15 s"
    assert len(server.workers()) == 2 and server.workers() != before


@pytest.mark.slow
def test_a_model_switch_during_reads_never_mixes_versions(demo_server, keys):
    """Readers hammer a ranking while a training job runs and a model is activated: each
    answer names one model version, in its header, its body and every item."""
    server, _, (a, b) = demo_server
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    admin = {"Authorization": f"Bearer {keys['admin']}", "Content-Type": "application/json"}
    path = f"/api/v1/weak-links/{NODE}/recommendations?k=20"
    seen: list[tuple] = []

    def read() -> int:
        status, headers, body = call(server.port, "GET", path, headers=viewer)
        if status == 200:
            data = json.loads(body)
            seen.append((headers["X-Model-Version"], data["model_version"],
                         frozenset(i["model_version"] for i in data["items"])))
        return status

    with Load(read, threads=3, limit=50_000) as load:
        status, _, job = call(server.port, "POST", "/api/v1/models/train", headers=admin,
                              body=json.dumps({"activate": False, "test_share": 0.3}).encode())
        assert status == 202, job
        job_id = json.loads(job)["id"]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = json.loads(call(server.port, "GET", f"/api/v1/jobs/{job_id}",
                                    headers=admin)[2])
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.3)
        assert state["status"] == "done", state
        for version in (b, state["result"]["version"]):
            status, _, body = call(server.port, "POST", f"/api/v1/models/{version}/activate",
                                   headers=admin)
            assert status == 200, body
            until = time.monotonic() + 20
            while time.monotonic() < until and (not seen or seen[-1][0] != version):
                time.sleep(0.05)
    mixed = [s for s in seen if {s[0], s[1]} != set(s[2]) or s[0] != s[1]]
    served = {s[0] for s in seen}
    assert set(Counter(outcome for _, outcome in load.results)) == {200}
    assert mixed == []
    assert {a, b, state["result"]["version"]} <= served  # three models served in turn


def test_what_the_server_refuses_it_answers_in_json(demo_server, keys):
    server, _, _ = demo_server
    officer = {"Authorization": f"Bearer {keys['officer']}"}
    cases = {
        "app's request line": call(server.port, "GET", "/api/v1/health?x=" + "y" * 5000),
        "gunicorn's request line": call(server.port, "GET", "/api/v1/health?x=" + "y" * 9000),
        "gunicorn's header": call(server.port, "GET", "/api/v1/health",
                                  headers={"X-Big": "z" * 40_000}),
    }
    parts = [b" " * 65536] * 33  # 2 MiB and 64 KiB, in chunks
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"
    cases["chunked body"] = call(server.port, "POST", "/api/v1/outcomes", body=chunks,
                                 headers={**officer, "Content-Type": "application/json",
                                          "Transfer-Encoding": "chunked"})
    statuses = {name: status for name, (status, _, _) in cases.items()}
    assert statuses == {"app's request line": 414, "gunicorn's request line": 414,
                        "gunicorn's header": 431, "chunked body": 413}
    for name, (status, headers, body) in cases.items():
        assert headers["Content-Type"].startswith("application/json"), name
        assert json.loads(body)["error"]["status"] == status, name


def test_a_keys_rate_limit_is_shared_by_the_workers(demo_store, keys, serve, tmp_path):
    server = serve({"CHAINSCOUT_DATABASE_URL": demo_store.url, "CHAINSCOUT_VAR_DIR":
                    str(tmp_path), "CHAINSCOUT_RATE_LIMIT_PER_MINUTE": "6",
                    "CHAINSCOUT_RATE_LIMIT_BURST": "10"})
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    started = time.monotonic()
    statuses: Counter = Counter()
    with ThreadPoolExecutor(4) as pool:
        # rounds of 40 until both workers have answered (a busy machine may hand the first
        # rounds to one), at most 5
        for _ in range(5):
            statuses.update(pool.map(lambda _: call(server.port, "GET", "/api/v1/chains",
                                                    headers=viewer)[0], range(40)))
            if len(server.served_by()) == 2:
                break
    refills = int((time.monotonic() - started) * 6 / 60) + 1
    assert statuses[429] + statuses[200] == statuses.total()
    assert len(server.served_by()) == 2
    assert 10 <= statuses[200] <= 10 + refills  # one allowance, not one per worker (20)


# --- PostgreSQL stopped under load ---------------------------------------------------------
OUTAGE_SECONDS = 10


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class Cluster:
    """A PostgreSQL cluster of its own in ``folder``, listening on 127.0.0.1:``port``."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as postgres
            self.prefix = ["runuser", "-u", "postgres", "--"]
            owner = pwd.getpwnam("postgres")
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def run(self, *args: str) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)

    def init(self) -> None:
        self.run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        self.run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                 str(self.folder / "server.log"), "-w", "-t", "30", "start")

    def stop(self) -> None:
        self.run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture(scope="module")
def cluster():
    if not (_bin("initdb") and _bin("pg_ctl")):
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) to run a cluster of its own")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user to run a cluster as")
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser")
    # not under pytest's temporary folder: that one is private to the user running the tests
    base = Path(tempfile.mkdtemp(prefix="chainscout-pg-"))
    base.chmod(0o755)
    made = Cluster(base / "cluster", free_port())
    try:
        made.init()
        made.start()
        yield made
    finally:
        try:
            made.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_stopped_for_10_s_is_a_clean_503_then_recovery_without_restart(
        cluster, serve, tmp_path):
    _, key = small_store(cluster.url)
    server = serve({"CHAINSCOUT_DATABASE_URL": cluster.url, "CHAINSCOUT_VAR_DIR": str(tmp_path),
                    "CHAINSCOUT_RATE_LIMIT_PER_MINUTE": "0",
                    "CHAINSCOUT_AUTH_CACHE_SECONDS": "0"}, workers=2)
    officer = {"Authorization": f"Bearer {key}"}
    answers: list[tuple[float, int, dict, bytes]] = []

    def read() -> int:  # answers are timed by when the request was sent
        sent = time.monotonic()
        status, headers, body = call(server.port, "GET", "/api/v1/firms?page_size=1",
                                     headers=officer)
        answers.append((sent, status, headers, body))
        time.sleep(0.02)
        return status

    with Load(read, threads=2, limit=20_000) as load:
        load.wait_for(20)
        cluster.stop()
        stopped = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        resuming = time.monotonic()
        cluster.start()
        restarted = time.monotonic()
        while time.monotonic() - restarted < 20:
            if answers and answers[-1][0] > restarted and answers[-1][1] == 200:
                break
            time.sleep(0.1)
        load.wait_for(len(load.results) + 20)
    # a request sent within the store's retry budget (under a second) of the restart may
    # succeed on a retry: the outage proper ends that long before the server comes back
    during = [a for a in answers if stopped + 0.5 < a[0] < resuming - 1.0]
    after = [a for a in answers if a[0] > restarted]
    statuses = Counter(a[1] for a in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert len(during) > 20 and {a[1] for a in during} == {503}
    for _, _, headers, body in during:
        assert headers["Content-Type"] == "application/json"
        assert int(headers["Retry-After"]) >= 1
        assert json.loads(body)["error"]["code"] == "store_unavailable"
    assert after and after[-1][1] == 200  # the same gunicorn answers again
    recovered = next(a[0] for a in answers if a[0] > restarted and a[1] == 200)
    print(f"\npostgres outage: {dict(statuses)}; first 200 {recovered - restarted:.2f} s after "
          "the restart")
