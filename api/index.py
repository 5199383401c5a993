"""The service's in-memory snapshot of the store, and its refresh.

Sign-up checks and account lookups must answer in well under a millisecond of
work, so they never touch Neo4j: they read a :class:`Snapshot` made of

* the :class:`graphlink.signup.RunIndex` of the current detection run,
* an :class:`AccountTable` of every account (compact: numpy arrays, ~40 bytes
  an account), and
* a :class:`BanMap` (account -> latest committed wave including it).

:class:`IndexHolder` keeps the snapshot the process serves from; a background
task polls ``api/versions`` every few seconds.  When the current run or the
ingests change it rebuilds everything; when only a new wave was committed it
rebuilds the ban map.  Rebuilding happens off the event loop and the new
snapshot is swapped in with one assignment: a request takes the reference
once, so it sees the old state or the new one, never a mix.  While Neo4j is
down the holder keeps serving the last snapshot and remembers the error for
``/readyz``.  Accounts newer than the snapshot fall back to one query.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd
from starlette.concurrency import run_in_threadpool

from graphlink.errors import GraphlinkError, StoreUnavailable
from graphlink.signup import RunIndex, build_index
from graphlink.store import GraphStore, to_native

log = logging.getLogger("graphlink.api")
T = TypeVar("T")
_NO_TIME = np.iinfo(np.int64).min
#: Accounts per page of the snapshot's account read (``read_account_pages``).
ACCOUNT_PAGE = 500_000


# ----------------------------------------------------------------------------- accounts
class AccountRow(NamedTuple):
    account_id: str
    created_at: datetime | None
    status: str | None
    plan: str | None
    country: str | None
    org_id: str | None


class _Categories:
    """Codes for a categorical column read page by page: one code per distinct value over
    all pages (-1: unknown, None or '')."""

    def __init__(self) -> None:
        self.code: dict[str, int] = {}

    def codes(self, values: list[Any]) -> np.ndarray:
        series = pd.Series(values, dtype=object)
        codes, uniques = pd.factorize(series.where(series != "", None), use_na_sentinel=True)
        remap = np.array([self.code.setdefault(str(u), len(self.code)) for u in uniques] + [-1],
                         dtype=np.int32)
        return remap[codes]  # code -1 picks the trailing -1

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self.code)


@dataclass(frozen=True)
class AccountTable:
    """Every account's lookup fields, sorted by id, as numpy columns (binary-searched)."""

    ids: np.ndarray  # fixed-width UTF-8 bytes, sorted
    created_ms: np.ndarray  # int64 epoch ms, _NO_TIME when unknown
    status: np.ndarray
    status_values: tuple[str, ...]
    plan: np.ndarray
    plan_values: tuple[str, ...]
    country: np.ndarray
    country_values: tuple[str, ...]
    org: dict[str, str]

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, account_id: str) -> AccountRow | None:
        key = account_id.encode("utf-8", "surrogatepass")
        if not key or len(key) > self.ids.dtype.itemsize or key.endswith(b"\0"):
            return None
        i = int(np.searchsorted(self.ids, key))
        if i >= len(self.ids) or self.ids[i] != key:
            return None

        def cat(col: np.ndarray, values: tuple[str, ...]) -> str | None:
            c = int(col[i])
            return values[c] if c >= 0 else None

        ms = int(self.created_ms[i])
        return AccountRow(
            account_id,
            datetime.fromtimestamp(ms / 1000, UTC) if ms != _NO_TIME else None,
            cat(self.status, self.status_values),
            cat(self.plan, self.plan_values),
            cat(self.country, self.country_values),
            self.org.get(account_id),
        )


def build_account_table(pages: Iterable[dict[str, list[Any]]]) -> AccountTable:
    """From pages of parallel columns ``account_id``, ``created_ms``, ``status``, ``plan``,
    ``country``, ``org_id`` (``api/index_accounts``: a page is one record of lists; a
    missing time is ``_NO_TIME``, a missing text ``''`` or None).

    Why columns: a million accounts streamed as a million Bolt records cost ~48 s of
    client CPU to decode (54 s of a 55 s snapshot build at 1M); the same fields as
    six lists in one record decode in about a second.  Why pages: one record of
    every account would hold all of them as Python strings at once (1.6 GB peak at
    3M); a page of :data:`ACCOUNT_PAGE` bounds that, whatever the store's size.
    """
    cats = {c: _Categories() for c in ("status", "plan", "country")}
    ids: list[np.ndarray] = []
    created: list[np.ndarray] = []
    codes: dict[str, list[np.ndarray]] = {c: [] for c in cats}
    org: dict[str, str] = {}
    for cols in pages:
        ids.append(np.array([str(a).encode("utf-8", "surrogatepass") for a in cols["account_id"]],
                            dtype=bytes))  # S<longest id of the page>
        created.append(np.array([_NO_TIME if t is None else t for t in cols["created_ms"]],
                                dtype=np.int64))
        for c, cat in cats.items():
            codes[c].append(cat.codes(cols[c]))
        # Copied into fresh objects so the few surviving strings do not pin the memory
        # arenas the page's lists went through (measured: +320 MB RSS at 1M accounts).
        org.update((str(a).encode().decode(), str(o).encode().decode())
                   for a, o in zip(cols["account_id"], cols["org_id"]) if o)
    arr = np.concatenate(ids) if ids else np.array([], dtype="S1")  # widest page's width
    order = np.argsort(arr, kind="stable")

    def col(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return (np.concatenate(parts) if parts else np.array([], dtype=dtype))[order]

    return AccountTable(
        ids=arr[order], created_ms=col(created, np.int64),
        status=col(codes["status"], np.int32), status_values=cats["status"].values,
        plan=col(codes["plan"], np.int32), plan_values=cats["plan"].values,
        country=col(codes["country"], np.int32), country_values=cats["country"].values,
        org=org,
    )


def read_account_pages(store: GraphStore, page: int = ACCOUNT_PAGE
                       ) -> Iterator[dict[str, list[Any]]]:
    """Every account's lookup fields, ``page`` accounts at a time in account-id order (a
    range seek on the unique index from where the last page ended).  Each page is its own
    read: an account ingested meanwhile is in the table or not, as with any snapshot (a
    lookup of an account newer than the snapshot asks the store, ``docs/api.md``)."""
    after = ""
    while True:
        # Raw record values: to_native's per-element walk would cost seconds per page.
        cols = store.read_together(["api/index_accounts"], after=after,
                                   limit=page)["api/index_accounts"][0]
        if not cols["account_id"]:
            return
        yield cols
        after = cols["account_id"][-1]


# ----------------------------------------------------------------------------- bans
class Ban(NamedTuple):
    wave_id: str
    created_at: datetime | None
    reasons: tuple[str, ...]
    cluster_id: str | None
    cluster_risk: float | None


def build_ban_map(rows: Iterable[list[Any]]) -> dict[str, Ban]:
    """Account -> its latest committed wave, from rows ordered oldest wave first."""
    bans: dict[str, Ban] = {}
    created: dict[str, datetime | None] = {}
    for account_id, wave_id, created_at, reasons, cluster_id, cluster_risk in rows:
        if wave_id not in created:
            created[wave_id] = to_native(created_at)  # stream() rows are raw
        bans[account_id] = Ban(wave_id, created[wave_id], tuple(reasons or ()), cluster_id,
                               cluster_risk)
    return bans


# ----------------------------------------------------------------------------- snapshot
@dataclass(frozen=True)
class Versions:
    run_id: str | None
    run_created_at: datetime | None
    wave_id: str | None
    ingests: tuple[int, Any]


@dataclass(frozen=True)
class Snapshot:
    versions: Versions
    index: RunIndex
    accounts: AccountTable
    bans: dict[str, Ban]


def read_versions(store: GraphStore) -> Versions:
    r = store.read("api/versions")[0]
    return Versions(r["run_id"], r["created_at"], r["wave_id"],
                    (int(r["ingests"] or 0), r["ingested_at"]))


def current_run(store: GraphStore) -> tuple[str, datetime | None] | None:
    """Id and creation time of the current (latest complete) detection run."""
    v = read_versions(store)
    return (v.run_id, v.run_created_at) if v.run_id else None


def load_index(store: GraphStore, run_id: str, created_at: datetime | None = None) -> RunIndex:
    """Read what touches the clusters of run ``run_id`` and build its index.

    Every query is filtered on ``run_id``, so a run completing meanwhile
    cannot leak into this index.  Each thing a member uses comes with the number
    of accounts using it at all (a degree lookup): what makes a match specific
    to a ring or common (``docs/signup.md``).  ``graphlink.signup_eval.index_rows``
    is the frame twin of these reads (the held-out replay); a test holds them equal.
    """
    p: dict[str, Any] = {"run_id": run_id}
    return build_index(
        run_id,
        run_created_at=created_at,
        clusters=store.stream("api/index_clusters", **p),
        members=store.stream("api/index_members", **p),
        ips=store.stream("api/index_ips", **p),
        instruments=store.stream("api/index_instruments", **p),
        identifiers=store.stream("api/index_identifiers", **p),
        flagged_ips=flagged_ip_rows(store),
        domain_totals=store.stream("api/index_domain_totals", **p),
    )


def flagged_ip_rows(store: GraphStore) -> Iterator[tuple[Any, Any, Any, Any]]:
    """``(ip, proxy_provider, is_datacenter, accounts)`` of every flagged IP, read as one
    record of parallel lists (``api/index_flagged_ips``)."""
    cols = store.read_together(["api/index_flagged_ips"])["api/index_flagged_ips"][0]
    return zip(cols["ip"], cols["proxy_provider"], cols["is_datacenter"], cols["accounts"])


def release_unused_memory() -> None:
    """Hand the C allocator's free pages back to the system (glibc ``malloc_trim``).

    Why: building a snapshot goes through lists of a million entries; once they
    are freed, glibc keeps most of those pages for reuse, and a server that
    builds one snapshot an hour would carry them for good (at 1M accounts: 331
    MB RSS after the build, 262 MB after trimming, the snapshot still held;
    ``bench/bench_snapshot.py``).
    A no-op where the C library has no ``malloc_trim`` (musl, macOS).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def load_snapshot(store: GraphStore, versions: Versions, previous: Snapshot | None) -> Snapshot:
    """Build what changed since ``previous`` (everything, or only the ban map)."""
    assert versions.run_id is not None
    bans = build_ban_map(store.stream("api/index_bans"))
    if (previous is not None and previous.versions.run_id == versions.run_id
            and previous.versions.ingests == versions.ingests):
        return replace(previous, versions=versions, bans=bans)
    index = load_index(store, versions.run_id, versions.run_created_at)
    accounts = build_account_table(read_account_pages(store))
    return Snapshot(versions, index, accounts, bans)


class IndexHolder:
    """Holds the current :class:`Snapshot`; swaps in a new one when the store changed."""

    def __init__(self, store: GraphStore, *, timeout: float) -> None:
        self.store = store
        self.timeout = timeout
        self.snapshot: Snapshot | None = None
        self.last_error: str | None = None
        self.last_ok: float | None = None
        self.build_seconds: float | None = None
        self._lock = asyncio.Lock()

    @property
    def index(self) -> RunIndex | None:
        snap = self.snapshot
        return snap.index if snap else None

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Run blocking store work in the thread pool, bounded by a timeout."""
        try:
            return await asyncio.wait_for(run_in_threadpool(fn, *args), timeout or self.timeout)
        except TimeoutError:
            raise StoreUnavailable(
                f"Neo4j did not answer within {timeout or self.timeout:.1f}s"
            ) from None

    async def refresh(self) -> bool:
        """Poll the store's versions; rebuild and swap what changed.  True if swapped."""
        async with self._lock:
            try:
                versions = await self.call(read_versions, self.store)
            except GraphlinkError as e:
                self.last_error = str(e)
                return False
            self.last_ok = time.monotonic()
            self.last_error = None
            old = self.snapshot
            if versions.run_id is None or (old is not None and old.versions == versions):
                return False
            t0 = time.perf_counter()
            try:
                # Building may take a while at scale; no timeout, it runs off the loop.
                snap = await run_in_threadpool(load_snapshot, self.store, versions, old)
            except GraphlinkError as e:
                self.last_error = f"loading run {versions.run_id}: {e}"
                log.warning("snapshot refresh failed: %s", self.last_error)
                return False
            self.build_seconds = time.perf_counter() - t0
            self.snapshot = snap  # the atomic swap
            del old
            # Keep the collector from re-scanning the (large, acyclic) snapshot on every
            # full collection: that scan shows up as tail latency.
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            release_unused_memory()
            log.info("serving run %s, wave %s (%s, %d accounts) built in %.1fs", versions.run_id,
                     versions.wave_id, snap.index.sizes(), len(snap.accounts), self.build_seconds)
            return True

    async def poll_forever(self, interval: float) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("snapshot refresh crashed")
            await asyncio.sleep(interval)
