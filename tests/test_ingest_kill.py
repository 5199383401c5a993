"""A crash mid-ingest, then a re-run, leaves the graph one clean run leaves (issue 11).

A real ``graphlink ingest`` subprocess is killed with SIGKILL (no cleanup, no
``finally``) once the store holds a randomly drawn share of the snapshot's
graph, i.e. at a random batch; the same snapshot is then ingested again and
every node and relationship, with all its properties, must equal what one
uninterrupted run into an empty store produces.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from conftest import wipe
from graphlink.ingest.job import run_ingest
from graphlink.store import GraphStore


def _snapshot(d: Path, n: int = 600) -> Path:
    d.mkdir(parents=True)
    rng = random.Random(11)
    acc = [f"acct{i:05d}" for i in range(n)]
    pd.DataFrame(
        {
            "account_id": acc,
            "created_at": "2026-01-01T00:00:00Z",
            "plan": [rng.choice(["free", "pro"]) for _ in acc],
            "org_id": [f"org{i % 7}" if i % 3 == 0 else "" for i in range(n)],
        }
    ).to_csv(d / "accounts.csv", index=False)
    pd.DataFrame(
        {
            "account_id": acc,
            "ip": [f"10.0.{i % 50}.{i % 200}" for i in range(n)],
            "first_seen": "2026-01-01",
            "last_seen": "2026-01-03",
            "requests": [rng.randint(1, 10**6) for _ in acc],
            "asn": [64500 + i % 9 for i in range(n)],
            "proxy_provider": [f"proxy{i % 4}" if i % 5 == 0 else "" for i in range(n)],
        }
    ).to_csv(d / "ip_observations.csv", index=False)
    pd.DataFrame(
        {
            "account_id": acc,
            "instrument_id": [f"fp{i % 300}" for i in range(n)],
            "kind": "card",
            "first_seen": [f"2026-01-{1 + i % 20:02d}" for i in range(n)],
        }
    ).to_csv(d / "payment_instruments.csv", index=False)
    pd.DataFrame(
        {"account_id": acc, "kind": "device", "value": [f"dev{i % 400}" for i in range(n)]}
    ).to_csv(d / "identifiers.csv", index=False)
    pairs = [(acc[i], acc[(i * 7 + 1) % n]) for i in range(n)]
    pd.DataFrame(
        {
            "account_a": [a for a, _ in pairs],
            "account_b": [b for _, b in pairs],
            "score": [round(rng.uniform(0.1, 1), 3) for _ in pairs],
            "signal": "timing_sync",
        }
    ).to_csv(d / "behaviour_similarity.csv", index=False)
    return d


def _dump(store: GraphStore) -> list[str]:
    """Every node and relationship but the run records, with all properties (sorted)."""
    nodes = store.query("MATCH (n) WHERE NOT n:IngestRun RETURN labels(n) AS l, properties(n) AS p")
    rels = store.query(
        "MATCH (a)-[r]->(b) "
        "RETURN type(r) AS t, properties(r) AS p, properties(a) AS a, properties(b) AS b"
    )

    def canon(p: dict) -> str:
        return repr(
            sorted(
                (k, sorted(map(str, v)) if isinstance(v, list) else str(v)) for k, v in p.items()
            )
        )

    return sorted(
        [f"N {sorted(n['l'])} {canon(n['p'])}" for n in nodes]
        + [f"R {canon(r['a'])} {r['t']} {canon(r['b'])} {canon(r['p'])}" for r in rels]
    )


def _size(store: GraphStore) -> int:
    # two count-store lookups: cheap enough to poll while the ingest runs
    return (
        store.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
        + store.query("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    )


def test_kill_mid_ingest_then_rerun_equals_one_clean_run(
    store: GraphStore, tmp_path: Path, env_for_cli: dict[str, str]
) -> None:
    snap = _snapshot(tmp_path / "snap")
    t0 = time.perf_counter()
    run_ingest(store, snap, batch_size=50, report_dir=tmp_path / "clean")
    print(f"clean run {time.perf_counter() - t0:.1f}s")
    clean = _dump(store)
    total = _size(store)
    wipe(store)

    seed = int(os.environ.get("GRAPHLINK_KILL_SEED", random.randrange(1 << 30)))
    share = random.Random(seed).uniform(0.1, 0.8)
    env = {**os.environ, **env_for_cli}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graphlink",
            "ingest",
            str(snap),
            "--batch-size",
            "50",
            "--report-dir",
            str(tmp_path / "killed"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    try:
        while proc.poll() is None and _size(store) < share * total and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, f"the ingest finished before the kill (seed {seed})"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = _size(store)
    assert 0 < partial < total, (seed, partial, total)  # the crash left a half-written graph

    print(f"killed at {partial}/{total} after {time.perf_counter() - t0:.1f}s (seed {seed})")
    report = run_ingest(store, snap, batch_size=50, report_dir=tmp_path / "rerun")
    assert report.new_run and report.rejected == 0
    assert _dump(store) == clean, (
        f"seed {seed}: killed at {partial}/{total} then re-run differs from a clean run"
    )
