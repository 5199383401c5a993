"""``graphlink neo4j install|start|stop|status`` and ``graphlink init``."""

from __future__ import annotations

import json

import typer

from graphlink import neo4j_local
from graphlink.cli._app import app, console, settings, store_for

neo4j_app = typer.Typer(help="Run the project-local Neo4j 5.26 (fetched from Maven Central).")
app.add_typer(neo4j_app, name="neo4j")


@neo4j_app.command("install")
def install() -> None:
    """Fetch the Neo4j server, Browser and importer jars with Maven (once)."""
    local = neo4j_local.from_settings(settings())
    with console.status("resolving Neo4j from Maven Central…"):
        local.install()
        local.configure()
    console.print(f"Neo4j installed in [bold]{local.home}[/]")


@neo4j_app.command("start")
def start() -> None:
    """Start the local Neo4j; returns when Bolt answers (idempotent)."""
    s = settings()
    if not s.uses_local_server:
        console.print(f"NEO4J_URI is set ({s.neo4j_uri}): nothing local to start.")
        return
    local = neo4j_local.from_settings(s)
    with console.status("starting Neo4j…"):
        local.start()
    console.print(f"Neo4j is up: Bolt {local.bolt_uri}, Browser {local.browser_url}")
    console.print(f"user neo4j, password in {local.password_file}")


@neo4j_app.command("stop")
def stop() -> None:
    """Stop the local Neo4j (the data stays)."""
    local = neo4j_local.from_settings(settings())
    local.stop()
    console.print("Neo4j stopped.")


@neo4j_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Is the local Neo4j installed and running?"""
    st = neo4j_local.from_settings(settings()).status()
    if as_json:
        console.print_json(json.dumps(st))
    else:
        for k, v in st.items():
            console.print(f"{k:>13}: {v}")
    if not st["running"]:
        raise typer.Exit(3)


@app.command("init")
def init() -> None:
    """Apply the graph schema (constraints and indexes); idempotent."""
    with store_for() as store:
        n = store.apply_schema()
    console.print(f"schema applied: {n} statements")
