"""The Spark engine (``graphlink detect --engine spark``), local mode, against in-process.

One SparkSession for the module (JVM start is the slow part); data kept small.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphlink.detect import DetectionConfig, detect_links
from graphlink.detect.linking import build_account_graph, encode_links
from graphlink.detect.pipeline import cluster_accounts
from graphlink.detect.spark_engine import cluster_accounts_spark, spark_session
from graphlink.model import Links
from graphlink.synth import generate

SEED = 42


@pytest.fixture(scope="module")
def spark():
    with spark_session("local[2]", app="graphlink-tests") as s:
        yield s
        s.stop()


@pytest.mark.parametrize("buckets", [1, 8])
def test_spark_engine_gives_the_in_process_graph_and_clusters(spark, buckets: int):
    """Same projection exactly, and the same clusters exactly: both engines run Leiden per
    bucket of whole components through one function (``communities.leiden_bucket``), the
    Spark engine as executor tasks, so switching engines changes no ban.  With one bucket
    the clusters are the in-process run the defaults were measured on; with eight, buckets
    differ from one another and Spark's rows reach them in shuffle order."""
    sc = generate(3000, seed=5)
    cfg = DetectionConfig(leiden_buckets=buckets)
    coded = encode_links(sc.links(), cfg)
    local = cluster_accounts(coded, cfg, seed=SEED)
    remote = cluster_accounts_spark(coded, cfg, seed=SEED, spark=spark)
    # One link-weight definition, run on executors by partitions of things: the same graph.
    assert remote.graph.n_edges == local.graph.n_edges > 1000
    assert np.array_equal(remote.graph.src, local.graph.src)
    assert np.array_equal(remote.graph.dst, local.graph.dst)
    assert np.allclose(remote.graph.weight, local.graph.weight, rtol=1e-9)
    assert np.array_equal(remote.graph.bits, local.graph.bits)
    assert np.array_equal(remote.membership, local.membership)
    assert len(np.unique(local.membership)) < local.graph.n  # some accounts were clustered
    # Communities never span connected components.
    from graphlink.detect.spark_engine import components

    comp = components(remote.graph.n, remote.graph.src, remote.graph.dst)
    per_label = pd.Series(comp).groupby(remote.membership).nunique()
    assert (per_label == 1).all()
    if buckets > 1:  # the buckets were real: several of them held edges
        assert len(np.unique(comp[local.graph.src] % buckets)) > 1


def test_spark_engine_gives_the_in_process_ban_wave(spark):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from detect_frames import make_links

    links, truth = make_links(n_benign=1500, ring_sizes=(60, 25), seed=4)
    cfg = DetectionConfig()
    coded = encode_links(links, cfg)
    a = detect_links(coded, cfg, seed=SEED, clustering=cluster_accounts(coded, cfg, seed=SEED))
    b = detect_links(
        coded, cfg, seed=SEED, clustering=cluster_accounts_spark(coded, cfg, seed=SEED, spark=spark)
    )
    ring = set(truth.loc[truth["group"].str.startswith("ring"), "account_id"])
    assert len(a.flagged_accounts() & ring) >= 0.9 * len(ring)
    assert b.flagged_accounts() == a.flagged_accounts()


def _two_rings() -> Links:
    t0 = pd.Timestamp("2025-06-01", tz="UTC")
    acc, pay, idf = [], [], []
    for r in range(2):
        for k in range(12):
            aid = f"r{r}-{k:02d}"
            acc.append({"account_id": aid, "created_at": t0, "plan": "free", "org_id": None})
            pay.append(
                {
                    "account_id": aid,
                    "instrument_id": f"card-{r}-{k % 2}",
                    "kind": "card",
                    "bin": None,
                }
            )
            idf.append({"account_id": aid, "kind": "device", "value": f"dev-{r}-{k % 3}"})
    for k in range(20):  # loners
        acc.append({"account_id": f"x{k:02d}", "created_at": t0, "plan": "free", "org_id": None})
    return Links(
        pd.DataFrame(acc),
        pd.DataFrame(pay),
        pd.DataFrame(columns=["account_id", "ip"]),
        pd.DataFrame(idf),
        pd.DataFrame(columns=["account_a", "account_b", "score", "signal"]),
    )


def test_two_disconnected_rings_are_two_components_and_two_clusters_on_both_engines(spark):
    from graphlink.detect.spark_engine import components

    cfg = DetectionConfig()
    coded = encode_links(_two_rings(), cfg)
    g = build_account_graph(coded, cfg)
    comp = components(g.n, g.src, g.dst)
    ids = g.account_ids
    ring_of = np.array([a.split("-")[0] if a.startswith("r") else "" for a in ids])
    in_edges = np.unique(np.r_[g.src, g.dst])
    assert len(np.unique(comp[in_edges])) == 2
    for clustering in (
        cluster_accounts(coded, cfg, seed=SEED),
        cluster_accounts_spark(coded, cfg, seed=SEED, spark=spark),
    ):
        m = clustering.membership
        sizes = np.bincount(m)
        clusters = [set(ids[m == lab]) for lab in np.flatnonzero(sizes >= 2)]
        assert sorted(clusters, key=min) == [set(ids[ring_of == "r0"]), set(ids[ring_of == "r1"])]


def test_frames_cross_through_the_exchange_directory_and_it_is_removed(spark, tmp_path):
    """Driver <-> Spark frames go through Parquet files (no createDataFrame(pandas) holding
    every row in the driver's heap, no toPandas under maxResultSize), cleaned up after."""
    from graphlink.detect.spark_engine import exchange

    frame = pd.DataFrame({"src": np.arange(1000, dtype=np.int64),
                          "w": np.linspace(0, 1, 1000)})
    with exchange(spark, tmp_path) as ex:
        df = ex.put(frame, "in")
        back = ex.get(df.filter("src % 2 = 0"), "out").to_pandas()
        written = sorted(p.name for p in ex.root.iterdir())
    assert written == ["01-in", "02-out"]
    assert back.sort_values("src")["src"].tolist() == list(range(0, 1000, 2))
    assert list(tmp_path.iterdir()) == []


def test_spark_conf_must_be_key_value():
    import subprocess

    r = subprocess.run([sys.executable, "-m", "graphlink", "detect", "--engine", "spark",
                        "--spark-conf", "spark.driver.memory"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "--spark-conf must be KEY=VALUE" in r.stdout + r.stderr
