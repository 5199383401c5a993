"""``GET /v1/accounts/{account_id}``: an account's cluster, risk, reasons and ban status."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from graphlink.accounts import read_account
from graphlink.api.deps import ApiContext, fast_access
from graphlink.api.models import AUTH_ERRORS, AccountResponse, BanRef, ClusterRef, error_responses
from graphlink.errors import NotFound

router = APIRouter(responses=AUTH_ERRORS, tags=["investigate"])

AccountId = Annotated[
    str, Path(min_length=1, max_length=256, description="the platform's account key")
]


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt is not None else None


@router.get(
    "/v1/accounts/{account_id}",
    # Serialised here as plain JSON shaped like AccountResponse (schemathesis checks every
    # answer against it): model construction would cost more than the lookup itself.
    response_class=Response,
    responses={
        200: {"model": AccountResponse, "description": "the account"},
        **error_responses(404),
    },
    summary="An account's cluster in the current run, its risk, reasons and ban status",
    # Auth is checked in the handler (graphlink.api.deps.fast_access); declared here for OpenAPI.
    openapi_extra={"security": [{"HTTPBearer": []}]},
)
async def get_account(account_id: AccountId, request: Request) -> Response:
    """From the in-memory snapshot (run index, account table, ban map); an account ingested
    after the snapshot was built costs one query instead."""
    snap = await fast_access(request, "investigate:read")
    index = snap.index
    acc = snap.accounts.get(account_id)
    if acc is None:
        out = await _from_store(request.app.state.ctx, account_id, index.run_id)
        return Response(out.model_dump_json(), media_type="application/json")
    member = index.accounts.get(account_id)
    cluster = index.clusters.get(member.cluster_id) if member else None
    ban = snap.bans.get(account_id)
    body = {
        "account_id": acc.account_id,
        "status": acc.status,
        "plan": acc.plan,
        "country": acc.country,
        "created_at": _iso(acc.created_at),
        "org_id": acc.org_id,
        "run_id": index.run_id,
        "cluster": {
            "cluster_id": cluster.cluster_id,
            "risk": cluster.risk,
            "size": cluster.size,
            "reasons": list(cluster.reasons),
        }
        if cluster
        else None,
        "account_risk": member.account_risk if member else None,
        "reasons": list(member.reasons) if member else [],
        "banned": ban is not None,
        "ban_wave": {
            "wave_id": ban.wave_id,
            "created_at": _iso(ban.created_at),
            "reasons": list(ban.reasons),
            "cluster_id": ban.cluster_id,
            "cluster_risk": ban.cluster_risk,
        }
        if ban
        else None,
    }
    return Response(_dumps(body), media_type="application/json")


async def _from_store(ctx: ApiContext, account_id: str, run_id: str) -> AccountResponse:
    row = await ctx.call(read_account, ctx.store, account_id, run_id)
    if row is None:
        raise NotFound(f"no account {account_id!r}")
    wave = row.get("wave")
    return AccountResponse(
        account_id=row["account_id"],
        status=row.get("status"),
        plan=row.get("plan"),
        country=row.get("country"),
        created_at=row.get("created_at"),
        org_id=row.get("org_id"),
        run_id=run_id,
        cluster=ClusterRef(
            cluster_id=row["cluster_id"],
            risk=row.get("cluster_risk") or 0.0,
            size=row.get("cluster_size") or 0,
            reasons=row.get("cluster_reasons") or [],
        )
        if row.get("cluster_id")
        else None,
        account_risk=row.get("account_risk"),
        reasons=row.get("reasons") or [],
        banned=wave is not None,
        ban_wave=BanRef(
            wave_id=wave["wave_id"],
            created_at=wave.get("created_at"),
            reasons=wave.get("reasons") or [],
            cluster_id=wave.get("cluster_id"),
            cluster_risk=wave.get("cluster_risk"),
        )
        if wave
        else None,
    )
