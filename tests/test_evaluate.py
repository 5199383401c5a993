"""Evaluation figures on a hand-computed case, and the baselines on tiny links."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from graphlink import baselines
from graphlink.evaluate import evaluate_flags, metrics_frame, read_truth, render_table
from graphlink.model import Links

TRUTH = pd.DataFrame([
    *[("r1", "X", "ring", ""), ("r2", "X", "ring", ""), ("r3", "X", "ring", ""),
      ("r4", "X", "ring", ""), ("s1", "Y", "ring", ""), ("s2", "Y", "ring", "")],
    ("c1", "", "campus", "G1"), ("c2", "", "campus", "G1"),
    ("f1", "", "family", "F1"), ("f2", "", "family", "F1"),
    ("k1", "", "company", "K1"), ("k2", "", "company", "K1"),
    ("o1", "", "ordinary", ""), ("v1", "", "vpn_user", ""),
], columns=["account_id", "campaign", "segment", "group"])


def test_metrics_hand_computed(tmp_path) -> None:
    path = tmp_path / "truth.csv"
    TRUTH.to_csv(path, index=False)
    truth = read_truth(path)
    flagged = pd.DataFrame({
        "account_id": ["r1", "r2", "r3", "c1", "s1", "s2", "f1", "f2", "v1", "zz"],
        "cluster_id": ["A", "A", "A", "A", "B", "B", "B", "B", "C", "C"],
    })
    m = evaluate_flags(flagged, truth, method="hand")
    assert (m.tp, m.fp, m.fn, m.n_flagged, m.n_ring) == (5, 5, 1, 10, 6)
    assert m.precision == 0.5
    assert m.recall == pytest.approx(5 / 6)
    assert m.f1 == pytest.approx(2 * 0.5 * (5 / 6) / (0.5 + 5 / 6))
    assert m.recall_per_campaign == {"X": 0.75, "Y": 1.0}
    assert m.campaigns_caught == 1 and m.min_campaign_recall == 0.75
    assert m.false_bans_per_segment == {
        "ordinary": 0, "campus": 1, "cgnat": 0, "company": 0, "family": 2, "vpn_user": 1,
        "heavy_user": 0, "unknown": 1}
    # Family F1 is banned whole; campus G1 (c2 spared) and company K1 are not.
    assert m.whole_groups_banned == {"campus": 0, "company": 0, "family": 1}
    # Classes: campaigns, benign groups, else the account alone.
    # A: 3 X + campus G1 -> 3; B: 2 Y + family F1 (2) -> 2; C: v1, zz alone -> 1.
    assert m.purity == pytest.approx(6 / 10)
    assert m.n_clusters == 3
    df = metrics_frame([m])
    assert df.loc[0, "whole_groups"] == "0/0/1" and df.loc[0, "fp_family"] == 2
    render_table([m])  # renders without error

    none = evaluate_flags(flagged.iloc[0:0], truth)
    assert none.recall == 0.0 and math.isnan(none.precision) and none.f1 == 0.0


def _links() -> Links:
    """A 6-account ring (card + proxy IP), a 3-person family card, a 150-user CGNAT IP."""
    ring = [f"r{i}" for i in range(6)]
    fam = ["f0", "f1", "f2"]
    cgnat = [f"m{i:03d}" for i in range(150)]
    accounts = pd.DataFrame({"account_id": ring + fam + cgnat + ["lone"]})
    payments = pd.DataFrame({
        "account_id": ring + fam,
        "instrument_id": ["pi-ring"] * 6 + ["pi-fam"] * 3,
        "kind": "card", "bin": None, "issuer_country": None})
    ips = pd.DataFrame({
        "account_id": ring + cgnat + ["r0"],
        "ip": ["203.0.113.10"] * 6 + ["100.64.0.1"] * 150 + ["100.64.0.1"],
        "proxy_provider": ["SwiftProxy"] * 6 + [""] * 151,
        "is_datacenter": [True] * 6 + [False] * 151,
    })
    identifiers = pd.DataFrame({"account_id": ["f0", "lone"], "kind": "device",
                                "value": ["d-1", "d-2"]})
    similarity = pd.DataFrame({"account_a": ["r0"], "account_b": ["r5"], "score": [0.9],
                               "signal": ["prompt_template"]})
    return Links(accounts, payments, ips, identifiers, similarity)


def test_baselines_on_tiny_links() -> None:
    links = _links()
    inc = baselines.incidence(links)
    assert len(inc.account_ids) == 160 and inc.proxy_accounts.sum() == 6

    cc = baselines.components(inc, hub_cap=100, min_size=5)
    assert set(cc.flagged["account_id"]) == {f"r{i}" for i in range(6)}
    assert cc.flagged["cluster_id"].nunique() == 1
    # Without the hub cap the CGNAT IP glues the ring to 150 strangers.
    wide = baselines.components(inc, hub_cap=None, min_size=5)
    assert len(wide.flagged) == 156 and wide.method == "components-uncapped"

    src, dst = baselines.clique_edges(inc, hub_cap=100)
    # ring: card + IP give the same 15 pairs (+ the similarity pair, also a ring pair);
    # family: 3 pairs.  The CGNAT IP (150 > cap) adds none.
    assert len(src) == 15 + 3 and np.all(src < dst)

    for method in ("leiden", "louvain"):
        res = baselines.modularity(inc, method=method, hub_cap=100, min_size=5, proxy_share=0.5)
        assert set(res.flagged["account_id"]) == {f"r{i}" for i in range(6)}

    results = baselines.run_baselines(links, hub_cap=100, min_size=5)
    assert [r.method for r in results] == [
        "components", "components-uncapped", "leiden-modularity", "louvain"]
    truth = pd.DataFrame({"account_id": list(inc.account_ids),
                          "segment": ["ring" if a.startswith("r") else "ordinary"
                                      for a in inc.account_ids],
                          "campaign": ["X" if a.startswith("r") else "" for a in inc.account_ids],
                          "group": ""})
    scores = {r.method: evaluate_flags(r.flagged, truth, method=r.method) for r in results}
    assert scores["components"].precision == 1.0 and scores["components"].recall == 1.0
    assert scores["components-uncapped"].precision == pytest.approx(6 / 156)
