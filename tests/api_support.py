"""Shared set-up for the API tests: the planted graph, one big cluster, and keys.

On top of ``planted_graph`` (ring c-000001 of the current run ``run-2``, ring
c-000002, ban waves …), a cluster ``c-000900`` of ``BIG`` accounts ``m000..``
joins run-2 so that member pagination spans many pages.  Writes are
parameterised ``UNWIND`` statements.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import planted_graph as pg
from conftest import wipe
from graphlink import apikeys
from graphlink.neo4j_local import free_port
from graphlink.store import GraphStore

GRAPHLINK = str(Path(sys.executable).parent / "graphlink")


@contextmanager
def serving(env: dict[str, str], *, ready: str = "/healthz", timeout: float = 60.0,
            args: Sequence[str] = ()) -> Iterator[str]:
    """A real ``graphlink serve`` process on a free port; yields its base URL once
    ``ready`` answers 200, and stops the process afterwards."""
    port = free_port()
    proc = subprocess.Popen([GRAPHLINK, "serve", "--port", str(port), *args],
                            env=os.environ | env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx.get(f"{base}{ready}", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(f"graphlink serve did not answer {ready} within {timeout:.0f}s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()

BIG = 57
BIG_CLUSTER = "c-000900"
BIG_MEMBERS = [f"m{i:03d}" for i in range(BIG)]

_BIG_CLUSTER = """
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a.created_at = $created_at, a.plan = 'api', a.country = 'NL', a.status = 'active',
    a.email_domain = 'bulk.example'
WITH a, row
MATCH (r:DetectionRun {run_id: $run_id})
MERGE (c:Cluster {cluster_key: $run_id + '/' + $cluster_id})
ON CREATE SET c.cluster_id = $cluster_id, c.run_id = $run_id, c.size = $size, c.risk = 0.71,
              c.reasons = ['shared_device', 'signup_burst'], c.features_json = '{"density": 0.4}'
MERGE (c)-[:IN_RUN]->(r)
MERGE (a)-[m:MEMBER_OF]->(c)
SET m.run_id = $run_id, m.account_risk = 0.7, m.reasons = ['shared_device']
MERGE (d:Identifier {key: 'device:dev-bulk'}) SET d.kind = 'device', d.value = 'dev-bulk'
MERGE (a)-[:HAS_IDENTIFIER]->(d)
"""

SCOPED = {
    "signup": ["signup:check"],
    "reader": ["investigate:read"],
    "writer": ["banwave:write", "investigate:read"],
    "all": list(apikeys.SCOPES),
}


def plant(store: GraphStore) -> dict[str, str]:
    """Wipe, write the graph, and return fresh keys by name (see ``SCOPED``)."""
    wipe(store)
    pg.plant(store)
    store.query(
        _BIG_CLUSTER,
        {
            "rows": [{"account_id": a} for a in BIG_MEMBERS],
            "run_id": "run-2",
            "cluster_id": BIG_CLUSTER,
            "size": BIG,
            "created_at": datetime(2026, 11, 2, tzinfo=UTC),
        },
        name="tests/api/big_cluster",
        write=True,
    )
    return {name: apikeys.create_key(store, name=name, scopes=s).key for name, s in SCOPED.items()}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
