"""Which kind of risk model ranks rings best, seen and unseen: measured on a training table.

Clustering does not depend on the risk model, so the comparison runs on the
labelled-cluster table ``bench/fit_default_model.py --table`` writes (``graphlink synth``
seeds 1-10 x 200k benign, every second seed without behaviour pairs): fit on six seeds,
score the other four, then the other way round (seeds 5-10 -> 1-4), and average.

For every model kind it prints the account recall at a fixed false-ban budget (120 benign
accounts per million benign, the issue-8 target) with the bar placed on the scored seeds
themselves, so that the numbers compare *rankings*, not bar placement:

* ``in:<archetype>``: fitted on every archetype;
* ``<archetype>``: fitted without that archetype (leave-one-archetype-out), recall on it;
* ``mean_heldout``: mean of the held-out rows.

Kinds:

* ``shipped``: the shipped recipe, ``fit_risk_model``'s default (monotone trees over
  ``MODEL_FEATURES``);
* ``shipped_nosim``: the same without similarity features (the variant for snapshots
  without behaviour pairs);
* ``shipped_plain``: the shipped recipe fitted on the rings as generated, without
  ``with_ring_variants`` (each ring without one evidence family, and inside an org);
* ``logistic``: the earlier sign-constrained logistic on ``LOGISTIC_FEATURES``;
* ``gbdt``: monotone trees on those features;
* ``gbdt_wide``: monotone trees on every population-relative feature (kind-specific
  shares, size and raw volume included) plus pairwise products of the evidence families;
* ``ensemble``: z-scored sum of ``gbdt_wide`` and depth-2 monotone trees with the products.

    .venv/bin/python bench/fit_default_model.py --table /tmp/train.parquet   # once, ~10 min
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_model_choice.py --table /tmp/train.parquet
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from graphlink.detect.training import (  # noqa: E402
    FAMILIES,
    LOGISTIC_FEATURES,
    MODEL_FEATURES,
    fit_without_bar,
    without_similarity,
)

#: Concentration of country / e-mail domain: what the generator's rings show and a
#: reseller's world-wide pool need not (kind ``shipped_nodemo`` fits without them).
DEMOGRAPHIC = {"country_surprise", "email_domain_surprise"}

Scorer = Callable[[pd.DataFrame], np.ndarray]
#: Not features: truth, bookkeeping, raw size, and what needs operator data.
NOT_FEATURES = {"label", "ring", "ring_frac", "y", "archetype", "campaign", "segment", "scenario",
                "seed", "prepaid_share", "entry_plan_share", "proxy_link_share", "size",
                "log10_size", "internal_edges"}
#: Trees may use these either way; every other feature is evidence *for* a ring (+1).
EITHER_WAY = {"volume_ratio_log10", "median_requests", "log10_size_capped"}
AGAINST = {"external_share", "org_share"}
SPLITS = ((range(1, 7), range(7, 11)), (range(5, 11), range(1, 5)))
BUDGET_PER_MILLION = 120


def wide(d: pd.DataFrame) -> pd.DataFrame:
    x = d[[c for c in d.columns if c not in NOT_FEATURES]].fillna(0).copy()
    for a, b in itertools.combinations(FAMILIES, 2):
        x[f"{a}*{b}"] = d[a].clip(0, 1) * d[b].clip(0, 1)
    return x


def _trees(d: pd.DataFrame, **kw: int | float) -> Scorer:
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = wide(d)
    mono = [-1 if c in AGAINST else 0 if c in EITHER_WAY else 1 for c in x.columns]
    y = d["y"].to_numpy()
    w = np.where(y == 1, d["ring"], d["size"]).astype(float)  # accounts, as a wave counts them
    m = HistGradientBoostingClassifier(monotonic_cst=mono, random_state=0, **kw)  # type: ignore[arg-type]
    m.fit(x, y, sample_weight=w)
    return lambda e: m.decision_function(wide(e))


def fit(kind: str, d: pd.DataFrame) -> Scorer:
    if kind == "shipped":
        return fit_without_bar(d, MODEL_FEATURES, "gbdt", 0.5, "bench")[0].logit
    if kind == "shipped_nosim":
        return fit_without_bar(d, without_similarity(MODEL_FEATURES), "gbdt", 0.5, "bench")[0].logit
    if kind == "shipped_nodemo":
        return fit_without_bar(d, [f for f in MODEL_FEATURES if f not in DEMOGRAPHIC], "gbdt", 0.5,
                               "bench")[0].logit
    if kind == "shipped_plain":
        return fit_without_bar(d, MODEL_FEATURES, "gbdt_plain", 0.5, "bench")[0].logit
    if kind == "logistic":
        return fit_without_bar(d, LOGISTIC_FEATURES, "logistic", 0.5, "bench")[0].logit
    if kind == "gbdt":
        return fit_without_bar(d, LOGISTIC_FEATURES, "gbdt_plain", 0.5, "bench")[0].logit
    if kind == "gbdt_wide":
        return _trees(d, max_iter=150, learning_rate=0.1, max_leaf_nodes=15)
    if kind == "ensemble":
        a = _trees(d, max_iter=150, learning_rate=0.1, max_leaf_nodes=15)
        b = _trees(d, max_iter=300, learning_rate=0.05, max_depth=2, l2_regularization=1.0)
        sa, sb = a(d), b(d)
        return lambda e: (a(e) - sa.mean()) / sa.std() + (b(e) - sb.mean()) / sb.std()
    raise SystemExit(f"unknown kind {kind}")


def recall_at_budget(score: np.ndarray, te: pd.DataFrame, budget: float,
                     sel: np.ndarray | None = None) -> float:
    ring = te["ring"].to_numpy()
    benign = (te["size"] - te["ring"]).to_numpy()
    order = np.argsort(-score, kind="stable")
    k = int(np.searchsorted(np.cumsum(benign[order]), budget, side="right"))
    ban = np.zeros(len(te), bool)
    ban[order[:k]] = True
    s = np.ones(len(te), bool) if sel is None else sel
    return float(ring[ban & s].sum() / max(ring[s].sum(), 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", type=Path, required=True)
    ap.add_argument("--benign-per-seed", type=int, default=200_000)
    ap.add_argument("--kinds", nargs="*",
                    default=["shipped", "logistic", "gbdt", "gbdt_wide", "ensemble"])
    a = ap.parse_args()
    t = pd.read_parquet(a.table)
    t["seed"] = t["scenario"].str.extract(r"seed(\d+)", expand=False).astype(int)
    archs = sorted(x for x in t["archetype"].unique() if x)
    res: dict[str, dict[str, list[float]]] = {}
    for train_seeds, test_seeds in SPLITS:
        tr, te = t[t["seed"].isin(train_seeds)], t[t["seed"].isin(test_seeds)]
        budget = BUDGET_PER_MILLION * a.benign_per_seed * len(test_seeds) / 1e6
        for kind in a.kinds:
            r = res.setdefault(kind, {})
            s = fit(kind, tr)(te)
            r.setdefault("all archetypes", []).append(recall_at_budget(s, te, budget))
            for x in archs:
                r.setdefault(f"in:{x}", []).append(
                    recall_at_budget(s, te, budget, (te["archetype"] == x).to_numpy()))
            for x in archs:
                s = fit(kind, tr[tr["archetype"] != x])(te)
                r.setdefault(x, []).append(
                    recall_at_budget(s, te, budget, (te["archetype"] == x).to_numpy()))
    frame = pd.DataFrame({k: {row: float(np.mean(v)) for row, v in d.items()}
                          for k, d in res.items()})
    frame.loc["mean_heldout"] = frame.loc[archs].mean()
    table = Table(title=f"account recall at {BUDGET_PER_MILLION} false bans per 1M benign "
                        f"(mean of {len(SPLITS)} seed splits)", title_justify="left")
    table.add_column("rows")
    for k in frame.columns:
        table.add_column(k, justify="right")
    for row, vals in frame.iterrows():
        table.add_row(str(row), *(f"{v:.3f}" for v in vals))
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
