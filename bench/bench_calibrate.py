"""Does learning from decisions help on a scenario the decisions were not made on?

An investigator reviews one generated scenario (the *train* seed): every
cluster at or above the ban bar (the wave they sign off) and the ``--budget``
riskiest clusters of the review queue just below it; their decisions are the
generator's truth (confirm when most members are ring accounts).
``graphlink.decisions.calibrate`` refits the shipped model on those
decisions.  Both models then score *other* seeds (clustered once, scored
twice), and the account-level precision / recall of the ban wave at the bar
is printed side by side.  Pure: no Neo4j (``detect_links`` on generated
links), so it measures the learning, not the I/O.

Usage (repository root)::

    .venv/bin/python bench/bench_calibrate.py --accounts 20000 --train-seed 11 \
        --test-seeds 12 13 --budget 50

Measured 2026-11-26 on the shared 2-core machine, 20,000 benign accounts per
seed, ban wave at 0.9 (account level, shipped -> calibrated):

* shipped ``synth-20261126-ea2368a4`` (preliminary), 19 decisions on seed 11
  (14 confirm, 5 reject), prior weight 5: CV AUC 0.886 (prior 0.757); seed 12
  (unseen) P 0.671 -> 0.990, R 0.733 -> 0.640, false bans 173 -> 3; seed 13
  P 0.690 -> 0.929, R 0.690 -> 0.658.
* shipped model of commit fd283ad (10 seeds x 200k), 12 decisions on seed 11
  (11 confirm, 1 reject; no CV possible): prior weight 5: seed 12 P 0.988 ->
  0.804, R 0.513 -> 0.546; seed 13 P 0.957 -> 0.824, R 0.373 -> 0.567.
  Prior weight 20: seed 12 unchanged (P 0.988, R 0.513), seed 13 P 0.957 ->
  0.960, R 0.373 -> 0.400.

* shipped ``synth-20261126-0f988efd`` (commit 346a723), with the sign rule,
  13 decisions (9 confirm, 4 reject), prior weight 5: CV AUC 0.722 (prior
  0.806: the CLI warns); seed 12 P 0.988 -> 1.000, R 0.513 -> 0.281; seed 13
  P 0.957 -> 0.987, R 0.373 -> 0.308 - these decisions do not help this model.

Decisions are not a random sample of clusters: reviewers see the wave (mostly
rings) and the queue, so a handful of confirmations raises the intercept for
every cluster.  With almost only confirmations, use a larger prior weight.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlink import decisions as D
from graphlink import synth
from graphlink.detect import DetectionConfig, detect_links, links_from_scenario
from graphlink.detect.pipeline import cluster_accounts
from graphlink.detect.riskmodel import RiskModel, default_model

CONFIG = DetectionConfig().with_(min_write_risk=0.0)


def scenario(n: int, seed: int):
    sc = synth.generate(n, seed=seed)
    truth = sc.truth.assign(account_id=sc.truth["account_id"].astype(str))
    links = links_from_scenario(sc)
    return links, truth, cluster_accounts(links, CONFIG, seed=42)


def scored(links, clustering, model: RiskModel, truth: pd.DataFrame):
    res = detect_links(links, CONFIG, seed=42, model=model, clustering=clustering)
    seg = truth.set_index("account_id")["segment"]
    ring = res.members.assign(ring=res.members["account_id"].map(seg).eq("ring"))
    share = ring.groupby("cluster_id")["ring"].mean()
    return res, res.clusters.assign(ring_share=res.clusters["cluster_id"].map(share))


def wave_quality(res, truth: pd.DataFrame, bar: float) -> dict[str, float]:
    flagged = set(res.members.loc[res.members["cluster_risk"] >= bar, "account_id"])
    rings = set(truth.loc[truth["segment"] == "ring", "account_id"])
    tp = len(flagged & rings)
    return {"flagged": len(flagged), "false bans": len(flagged) - tp,
            "precision": tp / len(flagged) if flagged else float("nan"),
            "recall": tp / len(rings) if rings else float("nan")}


def decisions_frame(clusters: pd.DataFrame, model: RiskModel, bar: float, margin: float,
                    budget: int) -> pd.DataFrame:
    wave = clusters[clusters["risk"] >= bar]
    queue = D.review_queue(clusters, model, bar=bar, margin=margin, limit=budget)
    judged = clusters[clusters["cluster_id"].isin(set(wave["cluster_id"])
                                                  | set(queue["cluster_id"]))]
    feats = [f for f in model.features if f in judged]
    return pd.DataFrame({
        "decision_id": "d-" + judged["cluster_id"], "kind": "cluster",
        "target_id": judged["cluster_id"],
        "label": np.where(judged["ring_share"] >= 0.5, "confirm", "reject"),
        "reviewer": "bench", "at": pd.Timestamp("2026-11-26", tz="UTC"), "note": None,
        "source": "bench", "run_id": "train", "cluster_key": "train/" + judged["cluster_id"],
        "cluster_id": judged["cluster_id"],
        "features_json": [json.dumps({f: float(r[f]) for f in feats})
                          for _, r in judged.iterrows()],
        "model_version": model.version, "risk": judged["risk"].to_numpy(),
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--train-seed", type=int, default=11)
    ap.add_argument("--test-seeds", type=int, nargs="+", default=[12, 13])
    ap.add_argument("--bar", type=float, default=0.9)
    ap.add_argument("--margin", type=float, default=0.3)
    ap.add_argument("--budget", type=int, default=50, help="review-queue clusters judged")
    ap.add_argument("--prior-weight", type=float, default=D.DEFAULT_PRIOR_WEIGHT)
    a = ap.parse_args()
    out = Console(width=120)
    prior = default_model()

    t = time.perf_counter()
    links, truth, clustering = scenario(a.accounts, a.train_seed)
    _, clusters = scored(links, clustering, prior, truth)
    dec = decisions_frame(clusters, prior, a.bar, a.margin, a.budget)
    t_fit = time.perf_counter()
    cal = D.calibrate(dec, prior, prior_weight=a.prior_weight)
    fit_s = time.perf_counter() - t_fit
    out.print(f"train seed {a.train_seed}: {len(dec)} decisions "
              f"({(dec['label'] == 'confirm').sum()} confirm, "
              f"{(dec['label'] == 'reject').sum()} reject); calibrate {fit_s:.2f} s; "
              f"CV AUC {cal.cv.auc} (prior {cal.cv.prior_auc}, k={cal.cv.k}); "
              f"model {cal.model.version}")
    t_ = Table(title=f"ban wave at risk >= {a.bar}: shipped model vs calibrated "
                     f"({a.accounts:,} benign accounts per seed)")
    for col in ("seed", "model", "flagged", "false bans", "precision", "recall"):
        t_.add_column(col, justify="left" if col == "model" else "right")
    for seed in [a.train_seed, *a.test_seeds]:
        if seed != a.train_seed:
            links, truth, clustering = scenario(a.accounts, seed)
        for name, m in (("shipped", prior), ("calibrated", cal.model)):
            r, _ = scored(links, clustering, m, truth)
            q = wave_quality(r, truth, a.bar)
            t_.add_row(f"{seed}{' (train)' if seed == a.train_seed else ''}", name,
                       f"{q['flagged']:,}", f"{q['false bans']:,}", f"{q['precision']:.4f}",
                       f"{q['recall']:.4f}")
    out.print(t_)
    out.print(f"total {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
