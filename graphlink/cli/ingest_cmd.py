"""``graphlink ingest SNAPSHOT_DIR``: load a snapshot, show progress and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from graphlink import neo4j_local
from graphlink.cli._app import app, console, settings, store_for
from graphlink.errors import IngestError


class _RichProgress:
    """One bar per table: rows done (of the total when Parquet says it) and rows/s."""

    def __init__(self, progress: Progress) -> None:
        self.p = progress
        self.tasks: dict[str, TaskID] = {}

    def table_started(self, table: str, total: int | None) -> None:
        self.tasks[table] = self.p.add_task(table, total=total)

    def rows_done(self, table: str, n: int) -> None:
        self.p.advance(self.tasks[table], n)

    def table_finished(self, table: str) -> None:
        task = self.tasks[table]
        done = self.p.tasks[task].completed
        self.p.update(task, total=done, completed=done)


class _RateColumn(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task):  # type: ignore[no-untyped-def]
        from rich.text import Text

        # rows so far over the table's elapsed time: steady, and kept once the table is done
        elapsed = task.finished_time if task.finished else task.elapsed
        speed = task.completed / elapsed if elapsed else None
        return Text(f"{speed:>10,.0f} rows/s" if speed else f"{'':>10} rows/s", style="cyan")


@app.command("ingest")
def ingest(
    snapshot_dir: Annotated[
        Path, typer.Argument(help="Directory holding accounts.csv[.gz]|.parquet and link tables.")
    ],
    bulk: Annotated[bool, typer.Option(
        "--bulk",
        help="First load into an EMPTY local database with the offline importer "
        "(stops and restarts the server).",
    )] = False,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", help="Rows per write transaction (default GRAPHLINK_BATCH_SIZE)."
    )] = 0,
    report_dir: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer reads Optional
        "--report-dir", help="Where the JSON report and rejects CSV go (default "
                             "<GRAPHLINK_HOME>/reports)."
    )] = None,
) -> None:
    """Validate and load a snapshot; bad rows go to a rejects file, never silently away."""
    from graphlink.ingest.job import run_ingest

    s = settings()
    local = None
    if bulk:
        if not s.uses_local_server:
            raise IngestError(
                f"--bulk rewrites the database files offline and only works with the local server; "
                f"NEO4J_URI is set ({s.neo4j_uri}). Load incrementally (without --bulk) instead."
            )
        local = neo4j_local.from_settings(s)
    report_dir = report_dir or (s.home / "reports")
    size = batch_size or s.batch_size
    with (
        store_for(s) as store,
        Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bars,
    ):
        report = run_ingest(
            store,
            snapshot_dir,
            batch_size=size,
            bulk=local,
            progress=_RichProgress(bars),
            report_dir=report_dir,
            similarity_memory_mb=s.similarity_memory_mb,
        )

    table = Table(title=f"ingest {report.mode}: {report.snapshot}", show_footer=True)
    table.add_column("table", footer="total")
    table.add_column("format")
    table.add_column("read", justify="right", footer=f"{report.read:,}")
    table.add_column("loaded", justify="right", footer=f"{report.loaded:,}")
    table.add_column("rejected", justify="right", footer=f"{report.rejected:,}")
    table.add_column("rows/s", justify="right")
    table.add_column("top reject reasons")
    for t in report.tables:
        reasons = ", ".join(
            f"{r} ({n})" for r, n in sorted(t.reasons.items(), key=lambda x: -x[1])[:3]
        )
        table.add_row(
            t.table,
            t.format or f"[dim]{t.status}[/]",
            f"{t.read:,}",
            f"{t.loaded:,}",
            f"[red]{t.rejected:,}[/]" if t.rejected else "0",
            f"{t.rows_per_s:,.0f}" if t.read else "",
            reasons,
        )
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"{report.seconds:.1f}s, peak RSS {report.peak_rss_mb} MB")
    console.print(f"report:  {report.report_path}")
    console.print(f"rejects: {report.rejects_path}")
