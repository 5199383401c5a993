"""``POST /v1/signup-check``: risk of a sign-up in progress, from memory only."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from graphlink.api.deps import fast_access
from graphlink.api.models import AUTH_ERRORS, SignupCheckRequest, SignupCheckResponse
from graphlink.signup import Assessment, RunIndex, Signup, score_signup

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _body(run_id: str, a: Assessment) -> dict[str, Any]:
    """The response as plain JSON-ready data, shaped exactly like :class:`SignupCheckResponse`
    (schemathesis checks every response against that schema).  Built by hand because
    constructing and serialising the pydantic models costs more than the whole lookup."""
    flags = a.ip_flags
    return {
        "run_id": run_id,
        "risk": a.risk,
        "decision": a.decision,
        "thresholds": a.thresholds,
        "reasons": a.reasons,
        "clusters": [
            {"cluster_id": t.cluster.cluster_id, "risk": t.cluster.risk, "size": t.cluster.size,
             "reasons": list(t.cluster.reasons), "ring": t.cluster.ring or t.cluster.cluster_id,
             "matched_on": list(t.matched_on), "specificity": t.specificity,
             "evidence": t.evidence}
            for t in a.clusters
        ],
        "ip": {"proxy_provider": flags.proxy_provider, "is_datacenter": flags.is_datacenter}
        if flags else None,
    }


#: The route, and the scope its key needs (also answered by :mod:`graphlink.api.hotpath`).
PATH = "/v1/signup-check"
SCOPE = "signup:check"


def answer(index: RunIndex, body: SignupCheckRequest) -> bytes:
    """The 200 answer's bytes for a validated request: the one function both the route and
    the fast path (:class:`graphlink.api.hotpath.SignupFastPath`) answer with."""
    a = score_signup(
        index,
        Signup(
            email_domain=body.email_domain,
            ip=body.ip,
            payment_instrument=body.payment_instrument,
            device=body.device,
            identifiers=tuple((i.kind, i.value) for i in body.identifiers),
            plan=body.plan,
        ),
    )
    return _dumps(_body(index.run_id, a)).encode()


router = APIRouter(responses=AUTH_ERRORS, tags=["signup"])


@router.post(
    PATH,
    # Serialised here (see _body), documented through ``responses``.
    response_class=Response,
    responses={200: {"model": SignupCheckResponse, "description": "risk, decision hint, reasons"}},
    summary="Score a sign-up in progress against known rings",
    # Auth is checked in the handler (see graphlink.api.deps.fast_access); declared here for
    # OpenAPI.
    openapi_extra={"security": [{"HTTPBearer": []}]},
)
async def signup_check(body: SignupCheckRequest, request: Request) -> Response:
    """Works for an account that does not exist yet: the IP, instrument, device and other
    identifiers are looked up in the current run's index (thing -> clusters), never in Neo4j.
    A shared thing counts as much as it is specific to a ring: the share of the accounts using it
    that are the ring's members (a carrier address shared by thousands counts for next to
    nothing); a campaign's clusters count together as one ring, and the risk is the strongest
    ring's (cluster risk x specificity), combined with the IP's proxy/datacenter prior. An
    address alone never blocks (review instead, reason `address_only`).
    Reason codes: `ip_in_ring`, `instrument_in_ring`, `device_in_ring`, `identifier_in_ring`,
    `email_domain_in_ring`, `proxy_provider`, `datacenter_ip`, `entry_point_plan`, `ring_burst`,
    `address_only`.
    """
    index = (await fast_access(request, SCOPE)).index
    return Response(answer(index, body), media_type="application/json")
