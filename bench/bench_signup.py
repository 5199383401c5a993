"""Sign-up check on held-out newcomers: tuning seeds vs held-out seeds (no Neo4j).

For each seed: ``graphlink.synth.generate`` -> :func:`graphlink.signup_eval.replay`
(hold out 2 % of every ring campaign and N accounts of every benign segment,
detect on the rest, score the held-out accounts as sign-ups with the API's
``score_signup`` on the API's index).  Prints, for the tuning seeds pooled and
for the held-out seeds pooled, the per-segment table (graphlink and the naive
rule), the headline rates at the module's thresholds and the operating point
the pooled newcomers support (benign blocked <= 0.1 %, to review <= 3 %,
population-weighted).

Targets: ring newcomers caught (review or block) >= 0.95, blocked >= 0.85;
benign blocked <= 0.1 %, to review <= 3 %; mobile-carrier newcomers allowed.

    .venv/bin/python bench/bench_signup.py                          # 200k, seeds 1-3 and 11-13
    .venv/bin/python bench/bench_signup.py --accounts 50000 --tune 1 --holdout 11
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from rich.console import Console

from graphlink import signup_eval as se
from graphlink.detect import DetectionConfig
from graphlink.signup import BLOCK_AT, REVIEW_AT
from graphlink.synth import generate

console = Console(width=200)


def run_seed(n: int, seed: int, per_segment: int, frac: float,
             config: DetectionConfig | None = None) -> se.Replay:
    t = time.perf_counter()
    sc = generate(n, seed=seed)
    rep = se.replay(sc.links(), sc.truth, holdout_frac=frac, benign_per_segment=per_segment,
                    seed=seed, config=config)
    rep.newcomers["seed"] = seed
    s = rep.summary()
    console.print(f"seed {seed}: {len(rep.newcomers):,} newcomers ({int(s['ring_n'])} ring) in "
                  f"{time.perf_counter() - t:.0f}s {rep.seconds}; caught {s['ring_caught']:.3f} "
                  f"blocked {s['ring_blocked']:.3f}; benign blocked {s['benign_blocked']:.4%} "
                  f"review {s['benign_review']:.2%}")
    return rep


def pooled(reps: list[se.Replay]) -> se.Replay:
    w = pd.DataFrame([r.weights for r in reps]).mean().to_dict()
    return se.Replay(newcomers=pd.concat([r.newcomers for r in reps], ignore_index=True),
                     weights=w, run_id="pooled", index_sizes={})


def report(label: str, rep: se.Replay) -> None:
    for r in se.render_replay(rep, title=f"{label}: held-out newcomers"):
        console.print(r)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--tune", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--holdout", type=int, nargs="*", default=[11, 12, 13])
    ap.add_argument("--benign-per-segment", type=int, default=300)
    ap.add_argument("--holdout-frac", type=float, default=se.DEFAULT_HOLDOUT_FRAC)
    ap.add_argument("--floor", action="store_true",
                    help="detect with DetectionConfig.infrastructure_floor on (off by default)")
    ap.add_argument("--save", type=Path, help="write every newcomer's scores here (parquet)")
    a = ap.parse_args()
    console.print(f"thresholds: review {REVIEW_AT}, block {BLOCK_AT}; {a.accounts:,} benign "
                  f"accounts; {a.benign_per_segment} benign newcomers per segment per seed")
    groups = {"tuning seeds " + ",".join(map(str, a.tune)): a.tune,
              "held-out seeds " + ",".join(map(str, a.holdout)): a.holdout}
    saved = []
    for label, seeds in groups.items():
        if not seeds:
            continue
        cfg = DetectionConfig().with_(infrastructure_floor=a.floor)
        reps = [run_seed(a.accounts, s, a.benign_per_segment, a.holdout_frac, cfg)
                for s in seeds]
        rep = pooled(reps)
        report(label, rep)
        saved.append(rep.newcomers.assign(group=label))
    if a.save and saved:
        pd.concat(saved, ignore_index=True).to_parquet(a.save)
        console.print(f"wrote {a.save}")


if __name__ == "__main__":
    main()
