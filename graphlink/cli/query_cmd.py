"""``graphlink query`` (list and run saved queries) and ``graphlink browser-guide``."""

from __future__ import annotations

import csv
import io
import json
from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from graphlink import browser_guide, queries
from graphlink.cli._app import app, console, settings, store_for


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
    """Run a saved Cypher query by name, e.g. ``graphlink query cluster_members -p
    cluster_id=c-000001``."""
    if list_ or not name:
        _print_list(fmt)
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


def _print_list(fmt: Format = Format.table) -> None:
    if fmt is not Format.table:  # machine-readable: scripts and CI count what ships
        rows = [
            {
                "name": q.name,
                "description": q.description,
                "params": [p.describe() for p in q.params],
            }
            for q in queries.saved().values()
        ]
        if fmt is Format.json:
            typer.echo(json.dumps(rows, indent=2))
        else:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(["name", "description", "params"])
            for r in rows:
                writer.writerow([r["name"], r["description"], ", ".join(r["params"])])
            typer.echo(buf.getvalue(), nl=False)
        return
    table = Table(title="Saved queries (graphlink.cypher: queries/)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("description")
    table.add_column("params", style="dim")
    for q in queries.saved().values():
        table.add_row(q.name, q.description, ", ".join(p.describe() for p in q.params))
    console.print(table)


@app.command("browser-guide")
def browser_guide_cmd(
    out: Path = typer.Option(None, "--out", "-o", help="Write the guide HTML here."),
    serve: bool = typer.Option(False, "--serve", help="Serve it on localhost for the Browser."),
    port: int = typer.Option(browser_guide.DEFAULT_PORT, "--port", help="Port for --serve."),
) -> None:
    """The saved queries as a Neo4j Browser guide (one slide per query).

    With --serve, open the Browser and run the printed ``:play`` command.
    """
    if out is not None:
        out.write_text(browser_guide.current_guide(), encoding="utf-8")
        console.print(f"wrote [bold]{out}[/]")
    if serve:
        s = settings()
        console.print(
            f"Neo4j Browser: http://127.0.0.1:{s.http_port}/browser/ "
            f"(connect to {s.bolt_uri()}, user {s.neo4j_user})"
        )
        console.print(f"then run:  [bold]{browser_guide.play_command(port)}[/]   (Ctrl+C stops)")
        browser_guide.serve(port)
    elif out is None:
        console.print(
            f"run `graphlink browser-guide --serve`, then in the Browser: "
            f"{browser_guide.play_command(port)}"
        )
