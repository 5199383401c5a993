"""The offline bulk path builds the same graph as the incremental path.

It stops and restarts its server, so it runs on a private LocalNeo4j of its
own (not the session's shared test server).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphlink.config import get_settings
from graphlink.ingest.job import run_ingest
from graphlink.neo4j_local import LocalNeo4j, free_port
from graphlink.store import GraphStore
from tests.test_ingest import BASE, IDENTS, SIMS, graph_dump, write_snapshot


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    home = tmp_path_factory.mktemp("bulk-neo4j")
    server = LocalNeo4j(
        home=home, bolt_port=free_port(), http_port=free_port(), heap="1g", pagecache="256m"
    )
    server.install(lib_from=LocalNeo4j(home=get_settings().neo4j_home).lib)
    try:
        server.start(timeout=240)
    except Exception:
        print(server.log_tail(200))
        raise
    yield server
    server.stop()


@pytest.mark.slow  # its own server: start, stop, offline import, restart (~1-3 min)
def test_bulk_builds_the_same_graph_as_incremental(
    own_server: LocalNeo4j, store: GraphStore, tmp_path: Path
) -> None:
    tables = dict(BASE)
    # repeated identifier link and reversed similarity pair: the rows the importer cannot merge
    tables["identifiers"] = IDENTS + [
        {
            "account_id": "a1",
            "kind": "device",
            "value": "dev1",
            "first_seen": "2025-06-01T00:00:00Z",
        },
        {"account_id": "a3", "kind": "phone_hash", "value": "two\nlines", "first_seen": ""},
    ]
    tables["behaviour_similarity"] = SIMS + [
        {"account_a": "a1", "account_b": "a3", "score": "0.7", "signal": "timing_sync"},
        {"account_a": "a2", "account_b": "a2", "score": "0.7", "signal": "timing_sync"},
    ]
    # the same IP seen first without, then with a provider (batch size 2: different batches)
    tables["ip_observations"] = [dict(r) for r in BASE["ip_observations"]] + [
        {
            "account_id": "a3",
            "ip": "10.0.0.9",
            "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-01-02T00:00:00Z",
            "requests": "1",
            "asn": "",
            "proxy_provider": "",
            "is_datacenter": "",
        },
        {
            "account_id": "a1",
            "ip": "10.0.0.9",
            "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-01-02T00:00:00Z",
            "requests": "1",
            "asn": "64999",
            "proxy_provider": "LateProxy",
            "is_datacenter": "false",
        },
    ]
    snap = write_snapshot(tmp_path / "snap", tables)

    inc = run_ingest(store, snap, batch_size=2, report_dir=tmp_path / "inc")
    want = graph_dump(store, with_runs=False)

    bulk_store = GraphStore(own_server.bolt_uri, ("neo4j", own_server.password()))
    try:
        rep = run_ingest(
            bulk_store, snap, batch_size=2, bulk=own_server, report_dir=tmp_path / "bulk"
        )
        assert rep.mode == "bulk"
        assert [(t.read, t.loaded, t.rejected) for t in rep.tables] == [
            (t.read, t.loaded, t.rejected) for t in inc.tables
        ]
        assert graph_dump(bulk_store, with_runs=False) == want
        # the importer's own log is kept beside the report, its stage times in the notes
        logs = list((tmp_path / "bulk").glob("neo4j-import-*.log"))
        assert len(logs) == 1 and "IMPORT DONE" in logs[0].read_text()
        assert any(n.startswith("bulk: importer node import ") for n in rep.notes), rep.notes
        # constraints are in place after the import
        names = {r["name"] for r in bulk_store.query("SHOW CONSTRAINTS YIELD name RETURN name")}
        assert {"account_id", "ip_addr", "identifier_key"} <= names
        # a second bulk load into the now non-empty database falls back to incremental,
        # changing nothing
        before = graph_dump(bulk_store)
        again = run_ingest(
            bulk_store, snap, batch_size=100, bulk=own_server, report_dir=tmp_path / "bulk"
        )
        assert again.mode == "incremental" and any("not empty" in n for n in again.notes)
        assert graph_dump(bulk_store) == before
    finally:
        bulk_store.close()


def test_importer_stage_times_are_read_from_its_output() -> None:
    from graphlink.ingest.bulk import importer_stages

    out = """(1/4) Node import 2026-11-26 16:34:23.045+0000
Node import COMPLETED in 11s 142ms
(2/4) Relationship import 2026-11-26 16:34:34.192+0000
Relationship import COMPLETED in 1m 14s 979ms
Relationship linking COMPLETED in 957ms
Post processing COMPLETED in 1h 2m 0s 1ms
IMPORT DONE in 33s 244ms.
"""
    assert importer_stages(out) == {
        "node import": 11.142, "relationship import": 74.979, "relationship linking": 0.957,
        "post processing": 3720.001,
    }
    assert importer_stages("IMPORT FAILED") == {}
