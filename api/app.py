"""The graphlink HTTP service: ``create_app(settings)`` and its lifespan.

The lifespan (not import time) reads the settings, opens the store with
bounded timeouts and no long retries (a request against a stopped Neo4j gets
a 503 within seconds, never hangs), loads the index of the current detection
run and starts the poller that swaps in the next run's index when one
completes.  The driver reconnects by itself when Neo4j comes back, so the
service recovers with no restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api import guide
from api.auth import KeyCache
from api.deps import ApiContext, reject_unknown_query
from api.errors import install_handlers
from api.index import IndexHolder
from api.routes import accounts, banwaves, clusters, health, signup
from graphlink.config import Settings, get_settings
from graphlink.store import GraphStore

DESCRIPTION = """
Finds and explains coordinated account rings ("hydra clusters") found by graphlink's
detection runs, scores sign-ups in progress against them, and lists or builds ban waves.

**Auth**: `Authorization: Bearer <key>` with a key from `graphlink apikey create --scope S --name N`.
Missing, unknown or revoked key: 401; key without the endpoint's scope: 403. Verified keys are
cached for a few seconds (`key_cache_ttl`, 5 s by default): a revoked key stops working within
that time.

**Consistency**: answers come from the current detection run (the latest `complete` one). A new
run is swapped in whole, so one request never mixes two runs; paging cursors pin their run.

**Errors** are JSON: `{"error": {"status", "code", "message", "fields"?}}`; Neo4j unreachable: 503.
"""

#: Seconds between polls of the current detection run id.
POLL_INTERVAL = 2.0
#: Seconds a verified (or unknown) API key stays cached.
KEY_CACHE_TTL = 5.0


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    poll_interval: float = POLL_INTERVAL,
    key_cache_ttl: float = KEY_CACHE_TTL,
    request_timeout: float | None = None,
) -> FastAPI:
    """Build the app.  ``settings`` default to the environment (read in the lifespan);
    ``store`` lets a caller share an open store (it is then not closed here);
    ``poll_interval <= 0`` disables the background poller (call ``holder.refresh()``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or get_settings()
        st = store or GraphStore.from_settings(s, retry_time=1.0)
        timeout = request_timeout or (s.connect_timeout * 2 + 1.0)
        holder = IndexHolder(st, timeout=timeout)
        app.state.ctx = ApiContext(settings=s, store=st, holder=holder, keys=KeyCache(key_cache_ttl))
        await holder.refresh()  # bounded; on failure we start anyway and answer 503
        task = (asyncio.create_task(holder.poll_forever(poll_interval))
                if poll_interval > 0 else None)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if store is None:
                st.close()

    app = FastAPI(
        title="graphlink",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "signup", "description": "Real-time sign-up risk"},
            {"name": "investigate", "description": "Accounts and clusters (scope investigate:read)"},
            {"name": "banwaves", "description": "Ban waves"},
            {"name": "health", "description": "Liveness and readiness (no auth)"},
        ],
    )
    install_handlers(app)
    # The two hot endpoints check their (empty) query strings themselves (api.deps.fast_access);
    # everything else refuses unknown query parameters through one router dependency.
    app.include_router(signup.router)
    app.include_router(accounts.router)
    for module in (clusters, banwaves, health):
        app.include_router(module.router, dependencies=[Depends(reject_unknown_query)])
    # The saved queries as a Neo4j Browser guide (public text, no data; not in the schema).
    app.include_router(guide.router)
    return app
