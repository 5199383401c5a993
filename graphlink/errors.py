"""The project's error types.

Each carries an HTTP ``status`` so the API renders every one of them in a single
exception handler (datasette's pattern), and the CLI prints ``str(err)`` with no
traceback.
"""

from __future__ import annotations


class GraphlinkError(Exception):
    """Base class: an error a user can act on."""

    status: int = 500
    code: str = "internal_error"


class ConfigError(GraphlinkError):
    status = 500
    code = "config_error"


class InputError(GraphlinkError):
    """Bad input that refuses a whole file or request."""

    status = 422
    code = "invalid_input"


class IngestError(InputError):
    """A snapshot file that cannot be loaded at all (missing column, bad format)."""

    code = "ingest_refused"


class NotFound(GraphlinkError):
    status = 404
    code = "not_found"


class StoreUnavailable(GraphlinkError):
    """Neo4j cannot be reached (down, restarting, wrong address or credentials)."""

    status = 503
    code = "store_unavailable"


class StoreError(GraphlinkError):
    """A query failed inside Neo4j; carries the saved query's name."""

    status = 500
    code = "store_error"

    def __init__(self, message: str, *, query: str | None = None) -> None:
        super().__init__(f"{message} (query: {query})" if query else message)
        self.query = query


class Neo4jServerError(GraphlinkError):
    """The local Neo4j server could not be installed, started or stopped."""

    code = "neo4j_server_error"
