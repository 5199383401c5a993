"""The one seam between graphlink and Neo4j.

Every Cypher call in the project goes through :class:`GraphStore` (the pattern
of the GDS client's ``QueryRunner``): short sessions per call, reads routed as
reads, statements loaded by name from ``cypher/``, parameters always passed
separately, and driver errors wrapped once into the project's own types
carrying the statement's name.

Retries: reads and batched writes go through the driver's managed
transactions (``execute_query`` / ``execute_write``), which retry transient
failures.  That is safe because every write statement in ``cypher/internal``
is idempotent (``UNWIND $rows ... MERGE``, counters guarded by a snapshot id),
so a batch applied twice leaves the store as applying it once.

Fail fast: a store may carry a :class:`CircuitBreaker` (the HTTP service
gives its store one).  Once a call found Neo4j unreachable the breaker is
open and every call raises :class:`StoreDown` at once, without touching Bolt,
instead of each one waiting out connect timeouts and driver retries.  After
``retry_after`` seconds one call is let through as a trial (half-open); its
success closes the breaker, its failure re-opens it.  The service makes its
background work (key refresh, snapshot poll) the trial, so a client request
never waits on a dead socket.

Values: Neo4j's temporal types (``neo4j.time.DateTime`` and friends) are
converted to Python's (``datetime``, ``date``, ``time``, ``timedelta``) here,
once, by :func:`to_native`, for the rows :meth:`GraphStore.query` returns and
the columns of the DataFrames :meth:`GraphStore.query_df` returns.  The one
exception is :meth:`GraphStore.stream`, the hot path that feeds the API's
million-row index: its statements return numbers and strings, and a caller that
streams a temporal converts it with :func:`to_native`.

Timeouts: every transaction carries ``query_timeout`` (``GRAPHLINK_QUERY_TIMEOUT``):
the server aborts a statement that runs longer and the caller gets a
:class:`StoreError` naming it, instead of a call that never returns.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

import neo4j
import pandas as pd
from neo4j import GraphDatabase, NotificationDisabledCategory, Query, RoutingControl
from neo4j import exceptions as nx

from graphlink import cypher_files
from graphlink.config import Settings
from graphlink.errors import StoreDown, StoreError, StoreUnavailable

T = TypeVar("T")

#: ``run(name, **params)``: one named statement inside a read transaction, its rows as dicts.
ReadRunner = Callable[..., list[dict[str, Any]]]


def to_native(value: Any) -> Any:
    """A Neo4j value as plain Python: temporal types become ``datetime``/``date``/
    ``time``/``timedelta`` (inside lists and maps too); everything else is unchanged.

    >>> from neo4j.time import DateTime
    >>> to_native({"at": [DateTime(2026, 1, 2, 3, 4, 5)]})
    {'at': [datetime.datetime(2026, 1, 2, 3, 4, 5)]}
    """
    if isinstance(value, list):
        return [to_native(v) for v in value]
    if isinstance(value, dict):
        return {k: to_native(v) for k, v in value.items()}
    to_py = getattr(value, "to_native", None)
    return to_py() if to_py is not None else value


def _native_columns(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`to_native` over the object columns that hold driver values.

    A column's type is the statement's, so its first non-null value says whether
    the column needs converting: the other columns are not touched (detection
    reads millions of rows through here).  Lists of temporals inside a cell are
    left as they are (no statement returns one into a DataFrame).
    """
    for col in df.columns[df.dtypes.eq(object)]:
        first = df[col].first_valid_index()
        if first is not None and hasattr(df[col].at[first], "to_native"):
            df[col] = df[col].map(to_native)
    return df

_UNAVAILABLE = (
    nx.ServiceUnavailable,
    nx.SessionExpired,
    nx.AuthError,
    nx.DatabaseUnavailable,
    ConnectionError,
    OSError,
)


class CircuitBreaker:
    """Closed (calls go through) or open (calls fail at once with :class:`StoreDown`).

    Opens on the first call that finds the store unreachable
    (:class:`StoreUnavailable`: refused connection, lost session, bad
    credentials, no answer); a query error inside Neo4j proves the store is up
    and does not open it.  While open, one *trial* call is let through every
    ``retry_after`` seconds; the trial's outcome closes or re-opens it.  Safe
    to share between threads (the store is called from a thread pool).

    >>> b = CircuitBreaker(label="Neo4j at bolt://x", retry_after=1.0)
    >>> b.is_open, b.before()
    (False, False)
    >>> b.record_failure("ServiceUnavailable: refused"); b.is_open
    True
    """

    def __init__(self, *, label: str = "Neo4j", retry_after: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.retry_after = retry_after
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._next_trial = 0.0
        self._trial_running = False
        #: Wall-clock time the store was first found down (None while closed).
        self.down_since: datetime | None = None
        self.last_error: str | None = None
        #: How many times the breaker opened (for /readyz and the bench).
        self.openings = 0

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def rejection(self) -> StoreDown:
        """The error a refused call raises: says since when and why, never a trace."""
        since = self.down_since.strftime("%H:%M:%SZ") if self.down_since else "?"
        wait = max(0.0, self._next_trial - self._clock())
        return StoreDown(
            f"{self.label} is unavailable (since {since}: {self.last_error}); "
            f"not retried until a background probe reaches it again",
            retry_after=max(1.0, math.ceil(wait or self.retry_after)),
        )

    def before(self) -> bool:
        """Call before a store call.  False: go ahead (closed).  True: go ahead as the
        trial (then report its outcome, or :meth:`release`).  Raises :class:`StoreDown`
        while open and no trial is due."""
        if self._opened_at is None:
            return False
        with self._lock:
            if self._opened_at is None:
                return False
            if not self._trial_running and self._clock() >= self._next_trial:
                self._trial_running = True
                return True
        raise self.rejection()

    def record_success(self) -> None:
        if self._opened_at is None and not self._trial_running:
            return
        with self._lock:
            self._opened_at = None
            self._trial_running = False
            self.down_since = None
            self.last_error = None

    def record_failure(self, error: str) -> None:
        error = (error.strip().splitlines() or ["unknown error"])[0][:200]
        with self._lock:
            now = self._clock()
            if self._opened_at is None:
                self._opened_at = now
                self.down_since = datetime.now(UTC)
                self.openings += 1
            self.last_error = error
            self._trial_running = False
            self._next_trial = now + self.retry_after

    def release(self) -> None:
        """A trial ended with no verdict (abandoned stream, foreign exception)."""
        with self._lock:
            self._trial_running = False


class GraphStore:
    """A Neo4j database, addressed by statement names.

    >>> store = GraphStore.from_settings(get_settings())   # doctest: +SKIP
    >>> store.read("detect/cluster_by_id", cluster_id="c-000001")  # doctest: +SKIP
    """

    def __init__(
        self,
        uri: str,
        auth: tuple[str, str],
        *,
        database: str = "neo4j",
        connect_timeout: float = 3.0,
        query_timeout: float | None = None,
        retry_time: float = 15.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.uri = uri
        self.database = database
        #: Seconds a transaction may run before the server aborts it (None: no limit).
        self.query_timeout = query_timeout
        #: Fail-fast guard (None: every call tries Bolt, as the CLI wants).
        self.breaker = breaker
        self._driver_args: dict[str, Any] = {
            "auth": auth,
            "connection_timeout": connect_timeout,
            "connection_acquisition_timeout": connect_timeout * 2,
            "max_transaction_retry_time": retry_time,
            "liveness_check_timeout": 30.0,
            # Statements are reviewed files run against a graph that may not hold
            # every label yet (no ban wave, no lineage on a first run): Neo4j's
            # "unknown label/property" notices are noise here, for every caller.
            "notifications_disabled_categories": [NotificationDisabledCategory.UNRECOGNIZED],
        }
        self._driver = GraphDatabase.driver(uri, **self._driver_args)
        # Calls running right now (any thread): close() waits for them, because
        # the driver is not safe to close under a call another thread is making
        # (the API's background loops run store work in the thread pool).
        self._in_flight = 0
        self._idle = threading.Condition()

    @classmethod
    def from_settings(cls, settings: Settings, *, retry_time: float = 15.0,
                      breaker: CircuitBreaker | None = None) -> GraphStore:
        return cls(
            settings.bolt_uri(),
            (settings.neo4j_user, settings.password()),
            database=settings.neo4j_database,
            connect_timeout=settings.connect_timeout,
            query_timeout=settings.query_timeout,
            retry_time=retry_time,
            breaker=breaker,
        )

    # -- lifecycle ---------------------------------------------------------
    def close(self, *, drain: float = 10.0) -> None:
        """Close the driver once calls in flight have finished (waiting at most ``drain`` s)."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=drain)
        self._driver.close()

    def reconnect(self) -> None:
        """Replace the driver: fresh connection pool and causal-consistency bookmarks.

        Needed after the database files were replaced offline (``ingest --bulk``):
        the old bookmarks name transactions the new store never had, and the
        server would wait for them forever (``BookmarkTimeout``).
        """
        self._driver.close()
        self._driver = GraphDatabase.driver(self.uri, **self._driver_args)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        with self._wrapped("ping"):
            self._driver.verify_connectivity()

    # -- error wrapping ----------------------------------------------------
    @contextmanager
    def _wrapped(self, name: str) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            with self._guarded(name):
                yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    @contextmanager
    def _guarded(self, name: str) -> Iterator[None]:
        breaker = self.breaker
        trial = breaker.before() if breaker is not None else False
        verdict = False
        try:
            yield
        except _UNAVAILABLE as e:
            err = StoreUnavailable(f"Neo4j at {self.uri} is unavailable ({type(e).__name__}: {e})")
            if breaker is not None:
                breaker.record_failure(f"{type(e).__name__}: {e}")
                verdict = True
            raise err from e
        except nx.Neo4jError as e:
            if breaker is not None:  # Neo4j answered: it is up
                breaker.record_success()
                verdict = True
            raise StoreError(f"{e.code}: {e.message}", query=name) from e
        except nx.DriverError as e:
            if breaker is not None:
                breaker.record_failure(f"{type(e).__name__}: {e}")
                verdict = True
            raise StoreUnavailable(f"Neo4j driver error: {e}") from e
        else:
            if breaker is not None:
                breaker.record_success()
                verdict = True
        finally:
            if trial and not verdict:
                breaker.release()  # type: ignore[union-attr]

    def _timed(self, text: str) -> Query:
        """The statement with this store's transaction timeout attached."""
        return Query(text, timeout=self.query_timeout)

    # -- queries by name ---------------------------------------------------
    def read(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run ``cypher/internal/<name>.cypher`` as a read; rows as dicts."""
        return self.query(cypher_files.internal(name), params, name=name)

    def read_df(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run a named read and return a DataFrame (columns from the RETURN)."""
        return self.query_df(cypher_files.internal(name), params, name=name)

    def read_together(self, names: list[str], /, **params: Any) -> dict[str, list[dict[str, Any]]]:
        """Run several named reads in ONE read transaction; rows per name.

        Why one transaction: reads that join on node ids (detection's columnar
        read-out) must all see the same snapshot of the graph.
        """
        return self.read_in_one(lambda run: {n: run(n, **params) for n in names},
                                label=",".join(names))

    def read_in_one(self, work: Callable[[ReadRunner], T], /, *, label: str) -> T:
        """Call ``work(run)`` inside ONE read transaction; ``run(name, **params)`` gives rows.

        For reads that must see one snapshot across many statements (node ids
        that join, pages of one read-out).  ``work`` may be called again if the
        driver retries a transient failure, so it must build its result afresh.
        Deprecation notifications are off (``id()`` is deprecated in Neo4j 5 but
        is the only integer node identity; ``elementId()`` is a string and costs
        a string per link on the wire).  Record values come as they came (no
        per-element export walk, which costs more than the decoding on lists of
        millions).
        """
        def _tx(tx: neo4j.ManagedTransaction) -> T:
            def run(name: str, /, **params: Any) -> list[dict[str, Any]]:
                return [dict(r.items()) for r in tx.run(cypher_files.internal(name), **params)]

            return work(run)

        with self._wrapped(label), self._driver.session(
            database=self.database, notifications_disabled_categories=["DEPRECATION"]
        ) as session:
            return session.execute_read(_tx)

    def write(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a named statement as a write transaction."""
        return self.query(cypher_files.internal(name), params, name=name, write=True)

    def write_batches(
        self,
        name: str,
        batches: Iterable[Sequence[Mapping[str, Any]]],
        *,
        on_batch: Callable[[int], None] | None = None,
        **params: Any,
    ) -> int:
        """Apply ``UNWIND $rows`` statement ``name`` to each batch, one transaction each.

        Returns the number of rows written; ``on_batch(n)`` is called after each
        batch commits (for progress bars).
        """
        query = cypher_files.internal(name)
        total = 0

        @neo4j.unit_of_work(timeout=self.query_timeout)
        def _tx(tx: neo4j.ManagedTransaction, rows: Sequence[Mapping[str, Any]]) -> None:
            tx.run(query, rows=rows, **params).consume()

        with self._wrapped(name), self._driver.session(database=self.database) as session:
            for batch in batches:
                if not batch:
                    continue
                session.execute_write(_tx, batch)
                total += len(batch)
                if on_batch:
                    on_batch(len(batch))
        return total

    # -- raw text (saved investigator queries, schema) ---------------------
    def query(
        self,
        text: str,
        params: Mapping[str, Any] | None = None,
        *,
        name: str = "<inline>",
        write: bool = False,
    ) -> list[dict[str, Any]]:
        with self._wrapped(name):
            records, _, _ = self._driver.execute_query(
                self._timed(text),
                dict(params or {}),
                database_=self.database,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ,
            )
        return [{k: to_native(v) for k, v in r.data().items()} for r in records]

    def query_df(
        self, text: str, params: Mapping[str, Any] | None = None, *, name: str = "<inline>"
    ) -> pd.DataFrame:
        with self._wrapped(name):
            df: pd.DataFrame = self._driver.execute_query(
                self._timed(text),
                dict(params or {}),
                database_=self.database,
                routing_=RoutingControl.READ,
                result_transformer_=neo4j.Result.to_df,
            )
        return _native_columns(df)

    def stream(
        self, name: str, /, *, fetch_size: int = 50_000, **params: Any
    ) -> Iterator[Any]:
        """Stream a named read's records as value lists without holding them all.

        Values come as the driver gives them (no :func:`to_native`: this feeds
        million-row indexes, and its statements return numbers and strings)."""
        query = cypher_files.internal(name)
        with self._wrapped(name), self._driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS, fetch_size=fetch_size
        ) as session:
            result = session.run(self._timed(query), params)
            for record in result:
                yield record.values()

    def run_in_session(self, name: str, fn: Callable[[neo4j.Session], T]) -> T:
        """Escape hatch for multi-statement work (wrapped errors, one session)."""
        with self._wrapped(name), self._driver.session(database=self.database) as session:
            return fn(session)

    def apply_schema(self) -> int:
        """Apply ``cypher/schema.cypher`` (idempotent: IF NOT EXISTS everywhere)."""
        stmts = cypher_files.schema_statements()
        for s in stmts:
            self.query(s, name="schema", write=True)
        self.query("CALL db.awaitIndexes(300)", name="schema/await", write=False)
        return len(stmts)


def open_store(settings: Settings, *, retry_time: float = 15.0) -> GraphStore:
    """Open the store the settings point at (local server or external URI)."""
    return GraphStore.from_settings(settings, retry_time=retry_time)
