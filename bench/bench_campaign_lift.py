"""Campaign lift: ban-wave quality at several floors, per seed group (no Neo4j).

Why: ``DetectionConfig.campaign_floor`` raises unsure clusters linked to a flagged one
(``graphlink.detect.scoring.campaign_lift``).  A floor is only worth shipping if it helps
on seeds it was not chosen on, so this prints, per seed group, recall, false bans and
groups banned whole at each floor beside the lift turned off (floor 1.0), each seed with
and without a behaviour_similarity table.  Pure path, the product's functions:
``holdout.generated_worlds`` (generate, links, ``cluster_accounts``, once per seed) ->
``detect_links`` per floor -> ``select_wave`` -> ``evaluate_flags``.

    .venv/bin/python bench/bench_campaign_lift.py --seeds 21 22 105 107 109 --floors 0.3 0.6
    .venv/bin/python bench/bench_campaign_lift.py --seeds 111 113 115 --floors 0.6   # held out

About 1 min per seed and table at 200k on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from rich.console import Console
from rich.table import Table

from graphlink.banwave import WaveParams, select_wave
from graphlink.detect import DetectionConfig, detect_links
from graphlink.detect.riskmodel import default_model
from graphlink.holdout import generated_worlds, wave_metrics

console = Console(width=160)


def run(n: int, seeds: list[int], floors: list[float]) -> pd.DataFrame:
    rows = []
    for seed, with_sim, p in generated_worlds(n, seeds):
        model = default_model(has_similarity=with_sim)
        for floor in [1.0, *floors]:
            cfg = DetectionConfig().with_(campaign_floor=floor)
            det = detect_links(p.links, cfg, clustering=p.clustering, model=model)
            e = select_wave(det.clusters, det.members, p.links.accounts, WaveParams()).entries
            m, _ = wave_metrics(e, p.truth, f"floor {floor}")
            rows.append({"seed": seed, "behaviour": with_sim, "floor": floor, "tp": m.tp,
                         "fp": m.fp, "ring": m.n_ring,
                         "whole": m.core_groups_banned_whole})
        console.print(f"[dim]seed {seed} ({'with' if with_sim else 'no'} behaviour pairs)[/]")
    return pd.DataFrame(rows)


def render(df: pd.DataFrame, seeds: list[int]) -> Table:
    g = df.groupby(["behaviour", "floor"]).sum(numeric_only=True).sort_index(ascending=False)
    t = Table(title=f"campaign lift, seeds {', '.join(map(str, seeds))} (floor 1.0: off)")
    for c in ("behaviour pairs", "floor", "precision", "recall", "false bans", "whole groups"):
        t.add_column(c, justify="right")
    for (beh, floor), r in g.iterrows():
        t.add_row("yes" if beh else "no", "off" if floor >= 1.0 else f"{floor:g}",
                  f"{r.tp / max(r.tp + r.fp, 1):.4f}", f"{r.tp / max(r.ring, 1):.4f}",
                  f"{int(r.fp)}", f"{int(r.whole)}")
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=200_000, help="benign accounts per seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[111, 113, 115])
    ap.add_argument("--floors", type=float, nargs="+", default=[DetectionConfig().campaign_floor])
    ap.add_argument("--csv", type=Path, help="write the per-seed rows here")
    a = ap.parse_args()
    df = run(a.accounts, a.seeds, a.floors)
    if a.csv:
        df.to_csv(a.csv, index=False)
    console.print(render(df, a.seeds))


if __name__ == "__main__":
    main()
