"""The ``graphlink`` command line: a thin shell over the library.

Each command group lives in its own module here and registers itself on
:data:`app`; the modules parse options, call one library function and present
the result (rich tables and progress bars).  Only this layer (and the API's
lifespan) reads the environment.
"""

from __future__ import annotations

import sys

import typer

from graphlink.cli import neo4j_cmd  # noqa: F401  (registers commands)
from graphlink.cli._app import app, console
from graphlink.errors import GraphlinkError

__all__ = ["app", "main"]


def _register_optional() -> None:
    # Command modules of later pipeline stages; imported here so `graphlink --help`
    # lists them all.
    import importlib

    for mod in (
        "graphlink.cli.ingest_cmd",
        "graphlink.cli.synth_cmd",
        "graphlink.cli.detect_cmd",
        "graphlink.cli.banwave_cmd",
        "graphlink.cli.api_cmd",
        "graphlink.cli.query_cmd",
        "graphlink.cli.report_cmd",
        "graphlink.cli.demo_cmd",
        "graphlink.cli.label_cmd",
        "graphlink.cli.calibrate_cmd",
        "graphlink.cli.review_cmd",
        "graphlink.cli.similarity_cmd",
    ):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


_register_optional()


def main() -> None:
    """Entry point: run the app, turning project errors into one clear line."""
    try:
        app(standalone_mode=False)
    except GraphlinkError as e:
        console.print(f"[bold red]error:[/] {e}")
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as e:
        # Usage errors (a missing option, a bad value): shown as click shows them, without a
        # traceback.  Recent typer vendors click, so its exceptions are not click's classes:
        # recognise them by what they do (``show`` and ``exit_code``), and Abort by typer's.
        show, code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if isinstance(e, typer.Abort):
            sys.exit(1)
        raise
