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


@pytest.fixture(scope="module")
def derived(scenario: synth.Scenario):
    acc = RequestAccumulator(bucket_seconds=60)
    for t in iter_requests(scenario, 250_000, seed=3, chunk_rows=60_000):
        f = t.to_pandas()
        acc.add(
            f["account_id"],
            f["ts"].dt.tz_convert(None).to_numpy().astype("datetime64[ms]").astype(np.int64),
            f["model"],
            f["prompt_fingerprint"],
        )
    return derive(acc.finish())


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

    acc = RequestAccumulator(bucket_seconds=60)
    for t in iter_requests(scenario, 250_000, seed=3, chunk_rows=60_000):
        f = t.to_pandas()
        acc.add(
            f["account_id"],
            f["ts"].dt.tz_convert(None).to_numpy().astype("datetime64[ms]").astype(np.int64),
            f["model"],
            f["prompt_fingerprint"],
        )
    d = derive(acc.finish(), SimilarityConfig(min_template_score=1e-6))
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
