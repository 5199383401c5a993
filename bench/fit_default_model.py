"""Fit the shipped risk model (graphlink/detect/default_model.json) on many scenarios.

Why many: a model fitted on one generated world learns that world's tactics.
The training set is ``graphlink synth`` at several seeds, each drawing its own
mix of campaign archetypes with randomised parameters (and its own BINs, plan
and provider names), half of them without a ``behaviour_similarity`` table so
the model also learns rings from shared infrastructure alone.  Evaluation
seeds (``bench/bench_quality.py --loao``) are disjoint from these.

    .venv/bin/python bench/fit_default_model.py --table /tmp/train.parquet   # 80 seeds x 200k
    (~8 min to generate and cluster the 80 worlds, ~2.5 min to fit on 2 cores)
    .venv/bin/python bench/fit_default_model.py --accounts 50000 --seeds 1 2 --out /tmp/m.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from graphlink.detect.training import (  # noqa: E402
    LOGISTIC_FEATURES,
    MODEL_FEATURES,
    fit_risk_model,
    without_similarity,
)
from graphlink.holdout import TRAINING_SEEDS, training_tables  # noqa: E402

console = Console(width=200)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "graphlink" / "detect" / "default_model.json"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--seeds", type=int, nargs="*", default=list(TRAINING_SEEDS))
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--table", type=Path, help="also save the training table (parquet)")
    ap.add_argument("--from-table", type=Path,
                    help="fit on a table an earlier --table run saved (same seeds), skip "
                    "generating and clustering")
    ap.add_argument(
        "--kind",
        choices=["logistic", "gbdt"],
        default="gbdt",
        help="gbdt (shipped: monotone gradient-boosted trees, see bench/bench_model_choice.py) "
        "or the earlier sign-constrained logistic",
    )
    ap.add_argument("--max-fp-rate", type=float, default=3e-4,
                    help="the bar: out-of-fold false bans allowed, as a share of the benign "
                    "accounts in clusters (shipped: 3e-4)")
    a = ap.parse_args()
    if a.from_table:
        table = pd.read_parquet(a.from_table)
    else:
        table = training_tables(a.accounts, a.seeds,
                                progress=lambda s: console.print(f"[dim]{s}[/]"))
    if a.table:
        table.to_parquet(a.table)
    feats = MODEL_FEATURES if a.kind == "gbdt" else LOGISTIC_FEATURES
    model = fit_risk_model(
        table,
        kind=a.kind,
        features=feats,
        max_fp_rate=a.max_fp_rate,
        trained_on={
            "scenarios": f"graphlink synth, {a.accounts:,} benign accounts, seeds {a.seeds}, "
            "every second one without behaviour_similarity",
            "command": "bench/fit_default_model.py " + " ".join(sys.argv[1:]),
        },
    )
    model.save(a.out)
    # The variant for snapshots without any similarity pair: no similarity feature.
    plain = fit_risk_model(
        table,
        kind=a.kind,
        max_fp_rate=a.max_fp_rate,
        prefix="synth-nosim",
        features=without_similarity(feats),
        trained_on=model.trained_on | {"variant": "no similarity features"},
    )
    plain.save(a.out.with_name(a.out.stem + "_no_similarity.json"))
    for m in (model, plain):
        t = Table(title=f"risk model {m.version} ({m.kind}, {len(m.features)} features)",
                  title_justify="left")
        for col in ("train recall (out of fold)", "false bans", "benign in clusters", "bar on"):
            t.add_column(col, justify="right")
        info = m.trained_on
        t.add_row(f"{info['train_recall']:.4f}", f"{info['train_false_bans']:,}",
                  f"{info['train_benign_in_clusters']:,}", str(info["bar_on"]))
        console.print(t)


if __name__ == "__main__":
    main()
