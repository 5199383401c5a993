"""``graphlink label``: record investigators' confirm / reject decisions (one, or a CSV file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from graphlink.cli._app import app, console, store_for
from graphlink.errors import InputError


@app.command("label")
def label(
    kind: str | None = typer.Argument(None, metavar="KIND", help="cluster or account"),
    target_id: str | None = typer.Argument(None, metavar="ID", help="Cluster id (c-000123) or "
                                           "account id."),
    decision: str | None = typer.Argument(None, metavar="LABEL", help="confirm or reject"),
    reviewer: str | None = typer.Option(None, "--reviewer", help="Who decided (required for "
                                        "one decision; a file has a reviewer column)."),
    note: str | None = typer.Option(None, "--note", help="Free text kept with the decision."),
    at: str | None = typer.Option(None, "--at", help="When it was decided (ISO-8601; default "
                                  "now)."),
    run_id: str | None = typer.Option(None, "--run", help="Detection run the decision is about "
                                      "(default: the run current at --at)."),
    file: Annotated[Path | None, typer.Option(
        "--file", exists=True, dir_okay=False,
        help="CSV of decisions: id, kind, label, reviewer, time (optional note, run_id).")]
    = None,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="With --file: write rejected rows (file, line, reason, raw) to this "
        "CSV.")] = None,
) -> None:
    """Record decisions: `label cluster c-000123 confirm --reviewer ana` or `label --file F`.

    Each decision keeps a snapshot of what was judged (the cluster's features,
    run and model), so `graphlink calibrate` can learn from it after later runs.
    Re-running the same command or file changes nothing.
    """
    from graphlink import decisions as D

    if file is not None:
        if any(v is not None for v in (kind, target_id, decision, at, run_id)):
            raise InputError("give either --file or KIND ID LABEL, not both")
        with store_for() as store, console.status(f"loading {file}…"):
            rep = D.load_decisions_file(store, file)
        console.print(
            f"{file}: read [bold]{rep.read:,}[/], loaded [bold green]{rep.loaded:,}[/] "
            f"({rep.new:,} new, {rep.loaded - rep.new:,} already recorded), "
            f"rejected [bold red]{rep.n_rejected:,}[/]")
        if rep.n_rejected:
            t = Table(title="rejected rows", title_justify="left")
            for col in ("file", "line", "reason"):
                t.add_column(col, overflow="fold")
            for r in rep.rejected.head(20).itertuples(index=False):
                t.add_row(str(r.file), str(r.line), str(r.reason))
            console.print(t)
            if rep.n_rejected > 20:
                console.print(f"[dim]… {rep.n_rejected - 20} more"
                              + (f" in {rejects}" if rejects else " (--rejects FILE lists all)")
                              + "[/]")
        if rejects is not None:
            rejects.parent.mkdir(parents=True, exist_ok=True)
            rep.rejected.to_csv(rejects, index=False)
            console.print(f"wrote {rejects}")
        return
    if kind is None or target_id is None or decision is None:
        raise InputError("usage: graphlink label cluster|account ID confirm|reject --reviewer "
                         "NAME  (or graphlink label --file decisions.csv)")
    if not reviewer:
        raise InputError("--reviewer is required (who made the decision)")
    when = None
    if at is not None:
        try:
            when = D.parse_time(at)
        except ValueError:
            raise InputError(f"--at {at!r} is not an ISO-8601 date or date-time") from None
    with store_for() as store:
        dec, new = D.label_one(store, kind, target_id, decision, reviewer, note=note, at=when,
                               run_id=run_id)
    state = "recorded" if new else "unchanged (already recorded)"
    console.print(f"{dec.kind} [bold]{dec.target_id}[/]: [bold]{dec.label}[/] by {dec.reviewer} "
                  f"at {dec.at.isoformat(timespec='seconds')} - {state} ({dec.decision_id})")
