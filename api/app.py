"""The graphlink HTTP service: ``create_app(settings)`` and its lifespan.

The lifespan (not import time) reads the settings, opens the store with
bounded timeouts, no long retries and a circuit breaker, reads the API keys
and the snapshot of the current detection run into memory, and starts two
background loops: the snapshot poller (swaps in the next run when one
completes) and the key refresher (re-reads the key set every 2 s; while
Neo4j is down it is the breaker's recovery probe, every 0.5 s).

What that buys when Neo4j stops: the hot path (sign-up check, account lookup
of a known account) keeps answering from memory with the last key set;
store-backed endpoints answer 503 with ``Retry-After`` at once (the breaker
is open, no Bolt attempt); once a probe reaches Neo4j again everything
recovers with no restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from graphlink import apikeys
from graphlink.api import guide
from graphlink.api.auth import KEY_REFRESH_INTERVAL, KeyRing
from graphlink.api.deps import ApiContext, auth_first, reject_unknown_query
from graphlink.api.errors import install_handlers
from graphlink.api.evidence import EvidenceCache
from graphlink.api.hotpath import FastPathStats, SignupFastPath
from graphlink.api.index import IndexHolder
from graphlink.api.routes import accounts, banwaves, clusters, health, signup
from graphlink.config import Settings, get_settings
from graphlink.errors import StoreUnavailable
from graphlink.store import CircuitBreaker, GraphStore

DESCRIPTION = """
Finds and explains coordinated account rings ("hydra clusters") found by graphlink's
detection runs, scores sign-ups in progress against them, and lists or builds ban waves.

**Auth**: `Authorization: Bearer <key>` with a key from
`graphlink apikey create --scope S --name N`.
Missing, unknown or revoked key: 401; key without the endpoint's scope: 403 (both before any
422). The key set is held in memory and re-read every 2 s: a revoked key stops working within
3 s; while Neo4j is down the last key set read is used.

**Consistency**: answers come from the current detection run (the latest `complete` one). A new
run is swapped in whole, so one request never mixes two runs; paging cursors pin their run.

**Errors** are JSON: `{"error": {"status", "code", "message", "fields"?}}`. Neo4j unreachable:
the sign-up check and account lookups keep answering from memory; endpoints that need Neo4j
answer 503 with `Retry-After` at once.
"""

#: Seconds between polls of the current detection run id.
POLL_INTERVAL = 2.0
#: Seconds the breaker waits before a trial call to a store found down.
BREAKER_RETRY_AFTER = 1.0
#: Seconds between checks for cluster evidence to precompute (new snapshot, work left).
EVIDENCE_POLL_INTERVAL = 2.0
#: Seconds between key refreshes (= recovery probes) while the store is down.
DOWN_PROBE_INTERVAL = 0.5


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    poll_interval: float = POLL_INTERVAL,
    key_refresh_interval: float = KEY_REFRESH_INTERVAL,
    request_timeout: float | None = None,
    breaker_retry_after: float = BREAKER_RETRY_AFTER,
    warm_evidence: bool = True,
    fast_path: bool = True,
) -> FastAPI:
    """Build the app.  ``settings`` default to the environment (read in the lifespan);
    ``store`` lets a caller share an open store (it is then not closed here; a breaker is
    attached to it unless it has one); ``poll_interval <= 0`` disables the background
    snapshot poller (call ``holder.refresh()``), ``key_refresh_interval <= 0`` the key
    refresher (unknown keys still trigger a re-read); ``warm_evidence`` precomputes cluster
    evidence summaries in the background (:mod:`graphlink.api.evidence`); ``fast_path``
    answers valid sign-up checks before routing (:mod:`graphlink.api.hotpath`; off: every
    request goes through the route, which answers the same bytes)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or get_settings()
        breaker = CircuitBreaker(label=f"Neo4j at {s.bolt_uri()}", retry_after=breaker_retry_after)
        st = store or GraphStore.from_settings(s, retry_time=1.0)
        own_breaker = st.breaker is None
        if own_breaker:
            st.breaker = breaker
        else:
            breaker = st.breaker  # type: ignore[assignment]
        timeout = request_timeout or (s.connect_timeout * 2 + 1.0)
        holder = IndexHolder(st, timeout=timeout)

        async def load_keys() -> dict[str, apikeys.KeyInfo]:
            try:
                return await asyncio.wait_for(run_in_threadpool(apikeys.load_key_set, st), timeout)
            except TimeoutError:
                # Connected but no answer (hung, not refusing): the probe's verdict is "down".
                err = f"Neo4j did not answer a key read within {timeout:.1f}s"
                breaker.record_failure(err)
                raise StoreUnavailable(err) from None

        keys = KeyRing(
            load_keys,
            refresh_interval=max(key_refresh_interval, 0.0),
            store_down=lambda: breaker.is_open,
        )
        evidence = EvidenceCache()
        ctx = app.state.ctx = ApiContext(
            settings=s, store=st, holder=holder, keys=keys, breaker=breaker, evidence=evidence
        )
        await keys.refresh()  # bounded; on failure we start anyway (requests get 503)
        await holder.refresh()  # bounded; on failure we start anyway and answer 503
        tasks = []
        if poll_interval > 0:
            tasks.append(asyncio.create_task(holder.poll_forever(poll_interval)))
        if key_refresh_interval > 0:
            tasks.append(
                asyncio.create_task(
                    keys.refresh_forever(
                        down_interval=min(DOWN_PROBE_INTERVAL, key_refresh_interval)
                    )
                )
            )
        if warm_evidence:

            async def fetch(run_id: str, cluster_id: str) -> dict[str, Any] | None:
                return await ctx.call(clusters.read_evidence, st, run_id, cluster_id)

            tasks.append(
                asyncio.create_task(
                    evidence.warm_forever(
                        lambda: holder.snapshot, fetch, interval=EVIDENCE_POLL_INTERVAL
                    )
                )
            )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if own_breaker:
                st.breaker = None  # a shared store goes back as it came
            if store is None:
                st.close()

    app = FastAPI(
        title="graphlink",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "signup", "description": "Real-time sign-up risk"},
            {
                "name": "investigate",
                "description": "Accounts and clusters (scope investigate:read)",
            },
            {"name": "banwaves", "description": "Ban waves"},
            {"name": "health", "description": "Liveness and readiness (no auth)"},
        ],
    )
    install_handlers(app, auth_first=auth_first)
    # The sign-up check's happy path, answered before routing (graphlink.api.hotpath);
    # GRAPHLINK_API_FAST_PATH=0 turns it off at run time.
    app.state.signup_fast_path = FastPathStats()
    if fast_path:
        app.add_middleware(SignupFastPath, stats=app.state.signup_fast_path)
    # The two hot endpoints check their (empty) query strings themselves
    # (graphlink.api.deps.fast_access);
    # everything else refuses unknown query parameters through one router dependency.
    app.include_router(signup.router)
    app.include_router(accounts.router)
    for module in (clusters, banwaves, health):
        app.include_router(module.router, dependencies=[Depends(reject_unknown_query)])
    # The saved queries as a Neo4j Browser guide (public text, no data; not in the schema).
    app.include_router(guide.router)
    return app
