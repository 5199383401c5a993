"""``GET /v1/banwaves``, ``GET /v1/banwaves/{wave_id}`` (JSON or CSV) and ``POST /v1/banwaves``.

A thin shell over :mod:`graphlink.banwave_store` (the same calls as
``graphlink banwave`` / ``graphlink waves``): readers see committed waves
only; a POST plans a wave (dry run) and commits it when asked.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response

from graphlink import banwave_store
from graphlink.api import cursors
from graphlink.api.deps import Ctx, ReadKey, WaveKey
from graphlink.api.models import (
    AUTH_ERRORS,
    BanWaveDetail,
    BanWaveEntry,
    BanWavePage,
    BanWavePlanResponse,
    BanWaveRequest,
    BanWaveSummary,
    WaveChanges,
    error_responses,
)
from graphlink.banwave import PROTECTED_SKIPS, WaveParams, wave_csv_frame

router = APIRouter(responses=AUTH_ERRORS, tags=["banwaves"])

WaveId = Annotated[str, Path(min_length=1, max_length=128, description="e.g. wave-0001")]
#: Wave-list cursor: (last wave id of the previous page).
WAVE_CURSOR = ("w", (str,))
#: Seconds a wave may take to plan or commit (large waves write in batches).
WAVE_TIMEOUT = 600.0


def _clean(v: Any) -> Any:
    """pandas/numpy scalars -> JSON-safe Python (NaN/NaT -> None)."""
    if v is None or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, list | tuple):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _entries(df: pd.DataFrame, limit: int | None = None) -> list[BanWaveEntry]:
    rows = df if limit is None else df.head(limit)
    return [
        BanWaveEntry(account_id=str(r.account_id), cluster_id=_clean(r.cluster_id),
                     cluster_risk=_clean(r.cluster_risk), reasons=[str(c) for c in r.reasons or []])
        for r in rows.itertuples(index=False)
    ]


@router.get("/v1/banwaves", response_model=BanWavePage, summary="Committed ban waves, newest first")
async def list_banwaves(
    key: ReadKey, ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(
        pattern=cursors.pattern(*WAVE_CURSOR),
        description="`next_cursor` of the previous page (format: `w.<wave>`)")] = None,
) -> BanWavePage:
    waves = await ctx.call(banwave_store.list_waves, ctx.store)
    if cursor is not None:
        (before,) = cursors.decode(cursor, *WAVE_CURSOR)
        waves = waves[waves["wave_id"] < before]
    page = waves.head(limit)
    return BanWavePage(
        items=[BanWaveSummary(**{k: _clean(v) for k, v in r.items()})
               for r in page.to_dict("records")],
        next_cursor=cursors.encode(WAVE_CURSOR[0], str(page["wave_id"].iloc[-1]))
        if len(waves) > limit else None,
    )


@router.get(
    "/v1/banwaves/{wave_id}",
    response_model=BanWaveDetail,
    summary="One committed ban wave: parameters, evidence and every account "
            "(JSON, or the spec's CSV with Accept: text/csv)",
    responses={
        200: {"content": {"text/csv": {
            "schema": {"type": "string"},
            "example": "wave_id,account_id,cluster_id,cluster_risk,reasons\n"
                       "wave-0002,r01,c-000001,0.93,prepaid_card_shared;proxy_provider\n"}}},
        **error_responses(404),
    },
)
async def get_banwave(
    wave_id: WaveId, key: ReadKey, ctx: Ctx,
    accept: Annotated[str | None, Header(max_length=1024)] = None,
) -> BanWaveDetail | Response:
    wave = await ctx.call(banwave_store.read_wave, ctx.store, wave_id)
    if accept and "text/csv" in accept.lower():
        return Response(
            wave_csv_frame(wave.entries, wave.wave_id).to_csv(index=False),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{wave.wave_id}.csv"'},
        )
    return BanWaveDetail(
        wave_id=wave.wave_id, created_at=wave.created_at, run_id=wave.run_id,
        min_risk=wave.min_risk, n_accounts=wave.n_accounts, n_clusters=wave.n_clusters,
        protected_skipped=wave.protected_skipped, previous_wave_id=wave.previous_wave_id,
        params=wave.params, evidence=wave.evidence, entries=_entries(wave.entries),
    )


@router.post(
    "/v1/banwaves",
    response_model=BanWavePlanResponse,
    summary="Plan a ban wave (dry run) or commit it: the same selection as `graphlink banwave`",
    responses=error_responses(404),
)
async def post_banwave(body: BanWaveRequest, key: WaveKey, ctx: Ctx) -> BanWavePlanResponse:
    """404 when there is no complete detection run (or no run `run_id`); 422 when `run_id`
    is not complete.  Large waves take a while to commit: the call waits for the commit."""
    params = WaveParams(
        min_risk=body.min_risk,
        verified_org_min_risk=body.verified_org_min_risk,
        own_domain_share=body.own_domain_share,
        min_conformity=body.min_conformity,
        allowlist=frozenset(body.allowlist),
        allowlist_source="api" if body.allowlist else None,
    )
    out = await ctx.call(
        partial(banwave_store.run_wave, run_id=body.run_id, commit=body.commit),
        ctx.store, params, timeout=WAVE_TIMEOUT,
    )
    plan, diff = out.plan, out.diff
    if plan.committed:
        await ctx.holder.refresh()  # this process's account lookups show the new wave at once
    protected = int(plan.skipped["why"].isin(PROTECTED_SKIPS).sum()) \
        if len(plan.skipped) else 0
    return BanWavePlanResponse(
        committed=plan.committed,
        wave_id=plan.wave_id,
        run_id=plan.run_id,
        params=plan.params.to_record(),
        n_accounts=plan.n_accounts,
        n_clusters=plan.n_clusters,
        n_skipped=len(plan.skipped),
        protected_skipped=protected,
        accounts_per_reason={str(k): int(v) for k, v in plan.reason_counts().items()},
        changes=WaveChanges(previous_wave_id=diff.previous_wave_id, **diff.counts()),
        entries=_entries(plan.entries, body.entries_limit),
        entries_truncated=plan.n_accounts > body.entries_limit,
        note=out.note,
    )
