"""Leave-one-archetype-out: how the risk model does on campaigns it was never fitted on.

The lesson this module exists for: a model fitted (or hand-tuned) on one
generator's campaigns scores campaigns of other tactics like a campus.  So
every archetype of :data:`graphlink.synth.ARCHETYPES` is held out in turn:

1. *training scenarios* (their own seeds) are clustered once and turned into
   labelled cluster tables (``train``) (:func:`graphlink.detect.training.labelled_clusters`);
2. for archetype A, the model is fitted on those tables without any cluster
   whose ring majority is of archetype A;
3. it then scores *evaluation scenarios* (other seeds, never used in
   training, clustered once), and the ban wave is selected exactly as the
   product does (:func:`graphlink.banwave.select_wave`): recall on A's
   accounts, and precision / false bans / whole groups over everything.

Pure: scenarios in, a frame out.  ``bench/bench_quality.py --loao`` and
``graphlink evaluate --loao`` print it beside the baselines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphlink.banwave import DEFAULT_MIN_RISK, WaveParams, select_wave
from graphlink.detect.config import DetectionConfig
from graphlink.detect.pipeline import Clustering, DetectionResult, cluster_accounts, detect_links
from graphlink.detect.riskmodel import RiskModel
from graphlink.detect.training import (
    MODEL_FEATURES,
    fit_risk_model,
    labelled_clusters,
    without_similarity,
)
from graphlink.evaluate import Metrics, evaluate_flags
from graphlink.model import Links

Progress = Callable[[str], None]

#: Seeds of the scenarios the shipped risk model is fitted on (``graphlink synth`` at
#: 200k benign accounts, every second one without behaviour pairs): 80 worlds, each
#: drawing its own campaigns, BINs, plans and providers.  Seeds 11-30 and 101 onwards
#: are never trained on: evaluation and tuning use them.  Was seeds 1-10 until
#: 2026-11-27; 80 worlds ranked held-out rings better (``docs/risk-model.md``).
TRAINING_SEEDS: tuple[int, ...] = (*range(1, 11), *range(31, 101))


@dataclass
class Prepared:
    """One scenario, clustered once: what fitting and evaluation need."""

    name: str
    links: Links
    truth: pd.DataFrame
    clustering: Clustering
    table: pd.DataFrame


def prepare(name: str, links: Links, truth: pd.DataFrame,
            config: DetectionConfig = DetectionConfig(), *, seed: int = 42) -> Prepared:
    """Cluster a scenario and label its clusters."""
    clustering = cluster_accounts(links, config, seed=seed)
    table = labelled_clusters(clustering, truth, config, scenario=name)
    return Prepared(name, links, truth, clustering, table)


def generated_worlds(n: int, seeds: Sequence[int]) -> Iterator[tuple[int, bool, Prepared]]:
    """Each seed at ``n`` benign accounts with and then without behaviour pairs, generated and
    clustered once: the worlds the wave benchmarks score their models and rules on."""
    from graphlink.detect.source import links_from_scenario
    from graphlink.synth import generate

    for seed in seeds:
        for with_sim in (True, False):
            sc = generate(n, seed=seed, with_similarity=with_sim)
            p = prepare(f"seed{seed}", links_from_scenario(sc), sc.truth)
            del sc
            yield seed, with_sim, p


def archetype_of(truth: pd.DataFrame) -> pd.Series:
    """Archetype per ring account (``default`` when the truth has no such column)."""
    ring = truth[truth["segment"] == "ring"]
    if "archetype" in ring:
        return ring.set_index("account_id")["archetype"].fillna("default").replace("", "default")
    return pd.Series("default", index=ring["account_id"].to_numpy())


def ban_wave(p: Prepared, model: RiskModel, config: DetectionConfig = DetectionConfig(),
             *, min_risk: float = DEFAULT_MIN_RISK, floor: RiskModel | None = None
             ) -> tuple[DetectionResult, pd.DataFrame]:
    """Score ``p`` with ``model`` (and ``floor``: the infrastructure floor) and select the
    ban wave as the product does."""
    det = detect_links(p.links, config, clustering=p.clustering, model=model, floor_model=floor)
    plan = select_wave(det.clusters, det.members, p.links.accounts,
                       WaveParams(min_risk=min_risk), run_id=det.run_id)
    return det, plan.entries


def wave_metrics(entries: pd.DataFrame, truth: pd.DataFrame, method: str
                 ) -> tuple[Metrics, dict[str, float]]:
    """Metrics of a wave, plus recall per archetype."""
    m = evaluate_flags(entries, truth, method=method)
    arch = archetype_of(truth)
    hit = arch.index.isin(set(entries["account_id"].astype(str)))
    per = pd.Series(hit, index=arch.index).groupby(arch.to_numpy()).mean()
    return m, {str(k): float(v) for k, v in per.items()}


def leave_one_archetype_out(
    train: Sequence[pd.DataFrame],
    evaluate: Sequence[Prepared],
    *,
    features: Sequence[str] = MODEL_FEATURES,
    config: DetectionConfig = DetectionConfig(),
    progress: Progress | None = None,
) -> pd.DataFrame:
    """One row per held-out archetype (plus ``(none held out)``).

    Columns: ``held_out, recall_held_out`` (recall on the held-out archetype's
    ring accounts of the evaluation scenarios), ``min_campaign_recall_held_out``,
    ``precision, recall, false_bans, whole_groups`` (over the evaluation
    scenarios, all archetypes), ``ring_clusters_trained``.

    With ``config.infrastructure_floor`` (an option, off by default) each row
    also fits the model without similarity features on the same clusters as the
    infrastructure floor (``scoring.score_clusters``), so the floor is held out too.
    """
    say = progress or (lambda _s: None)
    table = pd.concat(list(train), ignore_index=True)
    floor_features = without_similarity(features)
    with_floor = config.infrastructure_floor and list(floor_features) != list(features)
    archetypes = sorted({a for p in evaluate for a in archetype_of(p.truth).unique()})
    rows = []
    for held in [None, *archetypes]:
        say(f"held out: {held or 'none'}")
        keep = table["archetype"] != held if held else np.ones(len(table), bool)
        if not table.loc[keep, "y"].any():
            say(f"no ring cluster left to fit on without {held}: skipped")
            continue
        model = fit_risk_model(table[keep], features=features)
        floor = fit_risk_model(table[keep], features=floor_features) if with_floor else None
        tp = fp = n_ring = n_held = held_hit = groups = 0
        camp_recalls: list[float] = []
        for p in evaluate:
            _, entries = ban_wave(p, model, config, floor=floor)
            m, per_arch = wave_metrics(entries, p.truth, method=str(held))
            tp, fp, n_ring = tp + m.tp, fp + m.fp, n_ring + m.n_ring
            groups += m.core_groups_banned_whole
            if held:
                arch = archetype_of(p.truth)
                sel = arch[arch == held]
                n_held += len(sel)
                held_hit += int(sel.index.isin(set(entries["account_id"].astype(str))).sum())
                t = p.truth.set_index("account_id")
                camp = t.loc[sel.index, "campaign"]
                caught = pd.Series(sel.index.isin(set(entries["account_id"].astype(str))),
                                   index=sel.index)
                camp_recalls += caught.groupby(camp.to_numpy()).mean().tolist()
        rows.append({
            "held_out": held or "(none held out)",
            "recall_held_out": held_hit / n_held if n_held else float("nan"),
            "min_campaign_recall_held_out": min(camp_recalls) if camp_recalls else float("nan"),
            "held_out_accounts": n_held,
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / n_ring if n_ring else float("nan"),
            "false_bans": fp,
            "whole_groups": groups,
            "ring_clusters_trained": int(table.loc[keep, "y"].sum()),
        })
    return pd.DataFrame(rows)


def training_tables(n: int, seeds: Sequence[int], *, no_similarity_every: int = 2,
                    progress: Progress | None = None) -> pd.DataFrame:
    """Labelled cluster tables of generated training scenarios, one per seed.

    Every ``no_similarity_every``-th scenario has no behaviour_similarity table,
    so a model fitted on them also learns rings from shared infrastructure alone.
    """
    from graphlink.detect.source import links_from_scenario
    from graphlink.synth import generate

    say = progress or (lambda _s: None)
    tables = []
    for i, seed in enumerate(seeds):
        t = time.perf_counter()
        with_sim = not (no_similarity_every and i % no_similarity_every == 1)
        sc = generate(n, seed=seed, with_similarity=with_sim)
        p = prepare(f"seed{seed}{'' if with_sim else '-nosim'}", links_from_scenario(sc), sc.truth)
        tables.append(p.table)
        say(f"seed {seed}{'' if with_sim else ' (no similarity)'}: {len(p.table):,} clusters, "
            f"{int(p.table['y'].sum())} ring ({time.perf_counter() - t:.0f} s)")
    return pd.concat(tables, ignore_index=True)


@dataclass
class LoaoReport:
    """What ``bench_quality --loao`` and ``graphlink evaluate --loao`` print."""

    table: pd.DataFrame
    components: Metrics
    components_per_archetype: dict[str, float]
    no_similarity: dict[str, Any] | None = None


def run_loao(n: int, seed: int, *, train_n: int, train_seeds: Sequence[int],
             train_table: Path | None = None, no_similarity: bool = True,
             config: DetectionConfig = DetectionConfig(),
             progress: Progress | None = None) -> LoaoReport:
    """Leave-one-archetype-out on generated scenarios, beside the components baseline.

    Training scenarios: ``train_seeds`` at ``train_n`` benign accounts (or a
    saved ``train_table``); evaluation: seed ``seed`` at ``n`` (never trained
    on), and with ``no_similarity`` also seed ``seed + 1`` without any
    behaviour_similarity table, scored as detection would: by the model
    fitted on all archetypes without similarity features.  ``config``: detection's,
    for every row (``infrastructure_floor`` holds the floor out with its archetype).
    """
    from graphlink import baselines
    from graphlink.detect.source import links_from_scenario
    from graphlink.synth import generate

    say = progress or (lambda _s: None)
    if train_table is not None and Path(train_table).exists():
        tables = pd.read_parquet(train_table)
        say(f"training table {train_table}: {len(tables):,} clusters")
    else:
        tables = training_tables(train_n, train_seeds, progress=say)
        if train_table is not None:
            tables.to_parquet(train_table)
    sc = generate(n, seed=seed)
    ev = prepare(f"eval{seed}", links_from_scenario(sc), sc.truth)
    del sc
    say(f"evaluation scenario seed {seed} clustered")
    frame = leave_one_archetype_out([tables], [ev], config=config, progress=say)
    cc = baselines.components(baselines.incidence(ev.links), hub_cap=100)
    mc, cc_arch = wave_metrics(cc.flagged, ev.truth, method="components (hub cap 100)")
    report = LoaoReport(frame, mc, cc_arch)
    if no_similarity:
        model = fit_risk_model(tables, features=without_similarity(MODEL_FEATURES))
        sc = generate(n, seed=seed + 1, with_similarity=False)
        ns = prepare(f"eval{seed + 1}-nosim", links_from_scenario(sc), sc.truth)
        del sc
        _, entries = ban_wave(ns, model)
        m, per = wave_metrics(entries, ns.truth, method="no behaviour_similarity table")
        report.no_similarity = {"seed": seed + 1, "metrics": m, "per_archetype": per}
    return report


def render_loao(report: LoaoReport, *, title: str) -> list[Any]:
    """Rich tables of a :class:`LoaoReport`."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for col in ("held out", "its accounts", "its recall", "its min campaign", "P (all)", "R (all)",
                "false bans", "whole groups", "components: its recall"):
        t.add_column(col, justify="left" if col == "held out" else "right")
    for r in report.table.itertuples():
        t.add_row(r.held_out, f"{r.held_out_accounts:,}", f"{r.recall_held_out:.4f}",
                  f"{r.min_campaign_recall_held_out:.3f}", f"{r.precision:.4f}", f"{r.recall:.4f}",
                  f"{r.false_bans:,}", str(r.whole_groups),
                  f"{report.components_per_archetype.get(r.held_out, float('nan')):.3f}")
    mc = report.components
    t.add_row("components baseline", "", "", "", f"{mc.precision:.4f}", f"{mc.recall:.4f}",
              f"{mc.fp:,}", str(mc.groups_banned_whole), "")
    out: list[Any] = [t]
    if report.no_similarity:
        ns = report.no_similarity
        m = ns["metrics"]
        u = Table(title=f"no behaviour_similarity table (seed {ns['seed']}), model fitted on all "
                        "archetypes", title_justify="left")
        for col in ("P", "R", "false bans", "whole groups", *sorted(ns["per_archetype"])):
            u.add_column(col, justify="right")
        u.add_row(f"{m.precision:.4f}", f"{m.recall:.4f}", f"{m.fp:,}", str(m.groups_banned_whole),
                  *(f"{ns['per_archetype'][k]:.3f}" for k in sorted(ns["per_archetype"])))
        out.append(u)
    return out
