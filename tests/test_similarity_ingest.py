"""The requests table through ``graphlink ingest`` and ``graphlink similarity`` (real Neo4j)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from graphlink.ingest.job import run_ingest
from graphlink.similarity import DERIVATION_VERSION
from graphlink.store import GraphStore

T0 = pd.Timestamp("2026-01-05T00:00:00Z")


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def log_rows(rng: np.random.Generator) -> list[dict[str, str]]:
    """Two script accounts sharing templates; twenty ordinary ones."""
    rows = []
    for acct in ("r1", "r2"):
        for k in range(80):
            rows.append(
                {
                    "account_id": acct,
                    "ts": _iso(T0 + pd.Timedelta(minutes=int(rng.integers(0, 40_000)))),
                    "ip": "203.0.113.7",
                    "model": "m-old",
                    "prompt_fingerprint": f"tpl{k % 8}" if k % 10 else f"{acct}-own{k}",
                    "output_tokens": str(100 + k),
                }
            )
    for u in range(20):
        for k in range(30):
            rows.append(
                {
                    "account_id": f"u{u:02d}",
                    "ts": _iso(T0 + pd.Timedelta(minutes=int(rng.integers(0, 40_000)))),
                    "ip": f"198.51.100.{u + 1}",
                    "model": "m-old",
                    "prompt_fingerprint": f"u{u}-{k}",
                    "output_tokens": "",
                }
            )
    return rows


BAD = [  # (row, reason)
    (
        {
            "account_id": "r1",
            "ts": "not a time",
            "ip": "",
            "model": "",
            "prompt_fingerprint": "x",
            "output_tokens": "",
        },
        "unparseable timestamp in ts",
    ),
    (
        {
            "account_id": "r1",
            "ts": "2026-01-06T00:00:00Z",
            "ip": "",
            "model": "",
            "prompt_fingerprint": "",
            "output_tokens": "",
        },
        "empty prompt_fingerprint",
    ),
    (
        {
            "account_id": "r2",
            "ts": "2026-01-06T00:00:00Z",
            "ip": "300.1.1.1",
            "model": "",
            "prompt_fingerprint": "x",
            "output_tokens": "",
        },
        "invalid ip",
    ),
    (
        {
            "account_id": "r2",
            "ts": "2026-01-06T00:00:00Z",
            "ip": "",
            "model": "",
            "prompt_fingerprint": "x",
            "output_tokens": "-3",
        },
        "output_tokens not a non-negative integer",
    ),
    (
        {
            "account_id": "ghost",
            "ts": "2026-01-06T00:00:00Z",
            "ip": "",
            "model": "",
            "prompt_fingerprint": "x",
            "output_tokens": "",
        },
        "unknown account in account_id",
    ),
]


def write_snapshot(d: Path, rows: list[dict[str, str]], bad_at: dict[int, dict[str, str]]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    accounts = sorted({r["account_id"] for r in rows})
    with (d / "accounts.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["account_id", "created_at"])
        w.writerows([[a, "2025-12-01T00:00:00Z"] for a in accounts])
    cols = list(rows[0])
    with (d / "requests.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for i, r in enumerate(rows):
            if i in bad_at:
                w.writerow([bad_at[i][c] for c in cols])
            w.writerow([r[c] for c in cols])
        f.write("r1,2026-01-07T00:00:00Z,only three fields\n")  # wrong number of fields
    return d


def test_requests_table_derives_pairs_and_rejects_bad_rows(
    store: GraphStore, tmp_path: Path
) -> None:
    rows = log_rows(np.random.default_rng(0))
    bad_at = {10 + 7 * k: row for k, (row, _) in enumerate(BAD)}
    snap = write_snapshot(tmp_path / "snap", rows, bad_at)
    report = run_ingest(store, snap, batch_size=100, report_dir=tmp_path / "reports")

    t = report.table("requests")
    n_bad = len(BAD) + 1
    assert (t.read, t.loaded, t.rejected) == (len(rows) + n_bad, len(rows), n_bad)
    assert t.status == "used"
    rejects = pd.read_csv(report.rejects_path)
    rejects = rejects[rejects.table == "requests"]
    # each bad row with its physical line (header = line 1) and its reason
    expected_lines = {}
    line = 2
    for i in range(len(rows)):
        if i in bad_at:
            expected_lines[line] = next(why for row, why in BAD if row is bad_at[i])
            line += 1
        line += 1
    expected_lines[line] = "wrong number of fields (expected 6, got 3)"
    assert dict(zip(rejects.line, rejects.reason)) == expected_lines

    # the derived pairs: written beside the report, tagged, loaded into the store
    d = report.table("behaviour_similarity_derived")
    assert d.loaded > 0 and d.loaded + d.rejected == d.read and d.rejected == 0
    pairs = pd.read_csv(d.file)
    assert set(pairs.source) == {"derived"} and set(pairs.derivation) == {DERIVATION_VERSION}
    sim = store.query(
        "MATCH (a:Account)-[s:SIMILAR_TO]->(b:Account) "
        "RETURN a.account_id AS a, b.account_id AS b, s.signal AS signal, s.score AS score"
    )
    got = {(r["a"], r["b"], r["signal"]) for r in sim}
    assert ("r1", "r2", "prompt_template") in got
    assert all(r["a"] in ("r1", "r2") and r["b"] in ("r1", "r2") for r in sim)  # nobody else
    assert all(0 < r["score"] <= 1 for r in sim)
    assert report.read == report.loaded + report.rejected

    # the same snapshot again: same derivation, nothing changes
    again = run_ingest(store, snap, batch_size=100, report_dir=tmp_path / "reports")
    assert not again.new_run
    sim2 = store.query(
        "MATCH (a:Account)-[s:SIMILAR_TO]->(b:Account) "
        "RETURN a.account_id AS a, b.account_id AS b, s.signal AS signal, s.score AS score"
    )
    assert sorted(map(json.dumps, sim2)) == sorted(map(json.dumps, sim))


def test_similarity_command_writes_pairs_ingest_loads(
    store: GraphStore, tmp_path: Path, env_for_cli: dict[str, str]
) -> None:
    from graphlink.cli import app

    rows = log_rows(np.random.default_rng(1))
    frame = pd.DataFrame(rows)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["output_tokens"] = pd.to_numeric(frame["output_tokens"]).astype("Int64")
    log = tmp_path / "requests.parquet"
    frame.to_parquet(log)
    out = tmp_path / "derived"
    res = CliRunner().invoke(
        app, ["similarity", str(log), "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, res.output
    assert "prompt_template" in res.output and f"{len(rows):,} read" in res.output, res.output
    pairs = pd.read_csv(out / "behaviour_similarity.csv")
    assert list(pairs.columns) == [
        "account_a",
        "account_b",
        "score",
        "signal",
        "source",
        "derivation",
    ]
    assert ("r1", "r2", "prompt_template") in set(
        zip(pairs.account_a, pairs.account_b, pairs.signal)
    )

    # the file is a behaviour_similarity table: ingest loads it, extra columns and all
    snap = tmp_path / "snap"
    snap.mkdir()
    pd.DataFrame(
        {"account_id": sorted(set(frame.account_id)), "created_at": "2025-12-01T00:00:00Z"}
    ).to_csv(snap / "accounts.csv", index=False)
    (snap / "behaviour_similarity.csv").write_bytes((out / "behaviour_similarity.csv").read_bytes())
    report = run_ingest(store, snap, batch_size=100, report_dir=tmp_path / "reports")
    t = report.table("behaviour_similarity")
    assert (t.loaded, t.rejected) == (len(pairs), 0)

    # never overwrites an upstream job's pairs
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    (upstream / "behaviour_similarity.csv").write_text(
        "account_a,account_b,score,signal\nr1,r2,0.5,x\n"
    )
    res = CliRunner().invoke(app, ["similarity", str(log), "--out", str(upstream)])
    assert res.exit_code != 0
    assert "not derived by graphlink" in str(res.exception) + res.output
