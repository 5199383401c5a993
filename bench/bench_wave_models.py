"""Risk models, the household rules and the own-domain org rule, side by side on unseen seeds.

Why: a model or a wave rule is only worth shipping if it helps on worlds it was not
chosen on, and "helps" has two halves: the wave at the shipped bar (precision, recall,
false bans, groups banned whole) and the ranking under it (recall when the wave may ban
at most 60 or 120 benign accounts per million, wherever that puts the bar).  A model
that only moved its bar shows in the first and not in the second.

Pure path, the product's functions: ``holdout.generated_worlds`` (generate, links,
``cluster_accounts``, once per seed and behaviour setting) -> ``detect_links`` per model
and household bar -> ``select_wave`` -> ``wave_metrics``.

    .venv/bin/python bench/bench_wave_models.py --seeds 23 24 25 26 27 28 29 30 \\
        --models shipped /tmp/old --household 0 0.3 --exit-ratio 0 1 --own-domain 0 0.8
    .venv/bin/python bench/bench_wave_models.py --seeds 23 24 25 26 27 28 29 30 --household-max 0 8
    .venv/bin/python bench/bench_wave_models.py --seeds 21 22 105 107 109 111 113 115
    .venv/bin/python bench/bench_wave_models.py --seeds 117 119 121 123 125 127 129 131 --floor 0 1

``--models``: ``shipped`` (the package's default pair) or a path prefix ``P`` naming
``P.json`` and ``P_no_similarity.json`` (``bench/fit_default_model.py --out P.json``).
About 10 s per seed and setting at 200k, plus 2 s per model and bar, on 2 cores.
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
from graphlink.detect.riskmodel import RiskModel, default_model
from graphlink.holdout import generated_worlds, wave_metrics

console = Console(width=200)
#: False bans per million benign accounts at which the ranking is read.
BUDGETS = (60, 120)


def load(spec: str, with_sim: bool) -> RiskModel:
    if spec == "shipped":
        return default_model(has_similarity=with_sim)
    return RiskModel.load(Path(spec + ("" if with_sim else "_no_similarity") + ".json"))


def caught_at_budgets(risk: pd.Series, is_ring: pd.Series, n_benign: int) -> dict[str, int]:
    """Ring accounts banned when banning the riskiest clusters' members, cluster risk by
    cluster risk, while false bans stay within each budget (per 1M of ``n_benign``)."""
    d = pd.DataFrame({"r": risk.to_numpy(), "ring": is_ring.to_numpy()})
    g = d.groupby("r").agg(tp=("ring", "sum"), k=("ring", "size")).sort_index(ascending=False)
    fp, tp = (g["k"] - g["tp"]).cumsum(), g["tp"].cumsum()
    out = {}
    for b in BUDGETS:
        within = fp <= b * n_benign / 1e6
        out[f"R@{b}"] = int(tp[within].max()) if within.any() else 0
    return out


def run(n: int, seeds: list[int], models: list[str], bars: list[float],
        own_domain: list[float], exits: list[float], attach: list[float],
        hh_max: list[int], conformity: list[float], floors: list[int]) -> pd.DataFrame:
    rows = []
    for seed, with_sim, p in generated_worlds(n, seeds):
        ring = set(p.truth.loc[p.truth["segment"] == "ring", "account_id"])
        for spec, fl in [(s, f) for s in models for f in (floors if with_sim else [0])]:
            model = load(spec, with_sim)
            floor = load(spec, False) if with_sim and fl else None
            for bar, ex, at, hm in [(b, x, t, h) for b in bars for x in exits for t in attach
                                    for h in hh_max]:
                cfg = DetectionConfig().with_(household_bridge=bar, household_exit_ratio=ex,
                                              attach_rel=at, household_max_size=hm)
                det = detect_links(p.links, cfg, clustering=p.clustering, model=model,
                                   floor_model=floor)
                for od, mc in [(o, c) for o in own_domain for c in conformity]:
                    e = select_wave(det.clusters, det.members, p.links.accounts,
                                    WaveParams(own_domain_share=od, min_conformity=mc)).entries
                    m, _ = wave_metrics(e, p.truth, spec)
                    low = select_wave(det.clusters, det.members, p.links.accounts,
                                      WaveParams(min_risk=cfg.min_write_risk,
                                                 own_domain_share=od,
                                                 min_conformity=mc)).entries
                    risk = low["cluster_id"].map(det.clusters.set_index("cluster_id")["risk"])
                    caught = caught_at_budgets(risk, low["account_id"].isin(ring), n)
                    rows.append({"seed": seed, "behaviour": with_sim,
                                 "model": spec + ("+floor" if floor else ""),
                                 "household": bar, "exit": ex, "attach": at, "own_domain": od,
                                 "household_max": hm, "conformity": mc,
                                 "tp": m.tp, "fp": m.fp,
                                 "ring": m.n_ring, "whole": m.core_groups_banned_whole,
                                 "startups": m.whole_groups_banned.get("startup", 0),
                                 **caught})
        console.print(f"[dim]seed {seed} ({'with' if with_sim else 'no'} behaviour pairs)[/]")
    return pd.DataFrame(rows)


def render(df: pd.DataFrame, seeds: list[int]) -> Table:
    g = (df.groupby(["behaviour", "model", "household", "household_max", "exit", "attach",
                     "own_domain", "conformity"],
                    sort=False)
         .sum(numeric_only=True).sort_index(level=0, ascending=False, sort_remaining=False))
    t = Table(title=f"ban wave at the shipped bar, and ranking, seeds {', '.join(map(str, seeds))}")
    cols = ("behaviour pairs", "model", "household bar", "household max", "exit ratio", "attach",
            "own-domain org", "conformity", "precision", "recall",
            "false bans", "whole groups", "startups whole",
            *(f"recall at {b} false bans / 1M" for b in BUDGETS))
    for c in cols:
        t.add_column(c, justify="right")
    for (beh, model, bar, hm, ex, at, od, mc), r in g.iterrows():
        t.add_row("yes" if beh else "no", str(model), "off" if bar <= 0 else f"{bar:g}",
                  "any" if hm <= 0 else str(hm),
                  "off" if ex <= 0 else f"{ex:g}", "off" if at <= 0 else f"{at:g}",
                  "off" if od <= 0 else f"{od:g}", "off" if mc <= 0 else f"{mc:g}",
                  f"{r.tp / max(r.tp + r.fp, 1):.4f}", f"{r.tp / max(r.ring, 1):.4f}",
                  f"{int(r.fp)}", f"{int(r.whole)}", f"{int(r.startups)}",
                  *(f"{r[f'R@{b}'] / max(r.ring, 1):.4f}" for b in BUDGETS))
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=200_000, help="benign accounts per seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[21, 22, 105, 107, 109, 111, 113, 115])
    ap.add_argument("--models", nargs="+", default=["shipped"])
    ap.add_argument("--household", type=float, nargs="+",
                    default=[DetectionConfig().household_bridge],
                    help="DetectionConfig.household_bridge values (0: the rule off)")
    ap.add_argument("--exit-ratio", type=float, nargs="+",
                    default=[DetectionConfig().household_exit_ratio],
                    help="DetectionConfig.household_exit_ratio values (0: off)")
    ap.add_argument("--household-max", type=int, nargs="+",
                    default=[DetectionConfig().household_max_size],
                    help="DetectionConfig.household_max_size values (0: any size)")
    ap.add_argument("--attach", type=float, nargs="+", default=[DetectionConfig().attach_rel],
                    help="DetectionConfig.attach_rel values (0: off)")
    ap.add_argument("--own-domain", type=float, nargs="+",
                    default=[WaveParams().own_domain_share],
                    help="WaveParams.own_domain_share values (0: the rule off)")
    ap.add_argument("--conformity", type=float, nargs="+",
                    default=[WaveParams().min_conformity],
                    help="WaveParams.min_conformity values (0: the rule off)")
    ap.add_argument("--floor", type=int, nargs="+", choices=[0, 1],
                    default=[int(DetectionConfig().infrastructure_floor)],
                    help="infrastructure floor off (0) / on (1): with behaviour pairs, the "
                    "model's variant without similarity raises a cluster it alone puts over "
                    "the bar (DetectionConfig.infrastructure_floor)")
    ap.add_argument("--csv", type=Path, help="write the per-seed rows here")
    a = ap.parse_args()
    df = run(a.accounts, a.seeds, a.models, a.household, a.own_domain, a.exit_ratio, a.attach,
             a.household_max, a.conformity, a.floor)
    if a.csv:
        df.to_csv(a.csv, index=False)
    console.print(render(df, a.seeds))


if __name__ == "__main__":
    main()
