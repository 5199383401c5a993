"""``GET /v1/banwaves``, ``GET /v1/banwaves/{wave_id}`` (JSON or CSV) and ``POST /v1/banwaves``."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response

from api import cursors
from api.deps import Ctx, ReadKey
from api.errors import InvalidParam
from api.index import native
from api.models import (
    AUTH_ERRORS,
    BanWaveDetail,
    BanWaveEntry,
    BanWavePage,
    BanWaveSummary,
    error_responses,
)
from graphlink.errors import NotFound
from graphlink.store import GraphStore

router = APIRouter(responses=AUTH_ERRORS, tags=["banwaves"])

WaveId = Annotated[str, Path(min_length=1, max_length=128, description="e.g. wave-0001")]
#: Columns of a ban wave CSV (``shared/spec/input-format.md``, "Outputs").
CSV_COLUMNS = ["wave_id", "account_id", "cluster_id", "cluster_risk", "reasons"]


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    return dict(
        wave_id=r["wave_id"], created_at=native(r.get("created_at")), run_id=r.get("run_id"),
        min_risk=r.get("min_risk"), n_accounts=r.get("n_accounts"), n_clusters=r.get("n_clusters"),
        protected_skipped=r.get("protected_skipped"), previous_wave_id=r.get("previous_wave_id"),
    )


def read_wave_page(store: GraphStore, before: str, limit: int) -> list[dict[str, Any]]:
    return store.read("api/banwave_list", before=before, limit=limit)


def read_wave(store: GraphStore, wave_id: str) -> dict[str, Any] | None:
    rows = store.read("api/banwave_get", wave_id=wave_id)
    return rows[0] if rows else None


@router.get("/v1/banwaves", response_model=BanWavePage, summary="Committed ban waves, newest first",
)
async def list_banwaves(
    key: ReadKey, ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> BanWavePage:
    before = ""
    if cursor is not None:
        before = cursors.decode(cursor, required=("k",))["k"]
        if not isinstance(before, str) or not before:
            raise InvalidParam("cursor", "not a cursor this API issued")
    rows = await ctx.call(read_wave_page, ctx.store, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return BanWavePage(
        items=[BanWaveSummary(**_summary(r)) for r in rows],
        next_cursor=cursors.encode({"k": rows[-1]["wave_id"]}) if more else None,
    )


def _json(raw: Any) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def wave_csv(wave_id: str, entries: list[dict[str, Any]]) -> str:
    """The wave as the CSV of the spec: ``reasons`` joined by ';'."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for e in entries:
        w.writerow([wave_id, e["account_id"], e.get("cluster_id") or "",
                    "" if e.get("cluster_risk") is None else e["cluster_risk"],
                    ";".join(e.get("reasons") or [])])
    return buf.getvalue()


@router.get(
    "/v1/banwaves/{wave_id}",
    response_model=BanWaveDetail,
    summary="One ban wave: parameters, evidence and every account (JSON, or CSV with Accept: text/csv)",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"},
                                       "example": "wave_id,account_id,cluster_id,cluster_risk,reasons\n"
                                                  "wave-0002,r01,c-000001,0.93,prepaid_card_shared;proxy_provider\n"}}},
        **error_responses(404),
    },
)
async def get_banwave(
    wave_id: WaveId, key: ReadKey, ctx: Ctx,
    accept: Annotated[str | None, Header(max_length=1024)] = None,
) -> BanWaveDetail | Response:
    row = await ctx.call(read_wave, ctx.store, wave_id)
    if row is None:
        raise NotFound(f"no ban wave {wave_id!r}")
    entries = [e for e in row.get("entries") or [] if e]
    if accept and "text/csv" in accept.lower():
        return Response(
            wave_csv(row["wave_id"], entries), media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{row["wave_id"]}.csv"'},
        )
    params = _json(row.get("params_json"))
    return BanWaveDetail(
        **_summary(row),
        params=params if isinstance(params, dict) else None,
        evidence=_json(row.get("evidence_json")),
        entries=[BanWaveEntry(account_id=e["account_id"], cluster_id=e.get("cluster_id"),
                              cluster_risk=e.get("cluster_risk"), reasons=e.get("reasons") or [])
                 for e in entries],
    )
