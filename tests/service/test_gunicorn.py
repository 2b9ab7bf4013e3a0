"""A real gunicorn server on 127.0.0.1 over the test store: health, a keyed read, a write."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, *, method: str = "GET", headers=None, body=None):
    """Return (status, headers, parsed JSON body) of one request, errors included."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, json.loads(error.read())


@pytest.fixture(scope="module")
def server(demo_store, keys, tmp_path_factory):
    """Start gunicorn (two workers) on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    env = {**os.environ, "CHAINSCOUT_DATABASE_URL": demo_store.url}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--timeout", "30", "service.wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
            try:
                if call(f"{base}/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer in {STARTUP_SECONDS} s:\n"
                            f"{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_health_and_readiness(server):
    assert call(f"{server}/health")[::2] == (200, {"status": "ok"})
    status, _, body = call(f"{server}/ready")
    assert status == 200 and body["status"] == "ready"


def test_a_keyed_read(server, keys):
    status, headers, body = call(f"{server}/firms/ref-carl-zeiss",
                                 headers={"X-API-Key": keys["viewer"]})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-ID"]
    assert body["profile"]["name"] and body["provenance"]["source"] == "reference"


def test_a_write(server, keys, demo_store):
    outcome = {"firm_id": "ref-carl-zeiss", "node_id": "optical_microscopes", "stage": 2,
               "date": "2023-09-09", "note": "site visit through gunicorn"}
    status, _, body = call(f"{server}/outcomes", method="POST", body=outcome,
                           headers={"Authorization": f"Bearer {keys['officer']}"})
    assert status == 201
    assert body["recorded_by"] == keys["officer"][:8]
    stored = demo_store.outcomes(firm_id="ref-carl-zeiss")
    assert "site visit through gunicorn" in set(stored["note"].dropna())


def test_errors_keep_their_body_through_the_server(server, keys):
    status, headers, body = call(f"{server}/outcomes")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, _, body = call(f"{server}/outcomes", method="POST", body={"stage": 9},
                           headers={"Authorization": f"Bearer {keys['viewer']}"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, _, body = call(f"{server}/nowhere")
    assert status == 404 and set(body["error"]) == {"status", "code", "message", "details",
                                                    "request_id"}
