"""The service's in-memory index of the current detection run, and its refresh.

Sign-up checks must answer in well under a millisecond, so they never touch
Neo4j: they read a :class:`graphlink.signup.RunIndex` built once per detection
run.  :class:`IndexHolder` keeps the one the process serves from and a
background task polls ``api/current_run`` every few seconds; when the current
run id changes it builds the new run's index off the event loop and swaps the
reference in one assignment.  A request takes the reference once, so it sees
the old run or the new one, never a mix.  While Neo4j is down the holder keeps
serving the last index and remembers the error for ``/readyz``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from graphlink.errors import GraphlinkError, StoreUnavailable
from graphlink.signup import RunIndex, build_index
from graphlink.store import GraphStore

log = logging.getLogger("graphlink.api")
T = TypeVar("T")


def native(v: Any) -> Any:
    """neo4j.time values -> Python datetimes (everything else unchanged)."""
    return v.to_native() if hasattr(v, "to_native") else v


def current_run(store: GraphStore) -> tuple[str, datetime | None] | None:
    """Id and creation time of the current (latest complete) detection run."""
    rows = store.read("api/current_run")
    if not rows:
        return None
    return rows[0]["run_id"], native(rows[0]["created_at"])


def load_index(store: GraphStore, run_id: str, created_at: datetime | None = None) -> RunIndex:
    """Read what touches the clusters of run ``run_id`` and build its index.

    Every query is filtered on ``run_id``, so a run completing meanwhile
    cannot leak into this index.
    """
    p = {"run_id": run_id}
    return build_index(
        run_id,
        run_created_at=created_at,
        clusters=store.stream("api/index_clusters", **p),
        members=store.stream("api/index_members", **p),
        ips=store.stream("api/index_ips", **p),
        instruments=store.stream("api/index_instruments", **p),
        identifiers=store.stream("api/index_identifiers", **p),
        flagged_ips=store.stream("api/index_flagged_ips"),
        domain_totals=store.stream("api/index_domain_totals", **p),
    )


class IndexHolder:
    """Holds the current :class:`RunIndex`; swaps in a new one when the run changes."""

    def __init__(self, store: GraphStore, *, timeout: float) -> None:
        self.store = store
        self.timeout = timeout
        self.index: RunIndex | None = None
        self.last_error: str | None = None
        self.last_ok: float | None = None
        self.build_seconds: float | None = None
        self._lock = asyncio.Lock()

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Run blocking store work in the thread pool, bounded by a timeout."""
        try:
            return await asyncio.wait_for(run_in_threadpool(fn, *args), timeout or self.timeout)
        except TimeoutError:
            raise StoreUnavailable(
                f"Neo4j did not answer within {timeout or self.timeout:.1f}s"
            ) from None

    async def refresh(self) -> bool:
        """Poll the current run; rebuild and swap when it changed.  True if swapped."""
        async with self._lock:
            try:
                run = await self.call(current_run, self.store)
            except GraphlinkError as e:
                self.last_error = str(e)
                return False
            self.last_ok = time.monotonic()
            self.last_error = None
            if run is None or (self.index is not None and self.index.run_id == run[0]):
                return False
            t0 = time.perf_counter()
            try:
                # Building may take a while at scale; no timeout, it runs off the loop.
                index = await run_in_threadpool(load_index, self.store, run[0], run[1])
            except GraphlinkError as e:
                self.last_error = f"loading run {run[0]}: {e}"
                log.warning("index refresh failed: %s", self.last_error)
                return False
            self.build_seconds = time.perf_counter() - t0
            self.index = index  # the atomic swap
            log.info("serving detection run %s (%s) built in %.1fs", run[0], index.sizes(),
                     self.build_seconds)
            return True

    async def poll_forever(self, interval: float) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # noqa: BLE001 - the poller must survive anything
                log.exception("index refresh crashed")
            await asyncio.sleep(interval)
