"""``/healthz`` (the process is up) and ``/readyz`` (it can serve; how degraded it is).

``/readyz`` reads memory only (the breaker's state, the key ring, the
snapshot), never Neo4j, so it answers at once even while Neo4j hangs.  It is
200 as long as the process can serve its hot path (a detection run and the
key set are loaded), with ``status: degraded`` while Neo4j is down: taking
every replica out of a load balancer because the shared Neo4j is down would
stop sign-up checks that need no Neo4j.  503 only when there is nothing to
serve from yet.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from graphlink.api.deps import Ctx
from graphlink.api.models import Health, KeySetState, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up (no auth)")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Ready,
    summary="A run and the API keys are loaded; whether Neo4j is reachable (no auth)",
    responses={503: {"model": Ready, "description": "not ready: no run or no key set loaded"}},
)
async def readyz(ctx: Ctx) -> Ready | JSONResponse:
    breaker, keys, index = ctx.breaker, ctx.keys, ctx.holder.index
    store_ok = not breaker.is_open
    details = []
    if not store_ok:
        details.append(f"Neo4j unreachable: {breaker.last_error}")
    if index is None:
        details.append(ctx.holder.last_error or "no complete detection run loaded yet")
    if not keys.loaded:
        details.append(f"API keys not loaded ({keys.last_error or 'first read pending'})")
    elif keys.stale_since is not None:
        details.append("serving the last API key set read (Neo4j unreachable)")
    ready = index is not None and keys.loaded
    body = Ready(
        ready=ready,
        status="unavailable" if not ready else ("ok" if store_ok else "degraded"),
        store="ok" if store_ok else "unavailable",
        store_down_since=breaker.down_since,
        run_id=index.run_id if index else None,
        index=index.sizes() if index else None,
        api_keys=KeySetState(keys=len(keys), active=keys.active_count(), loaded_at=keys.loaded_at,
                             stale_since=keys.stale_since) if keys.loaded else None,
        detail="; ".join(details) or None,
    )
    if not ready:
        return JSONResponse(body.model_dump(mode="json"), status_code=503,
                            headers={"Retry-After": "5"})
    return body
