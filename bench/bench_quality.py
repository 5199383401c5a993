"""Quality benchmark: graphlink vs naive baselines on generated scenarios (no Neo4j).

Pure path, the same functions the product runs: ``graphlink.synth.generate``
→ :class:`Links` (``links_from_scenario``) → ``detect_links`` (projection,
Leiden CPM, scoring) → ``select_wave`` (the ban wave, protected accounts and
all) → ``evaluate_flags``; the baselines (``graphlink.baselines``) run on the
same links.

Prints:

1. the evaluation table at ``--accounts`` benign accounts (default 1M, +24k
   ring accounts): graphlink vs components / modularity baselines;
2. graphlink at other ``min_risk`` bars (detection once, selection per bar);
3. a robustness sweep at ``--sweep-accounts`` (default 200k) varying the
   generator's knobs (``SynthParams``): ring sizes, how much ring members
   share, camouflage, share of benign VPN users.

Targets: precision ≥ 0.995 and recall ≥ 0.98 at 1M, no campus/company/family
banned whole.

    .venv/bin/python bench/bench_quality.py                     # 1M + sweep (~15-25 min, 2 cores)
    .venv/bin/python bench/bench_quality.py --accounts 200000 --no-sweep
    .venv/bin/python bench/bench_quality.py --loao --accounts 1000000   # leave-one-archetype-out

``--loao``: the risk model is fitted on training seeds (``--train-seeds``, default
``TRAINING_SEEDS`` as the shipped model, at ``--train-accounts``) without one
archetype at a time and scored on evaluation seeds (``--seed``, never trained on)
at ``--accounts``; then the full model on an evaluation scenario without any
behaviour_similarity table.  Beside it the connected-components baseline on the
same evaluation links.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from rich.console import Console
from rich.table import Table

from graphlink import baselines
from graphlink.banwave import DEFAULT_MIN_RISK, WaveParams, select_wave
from graphlink.detect import DetectionConfig, detect_links, links_from_scenario
from graphlink.evaluate import (
    compare_with_baselines,
    evaluate_flags,
    render_table,
)
from graphlink.holdout import TRAINING_SEEDS
from graphlink.synth import SynthParams, generate

console = Console(width=220)

#: The sweep: (label, SynthParams changes).
SWEEP: list[tuple[str, dict[str, Any]]] = [
    ("default", {}),
    ("small rings 5-60", {"ring_size_min": 5, "ring_size_max": 60}),
    ("large rings 500-5000", {"ring_size_min": 500, "ring_size_max": 5000}),
    ("cards shared 0.6→0.2", {"shared_instrument_rate": 0.2}),
    ("no shared cards", {"shared_instrument_rate": 0.0}),
    ("proxy IPs/acct 4→1.5", {"ips_per_ring_account": 1.5}),
    ("sim pairs/acct 10→3", {"ring_pairs_per_account": 3.0}),
    (
        "weak links (all ↓)",
        {
            "shared_instrument_rate": 0.2,
            "ips_per_ring_account": 1.5,
            "ring_pairs_per_account": 3.0,
            "shared_device_rate": 0.1,
            "shared_phone_rate": 0.2,
        },
    ),
    ("camouflage 0.3→0.6", {"camouflage_rate": 0.6}),
    ("VPN users 5%→15%", {"vpn_share": 0.15}),
    ("VPN users 5%→30%", {"vpn_share": 0.30}),
]


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def graphlink_wave(
    links: Any, *, seed: int, min_risk: float, config: DetectionConfig
) -> tuple[Any, pd.DataFrame, float]:
    """Detection + ban-wave selection; returns (detection result, wave entries, seconds)."""
    t = time.perf_counter()
    det = detect_links(links, config, seed=seed)
    plan = select_wave(
        det.clusters, det.members, links.accounts, WaveParams(min_risk=min_risk), run_id=det.run_id
    )
    return det, plan.entries, time.perf_counter() - t


def main_table(n: int, seed: int, min_risk: float, louvain: bool | None) -> dict[str, Any]:
    console.rule(f"[bold]{n:,} benign accounts, seed {seed}")
    t = time.perf_counter()
    sc = generate(n, seed=seed)
    links = links_from_scenario(sc)
    truth = sc.truth
    gen_s = time.perf_counter() - t
    n_ring = int((truth["segment"] == "ring").sum())
    console.print(
        f"generated {len(truth):,} accounts ({n_ring:,} ring, "
        f"{truth.loc[truth.segment == 'ring', 'campaign'].nunique()} campaigns) "
        f"in {gen_s:.1f} s; links {links.sizes()}"
    )
    del sc
    gc.collect()

    config = DetectionConfig()
    det, entries, det_s = graphlink_wave(links, seed=42, min_risk=min_risk, config=config)
    console.print(
        f"graphlink: detection + wave {det_s:.1f} s "
        f"(stages {det.stage_seconds}), peak RSS {peak_rss_gb():.1f} GB"
    )
    results = compare_with_baselines(
        entries,
        links,
        truth,
        method=f"graphlink (min_risk {min_risk:g})",
        seconds=det_s,
        louvain=louvain,
    )
    console.print(
        render_table(results, title=f"evaluation at {n:,} benign + {n_ring:,} ring accounts")
    )
    console.print(f"peak RSS {peak_rss_gb():.1f} GB")

    # Other risk bars: selection only, detection is reused.
    t = Table(title="graphlink by ban-wave risk bar", title_justify="left")
    for col in (
        "min_risk",
        "flagged",
        "precision",
        "recall",
        "F1",
        "false bans",
        "whole groups c/co/f",
    ):
        t.add_column(col, justify="right")
    bars = []
    for bar in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        plan = select_wave(det.clusters, det.members, links.accounts, WaveParams(min_risk=bar))
        m = evaluate_flags(plan.entries, truth, method=f"min_risk {bar}")
        bars.append(m)
        t.add_row(
            f"{bar:g}",
            f"{m.n_flagged:,}",
            f"{m.precision:.4f}",
            f"{m.recall:.4f}",
            f"{m.f1:.4f}",
            f"{m.fp:,}",
            "/".join(str(m.whole_groups_banned.get(s, 0)) for s in ("campus", "company", "family")),
        )
    console.print(t)
    _misses(det, entries, truth)
    return {
        "accounts": n,
        "seed": seed,
        "results": [m.to_record() for m in results],
        "by_min_risk": [m.to_record() for m in bars],
        "detect_seconds": det_s,
        "stage_seconds": det.stage_seconds,
        "peak_rss_gb": peak_rss_gb(),
    }


def _misses(det: Any, entries: pd.DataFrame, truth: pd.DataFrame) -> None:
    """Where graphlink's errors are: false bans by segment and cluster, missed rings by campaign."""
    t = truth.set_index("account_id")
    flagged = entries.set_index("account_id")
    fp = flagged[t["segment"].reindex(flagged.index).fillna("unknown") != "ring"]
    if len(fp):
        seg = t["segment"].reindex(fp.index).fillna("unknown")
        by = fp.assign(segment=seg.values).groupby(["cluster_id", "segment"]).size()
        console.print(
            f"false bans: {len(fp):,} in {fp['cluster_id'].nunique()} clusters; "
            f"top: {by.sort_values(ascending=False).head(8).to_dict()}"
        )
    ring = t[t["segment"] == "ring"]
    missed = ring[~ring.index.isin(flagged.index)]
    if len(missed):
        mem = det.members.set_index("account_id")
        where = mem["cluster_risk"].reindex(missed.index)
        console.print(
            f"missed ring accounts: {len(missed):,}; per campaign (top): "
            f"{missed.groupby('campaign').size().sort_values(ascending=False).head(8).to_dict()}; "
            f"{int(where.isna().sum()):,} in no written cluster, "
            f"{int((where < DEFAULT_MIN_RISK).sum()):,} in clusters below the bar"
        )


def sweep(n: int, seed: int, min_risk: float, only: list[str] | None) -> list[dict[str, Any]]:
    console.rule(f"[bold]robustness sweep at {n:,} benign accounts, seed {seed}")
    t = Table(
        title="robustness: graphlink vs best baseline (components, capped)", title_justify="left"
    )
    for col in (
        "scenario",
        "ring accts",
        "precision",
        "recall",
        "F1",
        "min camp. recall",
        "false bans",
        "whole groups c/co/f",
        "CC precision",
        "CC recall",
        "s",
    ):
        t.add_column(col, justify="left" if col == "scenario" else "right")
    out = []
    for label, changes in SWEEP:
        if only and label not in only:
            continue
        params = replace(SynthParams(), **changes)
        t0 = time.perf_counter()
        sc = generate(n, seed=seed, params=params)
        links = links_from_scenario(sc)
        truth = sc.truth
        del sc
        _, entries, _ = graphlink_wave(links, seed=42, min_risk=min_risk, config=DetectionConfig())
        m = evaluate_flags(entries, truth, method=label)
        cc = baselines.components(baselines.incidence(links))
        mc = evaluate_flags(cc.flagged, truth, method="components")
        secs = time.perf_counter() - t0
        t.add_row(
            label,
            f"{m.n_ring:,}",
            f"{m.precision:.4f}",
            f"{m.recall:.4f}",
            f"{m.f1:.4f}",
            f"{m.min_campaign_recall:.3f}",
            f"{m.fp:,}",
            "/".join(str(m.whole_groups_banned.get(s, 0)) for s in ("campus", "company", "family")),
            f"{mc.precision:.4f}",
            f"{mc.recall:.4f}",
            f"{secs:.0f}",
        )
        out.append(
            {
                "scenario": label,
                "changes": changes,
                "graphlink": m.to_record(),
                "components": mc.to_record(),
            }
        )
        console.print(f"[dim]{label}: P {m.precision:.4f} R {m.recall:.4f} ({secs:.0f} s)[/]")
        gc.collect()
    console.print(t)
    return out


def loao(
    n: int, seed: int, train_n: int, train_seeds: list[int], train_table: Path | None = None,
    floor: bool = False,
) -> dict[str, Any]:
    """Leave-one-archetype-out table (see the module docstring), with baselines."""
    from graphlink.holdout import render_loao, run_loao

    console.rule(
        f"[bold]leave-one-archetype-out: train {len(train_seeds)} seeds x {train_n:,}, "
        f"evaluate seed {seed} at {n:,}"
    )
    t0 = time.perf_counter()
    rep = run_loao(
        n,
        seed,
        train_n=train_n,
        train_seeds=train_seeds,
        train_table=train_table,
        config=DetectionConfig().with_(infrastructure_floor=floor),
        progress=lambda s: console.print(f"[dim]{s}[/]"),
    )
    for table in render_loao(
        rep,
        title="leave-one-archetype-out (fitted without the archetype, "
        f"scored on unseen seed {seed})",
    ):
        console.print(table)
    console.print(f"[dim]{time.perf_counter() - t0:.0f} s, peak RSS {peak_rss_gb():.1f} GB[/]")
    out: dict[str, Any] = {
        "loao": rep.table.to_dict(orient="records"),
        "components": rep.components.to_record(),
    }
    if rep.no_similarity:
        out["no_similarity"] = rep.no_similarity["metrics"].to_record() | {
            "per_archetype": rep.no_similarity["per_archetype"]
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--accounts", type=int, default=1_000_000, help="benign accounts of the main table"
    )
    ap.add_argument(
        "--seed", type=int, default=101,
        help="evaluation seed (never one of TRAINING_SEEDS)"
    )
    ap.add_argument("--min-risk", type=float, default=DEFAULT_MIN_RISK)
    ap.add_argument("--sweep-accounts", type=int, default=200_000)
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--no-main", action="store_true")
    ap.add_argument("--only", nargs="*", help="sweep scenarios to run (labels)")
    ap.add_argument("--louvain", choices=["auto", "yes", "no"], default="auto")
    ap.add_argument("--json", type=Path, help="write all figures here")
    ap.add_argument("--loao", action="store_true", help="leave-one-archetype-out table only")
    ap.add_argument("--floor", action="store_true",
                    help="with --loao: detection with DetectionConfig.infrastructure_floor on")
    ap.add_argument("--train-accounts", type=int, default=200_000)
    ap.add_argument("--train-seeds", type=int, nargs="*", default=list(TRAINING_SEEDS))
    ap.add_argument(
        "--train-table",
        type=Path,
        help="reuse (or save) the training clusters table (parquet of fit_default_model --table)",
    )
    a = ap.parse_args()
    if a.loao:
        report = {"loao": loao(a.accounts, a.seed, a.train_accounts, a.train_seeds, a.train_table,
                                  a.floor)}
        if a.json:
            a.json.write_text(json.dumps(report, indent=2, default=str))
        return
    louvain = {"auto": None, "yes": True, "no": False}[a.louvain]
    report: dict[str, Any] = {}
    if not a.no_main:
        report["main"] = main_table(a.accounts, a.seed, a.min_risk, louvain)
        gc.collect()
    if not a.no_sweep:
        report["sweep"] = sweep(a.sweep_accounts, a.seed, a.min_risk, a.only)
    if a.json:
        a.json.write_text(json.dumps(report, indent=2, default=str))
        console.print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
