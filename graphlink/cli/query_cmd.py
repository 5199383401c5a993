"""``graphlink query``: list and run investigators' saved queries (``cypher/queries/``)."""

from __future__ import annotations

import csv
import io
import json
from enum import Enum

import typer
from rich.table import Table

from graphlink import queries
from graphlink.cli._app import app, console, store_for


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("query")
def query(
    name: str = typer.Argument(None, help="Saved query name (see --list)."),
    param: list[str] = typer.Option(
        None, "--param", "-p", help="key=value, repeatable; typed by the query's header."
    ),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, csv or json."),
    list_: bool = typer.Option(False, "--list", "-l", help="List the saved queries."),
) -> None:
    """Run a saved Cypher query by name, e.g. ``graphlink query cluster_members -p cluster_id=c-000001``."""
    if list_ or not name:
        _print_list()
        return
    q = queries.get(name)
    values = queries.bind(q.params, queries.parse_assignments(param or []), query=name)
    with store_for() as store:
        df = queries.run(store, name, values)
    if fmt is Format.json:
        typer.echo(json.dumps(queries.records(df), indent=2, default=str))
    elif fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(list(df.columns))
        for row in df.itertuples(index=False):
            writer.writerow([queries.cell_text(v) for v in row])
        typer.echo(buf.getvalue(), nl=False)
    else:
        table = Table(title=f"{name} ({len(df)} rows)", show_lines=False)
        for col in df.columns:
            table.add_column(str(col), overflow="fold")
        for row in df.itertuples(index=False):
            table.add_row(*(queries.cell_text(v) for v in row))
        console.print(table)


def _print_list() -> None:
    table = Table(title="Saved queries (cypher/queries/)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("description")
    table.add_column("params", style="dim")
    for q in queries.saved().values():
        table.add_row(q.name, q.description, ", ".join(p.describe() for p in q.params))
    console.print(table)
