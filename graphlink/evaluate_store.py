"""Evaluation against the store: score a ban wave (and the baselines) on the graph.

The I/O edge of :mod:`graphlink.evaluate`, as :mod:`graphlink.banwave_store` is
of :mod:`graphlink.banwave`: it reads the wave (or plans a dry run), the
detection run's timing and the links, and hands them to the pure scorers.
``graphlink evaluate`` and ``graphlink demo`` call it and only print.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphlink import banwave_store
from graphlink.banwave import WaveParams
from graphlink.detect.source import read_links
from graphlink.detect.writeback import get_run
from graphlink.evaluate import Metrics, compare_with_baselines, evaluate_flags, read_truth
from graphlink.store import GraphStore

__all__ = ["evaluate_in_store"]


def evaluate_in_store(
    store: GraphStore,
    truth_path: Path,
    *,
    wave_id: str | None = None,
    params: WaveParams | None = None,
    baselines: bool = True,
    baseline_options: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Metrics]:
    """Score a committed wave (given, else the latest), or the dry-run plan if none is
    committed, and the baselines on the same graph.

    ``progress`` receives one line per step (what is scored, then the slow
    reads), for a caller that shows them.
    """
    say = progress or (lambda _s: None)
    truth = read_truth(truth_path)
    wave_id = wave_id or banwave_store.latest_wave_id(store)
    label = "graphlink"
    if wave_id:
        wave = banwave_store.read_wave(store, wave_id)
        flagged, run_id = wave.entries, wave.run_id
        say(f"scoring ban wave {wave_id} ({len(flagged):,} accounts, run {run_id})")
    else:
        plan = banwave_store.plan_wave(store, params or WaveParams(), with_evidence=False)
        flagged, run_id = plan.entries, plan.run_id
        say(f"no committed wave: scoring the dry-run plan (min_risk "
            f"{plan.params.min_risk:g}, {len(flagged):,} accounts)")
    # graphlink's time: the detection run's own stages (read, Leiden, scoring, write).
    run = get_run(store, run_id) if run_id else None
    seconds = float(sum(run["stage_seconds"].values())) if run and run["stage_seconds"] else None
    if not baselines:
        return [evaluate_flags(flagged, truth, method=label, seconds=seconds)]
    say("reading links for the baselines")
    links = read_links(store)
    say("running the baselines")
    return compare_with_baselines(flagged, links, truth, method=label, seconds=seconds,
                                  **(baseline_options or {}))
