"""Detection's pure core on hand-made frames: rings found, look-alikes spared, ids stable."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from graphlink.detect import REASON_CODES, DetectionConfig, detect_links

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detect_frames import make_links


@pytest.fixture(scope="module")
def planted():
    links, truth = make_links(n_benign=2000, ring_sizes=(60, 25), seed=3)
    return links, truth, detect_links(links, DetectionConfig(), seed=11)


def test_same_data_and_seed_give_the_same_clusters(planted):
    links, _, first = planted
    again = detect_links(links, DetectionConfig(), seed=11)
    cols = ["account_id", "cluster_id", "account_risk"]
    pd.testing.assert_frame_equal(first.members[cols], again.members[cols])
    pd.testing.assert_frame_equal(first.clusters[["cluster_id", "size", "risk"]],
                                  again.clusters[["cluster_id", "size", "risk"]])


def test_planted_rings_are_flagged_and_look_alikes_are_not(planted):
    _, truth, res = planted
    flagged = res.flagged_accounts()
    groups = truth.set_index("account_id")["group"]
    rings = set(groups[groups.str.startswith("ring")].index)
    assert rings <= flagged                       # recall 1.0
    assert flagged <= rings                       # precision 1.0
    # The campus NAT, the CGNAT crowd and the company may cluster, but stay low-risk.
    m = res.members.assign(group=lambda d: d["account_id"].map(groups))
    for group in ("campus", "cgnat", "company"):
        risk = m.loc[m["group"] == group, "cluster_risk"]
        assert (risk < res.params["risk_threshold"]).all(), group
    # Each ring is one cluster of its own.
    ring_clusters = m[m["group"].str.startswith("ring")].groupby("group")["cluster_id"].nunique()
    assert (ring_clusters == 1).all()


def test_every_member_of_a_risky_cluster_has_reasons(planted):
    _, _, res = planted
    risky = res.members[res.members["cluster_risk"] >= res.params["risk_threshold"]]
    assert len(risky) == 85
    assert risky["reasons"].map(len).min() > 0
    assert set().union(*risky["reasons"]) <= set(REASON_CODES)
    # Ring members are tied by the cards and proxies they share (no BIN table needed).
    assert risky["reasons"].map(lambda r: {"shared_payment", "proxy_provider"} <= set(r)).all()
    top = res.clusters.iloc[0]
    assert top["flagged"] and {"shared_payment", "signup_burst"} <= set(top["reasons"])
    assert 0.0 <= res.clusters["risk"].min() and res.clusters["risk"].max() <= 1.0


def test_cluster_ids_are_stable_when_accounts_are_added(planted):
    _, _, first = planted
    # Same world, ring 0 grows by 5 accounts, a third ring appears.
    links2, truth2 = make_links(n_benign=2000, ring_sizes=(65, 25, 30), seed=3)
    prev = first.members[["account_id", "cluster_id"]]
    max_number = int(first.clusters["cluster_id"].str[2:].astype(int).max())
    second = detect_links(links2, DetectionConfig(), seed=11, previous_members=prev,
                          previous_run_id=first.run_id, max_cluster_number=max_number)
    groups2 = truth2.set_index("account_id")["group"]

    def ring_id(res, ring):
        m = res.members[res.members["account_id"].map(groups2) == ring]
        assert m["cluster_id"].nunique() == 1
        return m["cluster_id"].iloc[0]

    assert ring_id(second, "ring-0") == ring_id(first, "ring-0")
    assert ring_id(second, "ring-1") == ring_id(first, "ring-1")
    assert int(ring_id(second, "ring-2")[2:]) > max_number   # new ring, fresh id
    cont = second.continues.set_index("cluster_id")
    row = cont.loc[ring_id(second, "ring-0")]
    assert row["prev_cluster_id"] == ring_id(first, "ring-0")
    assert row["jaccard"] == pytest.approx(60 / 65)


@pytest.mark.parametrize("engine", ["igraph", "leidenalg"])
def test_both_engines_recover_the_rings_with_cpm(engine):
    links, truth = make_links(n_benign=500, ring_sizes=(40,), seed=5)
    res = detect_links(links, DetectionConfig(engine=engine), seed=2)
    rings = set(truth.loc[truth["group"] == "ring-0", "account_id"])
    assert res.flagged_accounts() == rings
    assert res.params["engine"] == engine


def test_modularity_is_available_and_recorded():
    links, _ = make_links(n_benign=500, ring_sizes=(40,), seed=5)
    res = detect_links(links, DetectionConfig(objective="modularity", resolution=1.0), seed=2)
    assert res.params["objective"] == "modularity"
    assert len(res.clusters) > 0


def test_generated_scenario_rings_found_and_look_alikes_spared():
    """The generator's hard scenario at 20k benign accounts (the 1M figures are in bench_quality).

    Since the generator draws nine campaign archetypes among cohort and startup
    look-alikes, recall at this size is far below the old single-tactic world's
    0.85 (measured 0.28 at seed 5; leave-one-archetype-out table in
    docs/banwaves.md): this guards precision and the look-alikes, and that
    recall does not fall further.
    """
    from graphlink.synth import generate

    sc = generate(20_000, seed=5)
    links = sc.links()
    seg = sc.truth.set_index("account_id")["segment"]
    ring = int((sc.truth["segment"] == "ring").sum())
    precisions = []
    # Three Leiden seeds: one random run moves precision by ~0.02 either way here
    # (0.949-0.976 over ten seeds on either Leiden path, docs/scale.md), so the
    # guard is on the median run; the look-alikes are guarded on every run.
    for leiden_seed in (42, 43, 44):
        res = detect_links(links, DetectionConfig(), seed=leiden_seed)
        flagged = pd.Series(sorted(res.flagged_accounts()), dtype=object)
        by_segment = flagged.map(seg).value_counts()
        precision = by_segment.get("ring", 0) / len(flagged)
        recall = by_segment.get("ring", 0) / ring
        precisions.append(precision)
        assert precision >= 0.93 and recall >= 0.25, (precision, recall, by_segment.to_dict())
        assert by_segment.get("campus", 0) == 0 and by_segment.get("company", 0) == 0
        assert by_segment.get("cgnat", 0) <= 2
    assert sorted(precisions)[1] >= 0.95, precisions


def test_leiden_on_linked_accounts_only_drops_nobody_who_could_cluster():
    """``leiden_linked_only`` skips accounts without an edge before Leiden.

    Such an account is alone in the full run too (checked here, not assumed),
    so skipping it cannot take anybody out of a cluster of two or more; what
    changes is Leiden's random run over the rest, so the two clusterings
    agree as closely as the full run agrees with itself under another seed,
    and the planted rings' ban wave is the same.
    """
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from graphlink.detect.linking import encode_links
    from graphlink.detect.pipeline import cluster_accounts
    from graphlink.synth import generate

    cfg = DetectionConfig(leiden_linked_only=False)
    coded = encode_links(generate(3000, seed=5).links(), cfg)
    on = cfg.with_(leiden_linked_only=True)
    assert DetectionConfig().leiden_linked_only  # the default path
    skip = cluster_accounts(coded, on, seed=42)
    full = cluster_accounts(coded, cfg, seed=42)
    other_seed = cluster_accounts(coded, cfg, seed=43)
    g = skip.graph
    unlinked = (np.bincount(g.src, minlength=g.n) + np.bincount(g.dst, minlength=g.n)) == 0
    assert unlinked.sum() > g.n // 2  # most generated accounts share nothing
    for m in (skip.membership, full.membership):
        assert (np.bincount(m)[m][unlinked] == 1).all()
    self_agreement = adjusted_rand_score(full.membership, other_seed.membership)
    assert adjusted_rand_score(skip.membership, full.membership) >= min(0.99, self_agreement - 0.02)

    links, _ = make_links(n_benign=2000, ring_sizes=(60, 25), seed=3)
    a = detect_links(links, on, seed=11)
    b = detect_links(links, cfg, seed=11)
    assert a.flagged_accounts() == b.flagged_accounts() and len(a.flagged_accounts()) == 85
