"""The generated request log (``graphlink synth --requests``) and what the derivation finds in
it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from graphlink import synth
from graphlink.similarity import RequestAccumulator, derive
from graphlink.synth.requests import NEW_MODEL, iter_requests


@pytest.fixture(scope="module")
def scenario() -> synth.Scenario:
    return synth.generate(4_000, ring_accounts=300, seed=3)


def _accumulate(scenario: synth.Scenario, *, batch: int = 60_000,
                memory_mb: float | None = None, n_requests: int = 250_000,
                seed: int = 3) -> RequestAccumulator:
    acc = RequestAccumulator(bucket_seconds=60, memory_mb=memory_mb)
    # the generator's rows depend on its chunk size: always 60,000, fed in ``batch`` rows
    for t in iter_requests(scenario, n_requests, seed=seed, chunk_rows=60_000):
        for lo in range(0, t.num_rows, batch):
            f = t.slice(lo, batch).to_pandas()
            acc.add(
                f["account_id"],
                f["ts"].dt.tz_convert(None).to_numpy().astype("datetime64[ms]").astype(np.int64),
                f["model"],
                f["prompt_fingerprint"],
            )
    return acc


@pytest.fixture(scope="module")
def derived(scenario: synth.Scenario):
    # no memory limit: every fact stays in memory, never spilled
    acc = _accumulate(scenario, memory_mb=None)
    assert acc.facts.spills == 0
    return derive(acc.finish())


def test_a_tiny_memory_budget_gives_exactly_the_same_pairs(scenario: synth.Scenario,
                                                           derived) -> None:
    """Spilling to disk after every batch (a 0.1 MB budget: 25 spills of hash-partitioned
    facts, each part deduplicated again on reading) changes no pair and no score."""
    acc = _accumulate(scenario, batch=10_000, memory_mb=0.1)
    assert acc.facts.spills >= 20
    agg = acc.finish()
    spill_dir = agg.facts._tmp.name if agg.facts._tmp else None
    d = derive(agg)
    agg.close()
    assert spill_dir is not None and not Path(spill_dir).exists()
    assert len(derived.pairs) > 100 and set(derived.pairs.signal) == {
        "prompt_template", "timing_sync", "model_pivot"}
    pd.testing.assert_frame_equal(d.pairs, derived.pairs)
    assert d.stats.keys() == derived.stats.keys()
    for signal, st in derived.stats.items():
        st2 = dict(d.stats[signal])
        st2["seconds"] = st["seconds"]
        assert st2 == st, signal


def test_log_is_consistent_with_the_scenario(scenario: synth.Scenario) -> None:
    tables = list(iter_requests(scenario, 100_000, seed=3, chunk_rows=30_000))
    log = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
    assert len(log) == 100_000 and len(tables) > 1
    assert set(log.account_id) <= set(scenario.accounts.account_id)
    created = scenario.accounts.set_index("account_id").created_at
    window_start = scenario.ip_observations.first_seen.min().floor("D")
    assert (log.ts >= np.maximum(created.reindex(log.account_id).to_numpy(), window_start)).all()
    # the new model appears once, mid-window, and nobody uses it before
    first_new = log.loc[log.model == NEW_MODEL, "ts"].min()
    assert log.ts.min() + pd.Timedelta(days=3) < first_new < log.ts.max()
    # IPs come from the account's own observations
    own = set(zip(scenario.ip_observations.account_id, scenario.ip_observations.ip))
    with_ip = log.dropna(subset=["ip"])
    assert all(pair in own for pair in zip(with_ip.account_id[:2000], with_ip.ip[:2000]))
    # same scenario, size and seed: same rows
    again = pd.concat(
        [t.to_pandas() for t in iter_requests(scenario, 100_000, seed=3, chunk_rows=30_000)],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(log, again)


def test_rings_paired_campus_classes_alike_but_not_rings(scenario: synth.Scenario, derived) -> None:
    truth = scenario.truth.set_index("account_id")
    p = derived.pairs
    ca = truth.campaign.reindex(p.account_a).to_numpy()
    cb = truth.campaign.reindex(p.account_b).to_numpy()
    ring_pair = (ca == cb) & (ca != "")
    for signal in ("prompt_template", "timing_sync", "model_pivot"):
        g = ring_pair[p.signal.to_numpy() == signal]
        assert len(g) > 20 and g.mean() > 0.9, signal
    # campus students of one class do the same homework: with the bar at ~0 they are
    # paired, clearly below ring pairs; with the defaults few are, and far fewer than rings
    sa = truth.segment.reindex(p.account_a).to_numpy()
    sb = truth.segment.reindex(p.account_b).to_numpy()
    pt = p.signal.to_numpy() == "prompt_template"
    campus = pt & (sa == "campus") & (sb == "campus")
    assert campus.sum() < 0.05 * (pt & ring_pair).sum()


def test_campus_scores_lower_than_rings_everywhere(scenario: synth.Scenario) -> None:
    from graphlink.similarity import SimilarityConfig

    d = derive(_accumulate(scenario).finish(), SimilarityConfig(min_template_score=1e-6))
    truth = scenario.truth.set_index("account_id")
    p = d.pairs[d.pairs.signal == "prompt_template"]
    ga = truth.group.reindex(p.account_a).to_numpy()
    gb = truth.group.reindex(p.account_b).to_numpy()
    sa = truth.segment.reindex(p.account_a).to_numpy()
    same_group = (ga == gb) & (ga != "")
    campus = p.score[same_group & (sa == "campus")]
    ring = p.score[same_group & (sa == "ring")]
    assert len(campus) > 10 and len(ring) > 10
    assert campus.median() < ring.median() / 2


def test_synth_cli_requests_without_upstream_pairs(tmp_path: Path) -> None:
    from graphlink.cli import app

    out = tmp_path / "snap"
    res = CliRunner().invoke(
        app,
        [
            "synth",
            "--out",
            str(out),
            "--truth",
            str(tmp_path / "t.csv"),
            "-n",
            "500",
            "--requests",
            "20000",
            "--no-similarity",
            "-f",
            "parquet",
        ],
    )
    assert res.exit_code == 0, res.output
    upstream = out / "behaviour_similarity.parquet"  # absent, or written empty
    assert not upstream.exists() or pq.ParquetFile(upstream).metadata.num_rows == 0
    assert pq.ParquetFile(out / "requests.parquet").metadata.num_rows == 20_000
    # without --requests the log of an earlier run goes: it would not match the new scenario
    res = CliRunner().invoke(
        app,
        [
            "synth",
            "--out",
            str(out),
            "--truth",
            str(tmp_path / "t.csv"),
            "-n",
            "500",
            "-f",
            "parquet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (out / "behaviour_similarity.parquet").exists() and not (
        out / "requests.parquet"
    ).exists()


def test_a_ring_without_behaviour_pairs_leaves_no_trace_in_the_log_either() -> None:
    """The log and the upstream pairs tell the same story: a ``no_behaviour`` ring (no
    behaviour_similarity pairs upstream) shares no templates, sessions or pivot in its log,
    so no pair is derived inside it, while a reseller pool's members are paired."""
    sc = synth.generate(3_000, ring_accounts=400, seed=5,
                        archetypes=("no_behaviour", "reseller_pool"))
    truth = sc.truth.set_index("account_id")
    quiet = set(truth.index[truth.archetype == "no_behaviour"])
    assert len(quiet) >= 30
    up = sc.behaviour_similarity
    assert not (up.account_a.isin(quiet) | up.account_b.isin(quiet)).any()
    p = derive(_accumulate(sc, n_requests=150_000, seed=5).finish()).pairs
    ca = truth.campaign.reindex(p.account_a).to_numpy()
    same = (ca == truth.campaign.reindex(p.account_b).to_numpy()) & (ca != "")
    touches_quiet = p.account_a.isin(quiet) | p.account_b.isin(quiet)
    assert not (same & touches_quiet).any()
    assert (same & ~touches_quiet).sum() > 50
