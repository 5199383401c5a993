"""``POST /v1/signup-check``: risk of a sign-up in progress, from memory only."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Index, SignupKey
from api.models import (
    AUTH_ERRORS,
    IpSignals,
    SignupCheckRequest,
    SignupCheckResponse,
    Thresholds,
    TouchedCluster,
)
from graphlink.signup import Signup, score_signup

router = APIRouter(responses=AUTH_ERRORS, tags=["signup"])


@router.post(
    "/v1/signup-check",
    response_model=SignupCheckResponse,
    summary="Score a sign-up in progress against known rings",
    
)
async def signup_check(body: SignupCheckRequest, key: SignupKey, index: Index) -> SignupCheckResponse:
    """Works for an account that does not exist yet: the IP, instrument, device and other
    identifiers are looked up in the current run's index (thing -> clusters), never in Neo4j.
    Reason codes: `ip_in_ring`, `instrument_in_ring`, `device_in_ring`, `identifier_in_ring`,
    `email_domain_in_ring`, `proxy_provider`, `datacenter_ip`, `entry_point_plan`, `ring_burst`.
    """
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
    return SignupCheckResponse(
        run_id=index.run_id,
        risk=a.risk,
        decision=a.decision,  # type: ignore[arg-type]
        thresholds=Thresholds(**a.thresholds),
        reasons=a.reasons,
        clusters=[
            TouchedCluster(
                cluster_id=t.cluster.cluster_id, risk=t.cluster.risk, size=t.cluster.size,
                reasons=list(t.cluster.reasons), matched_on=list(t.matched_on),
                evidence=t.evidence,
            )
            for t in a.clusters
        ],
        ip=IpSignals(proxy_provider=a.ip_flags.proxy_provider, is_datacenter=a.ip_flags.is_datacenter)
        if a.ip_flags else None,
    )
