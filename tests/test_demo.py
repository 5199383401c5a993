"""``graphlink demo`` end to end at a tiny size, as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from graphlink import banwave_store
from graphlink.store import GraphStore


def _demo(env: dict, *args: str, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "graphlink", "demo", *args], capture_output=True,
                          text=True, env={**os.environ, **env, "COLUMNS": "200"}, timeout=timeout)


def test_demo_refuses_a_database_with_foreign_data(store: GraphStore, env_for_cli: dict,
                                                   tmp_path: Path) -> None:
    store.query("CREATE (:Account {account_id: 'someone-elses'})", name="test/foreign", write=True)
    r = _demo(env_for_cli, "--accounts", "200", "--workdir", str(tmp_path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--wipe" in r.stdout and "did not load" in r.stdout
    # Nothing was touched.
    assert store.query("MATCH (n) RETURN count(n) AS n", name="test/count")[0]["n"] == 1


def test_demo_end_to_end(store: GraphStore, env_for_cli: dict, tmp_path: Path) -> None:
    store.query("CREATE (:Account {account_id: 'leftover'})", name="test/foreign", write=True)
    # 20k benign accounts: risk is measured against the population, and in a world
    # of a few hundred accounts a ring is too large a part of it to stand out.
    r = _demo(env_for_cli, "--accounts", "20000", "--workdir", str(tmp_path), "--wipe")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for header in ("0. database", "1. synth", "2. ingest", "3. detect", "4. ban wave (dry run)",
                   "5. ban wave (commit)", "6. evaluate", "demo done"):
        assert header in out, header
    assert "DRY RUN" in out and "wave-0001" in out
    summary = json.loads((tmp_path / "demo_summary.json").read_text())
    methods = [m["method"] for m in summary["metrics"]]
    assert methods[0] == "graphlink"
    assert {"components", "leiden-modularity"} <= set(methods)
    assert (tmp_path / "truth.csv").exists() and (tmp_path / "wave-dry-run.csv").exists()
    # The wave is committed, is the one the evaluation scored, and 'leftover' was wiped.
    waves = banwave_store.list_waves(store)
    assert waves["wave_id"].tolist() == [summary["wave_id"]] == ["wave-0001"]
    assert summary["metrics"][0]["n_flagged"] == waves["n_accounts"].iloc[0]
    assert summary["metrics"][0]["seconds"] > 0  # the detection run's own stage seconds
    # On a real detection run too: every banned account has reasons and evidence in the graph.
    wave = banwave_store.read_wave(store, "wave-0001")
    assert len(wave.entries) > 0 and all(len(r) >= 1 for r in wave.entries["reasons"])
    assert banwave_store.unsupported_entries(store, "wave-0001").empty
    assert store.query("MATCH (a:Account {account_id: 'leftover'}) RETURN count(a) AS n",
                       name="test/leftover")[0]["n"] == 0
    # A second demo on the same server reloads without --wipe: it only holds the last demo.
    r2 = _demo(env_for_cli, "--accounts", "20000", "--workdir", str(tmp_path), "--no-baselines")
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert "previous demo" in r2.stdout
    assert banwave_store.list_waves(store)["wave_id"].tolist() == ["wave-0001"]
