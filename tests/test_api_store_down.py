"""Neo4j stops under a running API: bounded 503s, then recovery on its own.

Uses the session's private server (``neo4j_server`` fixture): it is stopped
here and started again in a ``finally`` (and by the fixture's teardown guard
below) so later tests find it running even if this one fails.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_support as sup

from api.app import create_app
from graphlink.config import Settings
from graphlink.neo4j_local import LocalNeo4j
from graphlink.store import GraphStore

#: A request must be answered within this many seconds while Neo4j is down.
BOUND = 8.0
KEY_TTL = 0.5


@pytest.fixture()
def server(neo4j_server: LocalNeo4j | None) -> Iterator[LocalNeo4j]:
    if neo4j_server is None:
        pytest.skip("external test server: cannot stop it")
    try:
        yield neo4j_server
    finally:
        neo4j_server.start(timeout=240)  # idempotent; the rest of the session needs it


def timed(fn: Any, *args: Any, **kw: Any) -> tuple[Any, float]:
    t0 = time.monotonic()
    r = fn(*args, **kw)
    return r, time.monotonic() - t0


def test_store_down_gives_bounded_503_then_recovers(
    server: LocalNeo4j, settings: Settings, session_store: GraphStore
) -> None:
    keys = sup.plant(session_store)
    fast = settings.model_copy(update={"connect_timeout": 1.0})
    app = create_app(fast, poll_interval=0.5, key_cache_ttl=KEY_TTL)
    with TestClient(app) as client:
        reader, signup = sup.bearer(keys["reader"]), sup.bearer(keys["signup"])
        assert client.get("/v1/accounts/r01", headers=reader).status_code == 200
        assert client.get("/readyz").status_code == 200

        server.stop()
        time.sleep(KEY_TTL + 0.1)  # let cached keys expire: they must be re-verified now

        for url in ("/v1/accounts/r01", "/v1/clusters/c-000001", "/v1/banwaves"):
            r, took = timed(client.get, url, headers=reader)
            assert r.status_code == 503, (url, r.text)
            assert took < BOUND, (url, took)
            err = r.json()["error"]
            assert err["code"] == "store_unavailable" and "Neo4j" in err["message"]
            assert r.headers["retry-after"]
        r, took = timed(client.post, "/v1/signup-check", json={"ip": "203.0.113.10"}, headers=signup)
        assert r.status_code == 503 and took < BOUND
        r, took = timed(client.get, "/readyz")
        assert r.status_code == 503 and took < BOUND
        assert r.json()["store"] == "unavailable" and r.json()["ready"] is False
        assert client.get("/healthz").status_code == 200

        server.start(timeout=240)
        deadline = time.monotonic() + 60
        statuses = []
        while time.monotonic() < deadline:
            r = client.get("/v1/accounts/r01", headers=reader)
            statuses.append(r.status_code)
            if r.status_code == 200:
                break
            time.sleep(0.5)
        assert statuses[-1] == 200, statuses
        assert r.json()["cluster"]["cluster_id"] == "c-000001"
        assert client.get("/readyz").status_code == 200
        r = client.post("/v1/signup-check", json={"ip": "203.0.113.10"}, headers=signup)
        assert r.status_code == 200 and "ip_in_ring" in r.json()["reasons"]
