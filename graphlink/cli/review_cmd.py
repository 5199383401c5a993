"""``graphlink review``: the review queue - clusters just below the ban bar, with their evidence."""

from __future__ import annotations

import json
import sys

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from graphlink.banwave import DEFAULT_MIN_RISK
from graphlink.cli._app import app, console, store_for
from graphlink.errors import InputError


def queue_records(q: pd.DataFrame) -> list[dict]:
    """JSON-ready rows (contributions as a feature -> log-odds mapping)."""
    out = []
    for r in q.to_dict("records"):
        r["reasons"] = list(r["reasons"])
        r["parent_cluster_id"] = r["parent_cluster_id"] if isinstance(r["parent_cluster_id"],
                                                                      str) else None
        for k in ("label", "reviewer"):
            r[k] = r[k] if isinstance(r[k], str) else None
        out.append(r)
    return out


def queue_csv(q: pd.DataFrame) -> pd.DataFrame:
    """Flat table: reasons joined, one ``contrib_<feature>`` column per feature."""
    flat = q.drop(columns="contributions").assign(reasons=q["reasons"].map(" ".join))
    contrib = pd.DataFrame(list(q["contributions"]), index=q.index)
    return pd.concat([flat, contrib.add_prefix("contrib_")], axis=1)


@app.command("review")
def review(
    margin: float = typer.Option(0.3, "--margin", min=0.0, max=1.0,
                                 help="List clusters with risk in [bar - margin, bar)."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many clusters."),
    bar: float = typer.Option(DEFAULT_MIN_RISK, "--bar", min=0.0, max=1.0,
                              help="The ban bar (graphlink banwave --min-risk)."),
    run_id: str | None = typer.Option(None, "--run", help="Detection run (default: current)."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    top: int = typer.Option(4, "--top-features", min=1, help="Contributions shown per cluster "
                            "in the table."),
) -> None:
    """Clusters just below the ban bar, riskiest first: where a decision teaches the model most.

    Each row: size, risk, reasons and every feature's contribution to the
    log-odds under the model that scored the run.  Record decisions with
    `graphlink label cluster ID confirm|reject`.
    """
    from graphlink.decisions import read_review_queue

    if fmt not in ("table", "csv", "json"):
        raise InputError(f"--format must be table, csv or json, not {fmt!r}")
    with store_for() as store:
        rq = read_review_queue(store, run_id=run_id, bar=bar, margin=margin, limit=limit)
    q = rq.queue
    if fmt == "json":
        sys.stdout.write(json.dumps({"run_id": rq.run_id, "bar": bar, "margin": margin,
                                     "model_version": rq.model_version,
                                     "clusters": queue_records(q)}, indent=1, default=str))
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        queue_csv(q).to_csv(sys.stdout, index=False, float_format="%.4f")
        return
    console.print(f"review queue · run {rq.run_id} · risk in [{bar - margin:.2f}, {bar:.2f}) · "
                  f"model {rq.model_version or '–'} · [bold]{len(q)}[/] cluster(s)")
    if rq.note:
        console.print(f"[yellow]{rq.note}[/]")
    if q.empty:
        console.print("nothing just below the bar")
        return
    t = Table(show_edge=False)
    for col in ("cluster", "size", "risk", "gap", "reasons", "top contributions (log-odds)",
                "decided"):
        t.add_column(col, justify="right" if col in ("size", "risk", "gap") else "left",
                     overflow="fold")
    for r in q.itertuples(index=False):
        contrib = "\n".join(f"{k} {v:+.2f}" for k, v in list(r.contributions.items())[:top])
        decided = f"{r.label} ({r.reviewer})" if isinstance(r.label, str) else ""
        t.add_row(r.cluster_id, f"{r.size:,}", f"{r.risk:.3f}", f"{r.gap:.3f}",
                  ", ".join(r.reasons), contrib, decided, end_section=True)
    # One row per cluster stays readable where stdout is narrow or a pipe.
    Console(width=max(console.width, 140), force_terminal=console.is_terminal).print(t)
