"""``graphlink calibrate`` (fit the risk model on decisions) and ``graphlink models``."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from graphlink.cli._app import app, console, store_for
from graphlink.errors import InputError


def _f(v: float | None, fmt: str = ".3f") -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


@app.command("calibrate")
def calibrate(
    activate: bool = typer.Option(False, "--activate", help="Make the fitted model the one "
                                  "`graphlink detect` scores with."),
    out: Annotated[Path | None, typer.Option("--out", help="Also write the model as JSON.")]
    = None,
    base: Annotated[Path | None, typer.Option(
        "--base", exists=True, dir_okay=False,
        help="Prior model JSON (default: the shipped model).")] = None,
    prior_weight: float = typer.Option(None, "--prior-weight", min=0.01,
                                       help="Pseudo-decisions per coefficient holding the fit "
                                       "to the prior (default 5)."),
) -> None:
    """Fit the risk model on investigators' decisions (scikit-learn), report CV AUC and P/R.

    The shipped model is the prior: a handful of decisions shifts the scores
    near them; many decisions outweigh it (docs/decisions.md).  The model is
    stored in Neo4j under a version derived from the fitted numbers.
    """
    from graphlink import decisions as D
    from graphlink.detect.riskmodel import RiskModel

    if base is not None:
        try:
            prior = RiskModel.load(base)
        except (ValueError, TypeError, KeyError) as e:
            raise InputError(f"{base}: not a risk model JSON ({e})") from e
    else:
        shipped = D.shipped_model()
        if shipped is None:
            raise InputError("this install ships no default risk model: pass --base MODEL.json")
        prior = shipped
    weight = D.DEFAULT_PRIOR_WEIGHT if prior_weight is None else prior_weight
    with store_for() as store:
        with console.status("reading decisions…"):
            decisions = D.read_decisions(store)
        with console.status(f"fitting on {len(decisions):,} decisions…"):
            cal = D.calibrate(decisions, prior, prior_weight=weight)
        active = D.save_model(store, cal.model, activate=activate)
    m, tr, cv = cal.model, cal.train, cal.cv
    console.print(
        f"[bold]{len(decisions):,}[/] decisions: {tr.n_decisions:,} used "
        f"({tr.n_unused:,} without a cluster snapshot), {len(tr):,} training rows, "
        f"confirm weight {tr.w[tr.y == 1].sum():g}, reject weight {tr.w[tr.y == 0].sum():g}; "
        f"prior {prior.version} (weight {weight:g})")
    if tr.missing_features:
        console.print(f"[yellow]features absent from every snapshot (held at the prior): "
                      f"{', '.join(tr.missing_features)}[/]")
    if cv.auc is None:
        console.print(f"[yellow]{cv.note}[/]")
    else:
        console.print(f"cross-validated AUC ({cv.k}-fold, stratified by label, grouped by "
                      f"cluster): [bold]{cv.auc:.3f}[/] calibrated vs {cv.prior_auc:.3f} prior")
        t = Table(title="precision / recall on the decisions (out-of-fold)",
                  title_justify="left")
        for col in ("bar", "flagged", "precision", "recall", "prior flagged", "prior precision",
                    "prior recall"):
            t.add_column(col, justify="right")
        for r in cv.table.itertuples(index=False):
            t.add_row(f"{r.threshold:g}", f"{r.flagged:g}", _f(r.precision), _f(r.recall),
                      f"{r.prior_flagged:g}", _f(r.prior_precision), _f(r.prior_recall))
        console.print(t)
        if cv.auc is not None and cv.prior_auc is not None and cv.auc < cv.prior_auc:
            console.print("[yellow]held out, the calibrated model ranks these decisions worse "
                          "than the prior: label more clusters (graphlink review) or raise "
                          "--prior-weight before activating it[/]")
    t = Table(title=f"coefficients (log-odds per standard deviation) · model {m.version}",
              title_justify="left")
    for col in ("feature", "prior", "calibrated", "change"):
        t.add_column(col, justify="left" if col == "feature" else "right")
    t.add_row("(intercept)", f"{prior.intercept:+.3f}", f"{m.intercept:+.3f}",
              f"{m.intercept - prior.intercept:+.3f}")
    if m.kind == "gbdt":  # a tree prior: its trees' weight, then a linear correction
        t.add_row("(trees' weight)", f"{prior.tree_weight:+.3f}", f"{m.tree_weight:+.3f}",
                  f"{m.tree_weight - prior.tree_weight:+.3f}")
    changes = sorted(zip(m.features, prior.coef, m.coef), key=lambda x: -abs(x[2] - x[1]))
    for name, c0, c1 in changes[:20]:
        t.add_row(name, f"{c0:+.3f}", f"{c1:+.3f}", f"{c1 - c0:+.3f}")
    if len(changes) > 20:
        t.add_row(f"... {len(changes) - 20} more (smaller changes)", "", "", "")
    console.print(t)
    if out is not None:
        m.save(out)
        console.print(f"wrote {out}")
    state = "[bold green]active[/]: the next `graphlink detect` scores with it" if active else \
        "stored, not active (re-run with --activate, or `graphlink models --activate VERSION`)"
    console.print(f"model [bold]{m.version}[/] {state}")


@app.command("models")
def models(
    activate: str | None = typer.Option(None, "--activate", metavar="VERSION",
                                        help="Make a stored model the active one."),
    default: bool = typer.Option(False, "--default", help="Deactivate every stored model: "
                                 "detect goes back to the shipped default."),
) -> None:
    """List stored risk models (the active one is what `graphlink detect` uses)."""
    from graphlink import decisions as D

    if activate and default:
        raise InputError("give --activate VERSION or --default, not both")
    with store_for() as store:
        if activate:
            D.activate_model(store, activate)
            console.print(f"model [bold]{activate}[/] is now active")
        elif default:
            n = D.deactivate_models(store)
            console.print(f"deactivated {n} model(s): detect uses the shipped default")
        df = D.list_models(store)
    shipped = D.shipped_model()
    if df.empty:
        console.print("no stored model: detect uses the shipped default"
                      + (f" ({shipped.version})" if shipped else ""))
        return
    t = Table(title="risk models", title_justify="left")
    for col in ("version", "created", "active", "decisions", "CV AUC"):
        t.add_column(col, no_wrap=col in ("version", "created"))
    for r in df.itertuples(index=False):
        created = r.created_at
        t.add_row(r.version, created.strftime("%Y-%m-%d %H:%M")
                  if isinstance(created, datetime) else str(created),
                  "[bold green]yes[/]" if r.active else "", str(r.n_decisions or ""),
                  _f(r.cv_auc))
    Console(width=max(console.width, 100), force_terminal=console.is_terminal).print(t)
    if not df["active"].fillna(False).any():
        console.print("no active model: detect uses the shipped default"
                      + (f" ({shipped.version})" if shipped else ""))
