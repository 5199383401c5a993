"""The project's error types, all of them, in one hierarchy.

Library, CLI and API raise only these (the API's 401/403 and the ban-wave
store's circuit breaker included), so a caller catches :class:`GraphlinkError`
and knows it has everything a user can act on.  Each carries an HTTP ``status`` so the API renders
every one of them in a single
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


class Unauthorized(GraphlinkError):
    """No API key, or one the service does not know."""

    status = 401
    code = "unauthorized"


class Forbidden(GraphlinkError):
    """A known API key without the scope the operation needs."""

    status = 403
    code = "forbidden"


class InputError(GraphlinkError):
    """Bad input that refuses a whole file or request."""

    status = 422
    code = "invalid_input"


class IngestError(InputError):
    """A snapshot file that cannot be loaded at all (missing column, bad format)."""

    code = "ingest_refused"


class InvalidParam(InputError):
    """A parameter our own code refused (e.g. a cursor that does not decode)."""

    def __init__(self, field: str, message: str, *, location: str = "query") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.location = location
        self.detail = message


class DuplicateKeyName(InputError):
    """An API key by that name exists already."""

    code = "duplicate_key_name"


class NotFound(GraphlinkError):
    status = 404
    code = "not_found"


class StoreUnavailable(GraphlinkError):
    """Neo4j cannot be reached (down, restarting, wrong address or credentials)."""

    status = 503
    code = "store_unavailable"


class StoreDown(StoreUnavailable):
    """Refused without trying: the circuit breaker knows Neo4j is down.

    ``retry_after`` (seconds) is when the next trial call may find it back;
    the API sends it as the ``Retry-After`` header.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NoDetectionRun(StoreUnavailable):
    """No complete detection run is loaded yet (nothing to answer from)."""

    code = "no_detection_run"


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


class DemoError(GraphlinkError):
    """A demo stage failed; the message names the stage."""

    code = "demo_failed"
