"""``graphlink serve`` and ``graphlink apikey create|list|revoke``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from graphlink import apikeys
from graphlink.cli._app import app, console, settings, store_for

apikey_app = typer.Typer(help="Create, list and revoke API keys for `graphlink serve`.")
app.add_typer(apikey_app, name="apikey")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each holds its own index).",
                                         min=1)] = 1,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log",
                                             help="Log every request (costs throughput).")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the HTTP API (uvicorn with uvloop + httptools) until interrupted."""
    import uvicorn

    s = settings()
    if s.uses_local_server:
        # Start the local Neo4j first if that is the target (like every other command).
        with store_for(s):
            pass
    uvicorn.run(
        "graphlink.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        log_level=log_level,
        lifespan="on",
    )


@apikey_app.command("create")
def create(
    scope: Annotated[list[str], typer.Option("--scope", help=f"One of {', '.join(apikeys.SCOPES)}; "
                                             "repeat for several.")],
    name: Annotated[str, typer.Option("--name", help="Unique name among active keys.")],
) -> None:
    """Create a key; it is printed once, as the last line, and never stored in clear."""
    with store_for() as store:
        created = apikeys.create_key(store, name=name, scopes=scope)
    console.print(f"created key [bold]{created.info.name}[/] ({created.info.prefix}…) "
                  f"scopes: {', '.join(sorted(created.info.scopes))}")
    console.print("store it now: it cannot be shown again")
    # Plain print, not rich: the key must come out verbatim as the last line.
    print(created.key)


@apikey_app.command("list")
def list_() -> None:
    """List keys (name, prefix, scopes, created, revoked); never the keys themselves."""
    with store_for() as store:
        keys = apikeys.list_keys(store)
    table = Table("name", "prefix", "scopes", "created_at", "revoked_at")
    for k in keys:
        table.add_row(k.name, k.prefix + "…", ", ".join(sorted(k.scopes)),
                      f"{k.created_at:%Y-%m-%d %H:%M:%S}" if k.created_at else "",
                      f"{k.revoked_at:%Y-%m-%d %H:%M:%S}" if k.revoked_at else "")
    console.print(table)


@apikey_app.command("revoke")
def revoke(
    name_or_prefix: Annotated[
        str, typer.Argument(help="The key's name or the start of its prefix.")
    ],
) -> None:
    """Revoke one active key (running servers stop accepting it within 5 seconds)."""
    with store_for() as store:
        info = apikeys.revoke(store, name_or_prefix)
    console.print(f"revoked key [bold]{info.name}[/] ({info.prefix}…)")
