"""``GET /v1/clusters``, ``/v1/clusters/{id}`` and ``/v1/clusters/{id}/members``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from graphlink.api import cursors
from graphlink.api.deps import Ctx, Index, ReadKey, Snap
from graphlink.api.evidence import generation
from graphlink.api.models import (
    AUTH_ERRORS,
    ClusterPage,
    ClusterRef,
    ClusterResponse,
    Evidence,
    IdentifierEvidence,
    InstrumentEvidence,
    IpEvidence,
    Member,
    MemberPage,
    ProviderEvidence,
    SimilarityEvidence,
    error_responses,
)
from graphlink.errors import InvalidParam, NotFound
from graphlink.store import GraphStore

router = APIRouter(responses=AUTH_ERRORS, tags=["investigate"])

ClusterId = Annotated[str, Path(min_length=1, max_length=128, description="e.g. c-000123")]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
#: Cluster-list cursor: (run, position in that run's ranking).
LIST_CURSOR = ("c", (str, int))
#: Member cursor: (run, last account id of the previous page).
MEMBER_CURSOR = ("m", (str, str))
ListCursor = Annotated[str | None, Query(
    pattern=cursors.pattern(*LIST_CURSOR),
    description="`next_cursor` of the previous page (format: `c.<run>.<position>`)")]
MemberCursor = Annotated[str | None, Query(
    pattern=cursors.pattern(*MEMBER_CURSOR),
    description="`next_cursor` of the previous page (format: `m.<run>.<account>`)")]
#: Entries per evidence list in a cluster summary.
EVIDENCE_LIMIT = 20


class StaleCursor(InvalidParam):
    status = 409
    code = "stale_cursor"


@router.get(
    "/v1/clusters",
    response_model=ClusterPage,
    summary="Clusters of the current run, riskiest first",
    responses=error_responses(409),
)
async def list_clusters(
    key: ReadKey,
    index: Index,
    min_risk: Annotated[
        float, Query(ge=0, le=1, description="only clusters at least this risky")
    ] = 0.0,
    limit: Limit = 50,
    cursor: ListCursor = None,
) -> ClusterPage:
    """Pages come from the in-memory index of one run; a cursor issued for another run is
    refused with 409 (start again without a cursor) so that pages never mix runs."""
    ranked = index.ranked
    start = 0
    if cursor is not None:
        run_id, position = cursors.decode(cursor, *LIST_CURSOR)
        if run_id != index.run_id:
            raise StaleCursor(
                "cursor",
                f"issued for run {run_id!r}; the current run is "
                f"{index.run_id!r}: start again without a cursor",
            )
        start = int(position)
    page = []
    for ci in ranked[start : start + limit + 1]:
        if ci.risk < min_risk:
            break
        page.append(ci)
    more = len(page) > limit
    page = page[:limit]
    return ClusterPage(
        run_id=index.run_id,
        items=[
            ClusterRef(
                cluster_id=ci.cluster_id, risk=ci.risk, size=ci.size, reasons=list(ci.reasons)
            )
            for ci in page
        ],
        next_cursor=cursors.encode(LIST_CURSOR[0], index.run_id, start + len(page))
        if more
        else None,
    )


def read_evidence(store: GraphStore, run_id: str, cluster_id: str) -> dict[str, Any] | None:
    rows = store.read(
        "api/cluster_evidence", run_id=run_id, cluster_id=cluster_id, limit=EVIDENCE_LIMIT
    )
    return rows[0] if rows else None


def _features(raw: Any) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


@router.get(
    "/v1/clusters/{cluster_id}",
    response_model=ClusterResponse,
    summary="A cluster of the current run: summary and the evidence that links its members",
    responses=error_responses(404),
)
async def get_cluster(cluster_id: ClusterId, key: ReadKey, ctx: Ctx, snap: Snap) -> ClusterResponse:
    """From memory: the summary comes from the run index, the evidence from the summaries the
    service precomputes in the background, largest clusters first (:mod:`graphlink.api.evidence`); a
    cluster not warmed yet costs one bounded query (then cached)."""
    index = snap.index
    info = index.clusters.get(cluster_id)
    if info is None:
        raise NotFound(f"no cluster {cluster_id!r} in the current run {index.run_id!r}")
    gen = generation(snap)
    row = ctx.evidence.get(gen, cluster_id)
    if row is None:
        row = await ctx.call(read_evidence, ctx.store, index.run_id, cluster_id) or {}
        ctx.evidence.put(gen, cluster_id, row)
    return ClusterResponse(
        run_id=index.run_id,
        cluster_id=info.cluster_id,
        risk=info.risk,
        size=info.size,
        reasons=list(info.reasons),
        dominant_plan=info.dominant_plan,
        parent_cluster_id=row.get("parent_cluster_id"),
        features=_features(row.get("features_json")),
        evidence=Evidence(
            shared_instruments=[InstrumentEvidence(**r) for r in row.get("instruments") or []],
            shared_ips=[IpEvidence(**r) for r in row.get("ips") or []],
            proxy_providers=[ProviderEvidence(**r) for r in row.get("providers") or []],
            shared_identifiers=[IdentifierEvidence(**r) for r in row.get("identifiers") or []],
            similarity=[SimilarityEvidence(**r) for r in row.get("similarity") or []],
        ),
    )


def read_members(
    store: GraphStore, run_id: str, cluster_id: str, after: str, limit: int
) -> list[dict[str, Any]]:
    return store.read(
        "api/cluster_members", run_id=run_id, cluster_id=cluster_id, after=after, limit=limit
    )


@router.get(
    "/v1/clusters/{cluster_id}/members",
    response_model=MemberPage,
    summary="Members of a cluster, by account id, one page at a time",
    responses=error_responses(404),
)
async def cluster_members(
    cluster_id: ClusterId,
    key: ReadKey,
    ctx: Ctx,
    index: Index,
    limit: Limit = 100,
    cursor: MemberCursor = None,
) -> MemberPage:
    """The cursor pins the detection run of the first page, so paging through a cluster while
    a new run completes still lists that run's members exactly once."""
    if cursor is None:
        if cluster_id not in index.clusters:
            raise NotFound(f"no cluster {cluster_id!r} in the current run {index.run_id!r}")
        run_id, after = index.run_id, ""
    else:
        run, last = cursors.decode(cursor, *MEMBER_CURSOR)
        run_id, after = str(run), str(last)
    rows = await ctx.call(read_members, ctx.store, run_id, cluster_id, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return MemberPage(
        run_id=run_id,
        cluster_id=cluster_id,
        items=[
            Member(
                account_id=r["account_id"],
                account_risk=r.get("account_risk"),
                reasons=r.get("reasons") or [],
                plan=r.get("plan"),
                country=r.get("country"),
                created_at=r.get("created_at"),
                status=r.get("status"),
            )
            for r in rows
        ],
        next_cursor=cursors.encode(MEMBER_CURSOR[0], run_id, rows[-1]["account_id"])
        if more
        else None,
    )
