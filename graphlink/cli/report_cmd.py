"""``graphlink report cluster|banwave``: write a self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from graphlink.cli._app import app, console, store_for

report_app = typer.Typer(help="Self-contained HTML reports (work offline; no CDN).")
app.add_typer(report_app, name="report")


@report_app.command("cluster")
def cluster(
    cluster_id: str = typer.Argument(..., help="Cluster id, e.g. c-000001."),
    out: Path = typer.Option(..., "--out", "-o", help="HTML file to write."),
    run_id: str = typer.Option("", "--run-id", help="Detection run (default: the current one)."),
) -> None:
    """Graph, risk, reasons, evidence and timeline of one cluster."""
    from graphlink.reports import build_cluster_report

    with store_for() as store:
        page = build_cluster_report(store, cluster_id, run_id=run_id)
    _write(out, page)


@report_app.command("banwave")
def banwave(
    wave_id: str = typer.Argument(..., help="Ban wave id, e.g. wave-0001, or latest."),
    out: Path = typer.Option(..., "--out", "-o", help="HTML file to write."),
) -> None:
    """Clusters, accounts, risk histogram, reasons and diff against the previous wave."""
    from graphlink.reports import build_banwave_report

    with store_for() as store:
        page = build_banwave_report(store, wave_id)
    _write(out, page)


def _write(out: Path, page: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    console.print(f"wrote [bold]{out}[/] ({len(page) / 1e6:.1f} MB)")
