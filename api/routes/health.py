"""``/healthz`` (the process is up) and ``/readyz`` (Neo4j answers and a run is loaded)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Ctx
from api.models import Health, Ready
from graphlink.errors import GraphlinkError

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up (no auth)")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Ready,
    summary="Neo4j reachable and a detection run loaded (no auth)",
    responses={503: {"model": Ready, "description": "not ready: Neo4j down or no run loaded"}},
)
async def readyz(ctx: Ctx) -> Ready | JSONResponse:
    detail = None
    try:
        await ctx.call(ctx.store.ping)
        store_ok = True
    except GraphlinkError as e:
        store_ok, detail = False, str(e)
    index = ctx.holder.index
    if index is None and detail is None:
        detail = ctx.holder.last_error or "no complete detection run loaded yet"
    ready = Ready(
        ready=store_ok and index is not None,
        store="ok" if store_ok else "unavailable",
        run_id=index.run_id if index else None,
        index=index.sizes() if index else None,
        detail=detail,
    )
    if not ready.ready:
        return JSONResponse(ready.model_dump(), status_code=503, headers={"Retry-After": "5"})
    return ready
