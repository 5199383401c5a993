"""The Typer app object and options shared by every command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from graphlink.config import Settings, get_settings
from graphlink.store import GraphStore, open_store

app = typer.Typer(
    name="graphlink",
    help="Find coordinated account rings in Neo4j, explain them and build ban waves.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)


def settings() -> Settings:
    return get_settings()


@contextmanager
def store_for(s: Settings | None = None, *, ensure_local: bool = True) -> Iterator[GraphStore]:
    """Open the configured store; start the local server first if that is the target."""
    s = s or settings()
    if s.uses_local_server and ensure_local:
        from graphlink import neo4j_local

        local = neo4j_local.from_settings(s)
        if not local.bolt_answers():
            console.print("[dim]starting the local Neo4j (graphlink neo4j start)…[/]")
            local.start()
    store = open_store(s)
    try:
        yield store
    finally:
        store.close()
