"""Score a sign-up in progress against the rings of the current detection run.

The point of a sign-up check is an account that does not exist yet: the only
things known are what the sign-up form and the request carry (IP, payment
instrument fingerprint, device, other identifiers, e-mail domain, plan).  So
the question becomes "which known clusters already use these things?", which
needs only a reverse index of the current run: thing -> clusters.

:class:`RunIndex` is that index, built once per detection run from plain rows
(the API loads them from Neo4j, tests may pass lists) and then only read, so a
process can swap a whole new index in by reference when a new run completes:
every request sees one run, never a mix.  It holds only what touches a
cluster (members, their IPs, instruments and identifiers) plus flagged
(proxy/datacenter) IPs, which keeps it small even at millions of accounts.

:func:`score_signup` is a pure function of an index and a sign-up.

>>> idx = build_index("run-1", clusters=[("c-1", 0.9, 3, ["shared_payment"])],
...                   members=[("a", "c-1", 0.9, [], "free", None)],
...                   instruments=[("pi-1", "c-1")])
>>> r = score_signup(idx, Signup(payment_instrument="pi-1"))
>>> r.decision, r.reasons
('block', ['instrument_in_ring'])
>>> score_signup(idx, Signup(payment_instrument="pi-other")).decision
'allow'
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

#: Decision thresholds on the risk score: below REVIEW allow, from BLOCK on block.
REVIEW_AT = 0.4
BLOCK_AT = 0.75

#: How much a match on each kind of thing says about belonging to a ring.  A
#: payment instrument or a device is rarely shared by strangers; an IP is
#: (NAT, mobile carriers, proxies); a mail domain much more so.
LINK_WEIGHTS: dict[str, float] = {
    "payment_instrument": 0.95,
    "device": 0.9,
    "identifier": 0.8,
    "ip": 0.7,
    "email_domain": 0.35,
}
#: Reason code emitted for a match on each kind.
LINK_REASONS: dict[str, str] = {
    "payment_instrument": "instrument_in_ring",
    "device": "device_in_ring",
    "identifier": "identifier_in_ring",
    "ip": "ip_in_ring",
    "email_domain": "email_domain_in_ring",
}
#: Independent signals that raise risk without a ring match.
FLAG_WEIGHTS: dict[str, float] = {
    "proxy_provider": 0.3,
    "datacenter_ip": 0.15,
    "entry_point_plan": 0.1,
    "ring_burst": 0.1,
}
#: A domain counts as a ring's when at least this share of its accounts (and
#: at least DOMAIN_MIN_CLUSTERED of them) sit in clusters of the run.
DOMAIN_MIN_SHARE = 0.5
DOMAIN_MIN_CLUSTERED = 3
#: At most this many touched clusters are reported (the riskiest).
MAX_CLUSTERS_REPORTED = 20


class ClusterInfo(NamedTuple):
    cluster_id: str
    risk: float
    size: int
    reasons: tuple[str, ...]
    dominant_plan: str | None


class Membership(NamedTuple):
    cluster_id: str
    account_risk: float
    reasons: tuple[str, ...]


class IpFlags(NamedTuple):
    proxy_provider: str | None
    is_datacenter: bool


@dataclass(frozen=True)
class RunIndex:
    """Reverse index of one detection run (read-only once built)."""

    run_id: str
    run_created_at: datetime | None
    clusters: dict[str, ClusterInfo]
    #: clusters by risk descending, then id: the order of ``GET /v1/clusters``.
    ranked: tuple[ClusterInfo, ...]
    accounts: dict[str, Membership]
    ip_clusters: dict[str, tuple[str, ...]]
    instrument_clusters: dict[str, tuple[str, ...]]
    identifier_clusters: dict[str, tuple[str, ...]]
    domain_clusters: dict[str, tuple[str, ...]]
    ip_flags: dict[str, IpFlags]

    def sizes(self) -> dict[str, int]:
        return {
            "clusters": len(self.clusters),
            "accounts": len(self.accounts),
            "ips": len(self.ip_clusters),
            "instruments": len(self.instrument_clusters),
            "identifiers": len(self.identifier_clusters),
            "domains": len(self.domain_clusters),
            "flagged_ips": len(self.ip_flags),
        }


def _group(pairs: Iterable[tuple[str, str]], known: dict[str, ClusterInfo]) -> dict[str, tuple[str, ...]]:
    acc: dict[str, set[str]] = defaultdict(set)
    for thing, cluster_id in pairs:
        if thing is not None and cluster_id in known:
            acc[thing].add(cluster_id)
    # Sorted riskiest first so a capped report keeps the important ones.
    return {
        k: tuple(sorted(v, key=lambda c: (-known[c].risk, c))) for k, v in acc.items()
    }


def build_index(
    run_id: str,
    *,
    run_created_at: datetime | None = None,
    clusters: Iterable[tuple[str, float, int, list[str] | None]],
    members: Iterable[tuple[str, str, float | None, list[str] | None, str | None, str | None]] = (),
    ips: Iterable[tuple[str, str]] = (),
    instruments: Iterable[tuple[str, str]] = (),
    identifiers: Iterable[tuple[str, str]] = (),
    flagged_ips: Iterable[tuple[str, str | None, bool | None]] = (),
    domain_totals: Iterable[tuple[str, int]] = (),
) -> RunIndex:
    """Build the index of run ``run_id`` from rows.

    ``clusters``: (cluster_id, risk, size, reasons); ``members``: (account_id,
    cluster_id, account_risk, reasons, plan, email_domain); ``ips`` /
    ``instruments`` / ``identifiers``: (thing, cluster_id) with identifiers keyed
    ``kind:value``; ``flagged_ips``: (ip, proxy_provider, is_datacenter);
    ``domain_totals``: (email_domain, number of accounts with it).
    """
    raw = {
        cid: (float(risk or 0.0), int(size or 0), tuple(reasons or ()))
        for cid, risk, size, reasons in clusters
    }
    accounts: dict[str, Membership] = {}
    plans: dict[str, Counter[str]] = defaultdict(Counter)
    domain_members: dict[str, Counter[str]] = defaultdict(Counter)
    for account_id, cid, arisk, reasons, plan, domain in members:
        if cid not in raw:
            continue
        accounts[account_id] = Membership(
            cid, float(arisk if arisk is not None else raw[cid][0]), tuple(reasons or ())
        )
        if plan:
            plans[cid][plan] += 1
        if domain:
            domain_members[domain.lower()][cid] += 1
    infos = {
        cid: ClusterInfo(
            cid, risk, size, reasons, plans[cid].most_common(1)[0][0] if plans.get(cid) else None
        )
        for cid, (risk, size, reasons) in raw.items()
    }
    totals = {d.lower(): int(n) for d, n in domain_totals if d}
    domains: dict[str, tuple[str, ...]] = {}
    for domain, per_cluster in domain_members.items():
        clustered = sum(per_cluster.values())
        total = max(totals.get(domain, clustered), clustered)
        if clustered >= DOMAIN_MIN_CLUSTERED and clustered / total >= DOMAIN_MIN_SHARE:
            domains[domain] = tuple(sorted(per_cluster, key=lambda c: (-infos[c].risk, c)))
    flags = {
        ip: IpFlags(provider or None, bool(dc))
        for ip, provider, dc in flagged_ips
        if provider or dc
    }
    return RunIndex(
        run_id=run_id,
        run_created_at=run_created_at,
        clusters=infos,
        ranked=tuple(sorted(infos.values(), key=lambda c: (-c.risk, c.cluster_id))),
        accounts=accounts,
        ip_clusters=_group(ips, infos),
        instrument_clusters=_group(instruments, infos),
        identifier_clusters=_group(identifiers, infos),
        domain_clusters=domains,
        ip_flags=flags,
    )


@dataclass(frozen=True)
class Signup:
    """What is known about a sign-up in progress (everything optional).

    ``ip`` must already be normalised (``str(ipaddress.ip_address(x))``) and
    ``identifiers`` keyed ``kind:value`` like ``Identifier.key`` in the graph.
    """

    email_domain: str | None = None
    ip: str | None = None
    payment_instrument: str | None = None
    device: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    plan: str | None = None


@dataclass(frozen=True)
class TouchedCluster:
    cluster: ClusterInfo
    matched_on: tuple[str, ...]
    evidence: float


@dataclass(frozen=True)
class Assessment:
    risk: float
    decision: str
    reasons: list[str]
    clusters: list[TouchedCluster]
    ip_flags: IpFlags | None = None
    thresholds: dict[str, float] = field(
        default_factory=lambda: {"review": REVIEW_AT, "block": BLOCK_AT}
    )


def decide(risk: float) -> str:
    """allow / review / block for a risk score, by the module's thresholds."""
    if risk >= BLOCK_AT:
        return "block"
    if risk >= REVIEW_AT:
        return "review"
    return "allow"


def score_signup(index: RunIndex, signup: Signup) -> Assessment:
    """Risk in [0, 1] of a sign-up, with reason codes and the clusters it touches.

    Each touched cluster contributes ``risk * (1 - prod(1 - w_kind))`` over the
    kinds of things it shares with the sign-up; contributions and the flags
    (proxy, datacenter, entry-point plan, ring burst) combine as independent
    evidence, ``1 - prod(1 - p)``, so more evidence never lowers the score.
    """
    matched: dict[str, list[str]] = {}

    def touch(kind: str, cluster_ids: tuple[str, ...] | None) -> None:
        for cid in cluster_ids or ():
            matched.setdefault(cid, []).append(kind)

    if signup.ip is not None:
        touch("ip", index.ip_clusters.get(signup.ip))
    if signup.payment_instrument is not None:
        touch("payment_instrument", index.instrument_clusters.get(signup.payment_instrument))
    if signup.device is not None:
        touch("device", index.identifier_clusters.get("device:" + signup.device))
    for kind, value in signup.identifiers:
        touch("device" if kind == "device" else "identifier",
              index.identifier_clusters.get(kind + ":" + value))
    if signup.email_domain is not None:
        touch("email_domain", index.domain_clusters.get(signup.email_domain.lower()))

    reasons: list[str] = []
    touched: list[TouchedCluster] = []
    clean = 1.0
    for cid, kinds in matched.items():
        info = index.clusters[cid]
        kinds_u = tuple(dict.fromkeys(kinds))
        miss = 1.0
        for k in kinds_u:
            miss *= 1.0 - LINK_WEIGHTS[k]
            code = LINK_REASONS[k]
            if code not in reasons:
                reasons.append(code)
        evidence = info.risk * (1.0 - miss)
        clean *= 1.0 - evidence
        touched.append(TouchedCluster(info, kinds_u, round(evidence, 4)))

    flags = index.ip_flags.get(signup.ip) if signup.ip is not None else None
    raised: list[str] = []
    if flags is not None:
        if flags.proxy_provider:
            raised.append("proxy_provider")
        if flags.is_datacenter:
            raised.append("datacenter_ip")
    if touched:
        if signup.plan and any(t.cluster.dominant_plan == signup.plan for t in touched):
            raised.append("entry_point_plan")
        if any("signup_burst" in t.cluster.reasons for t in touched):
            raised.append("ring_burst")
    for code in raised:
        clean *= 1.0 - FLAG_WEIGHTS[code]
        reasons.append(code)

    risk = round(min(1.0, max(0.0, 1.0 - clean)), 4)
    touched.sort(key=lambda t: (-t.evidence, t.cluster.cluster_id))
    return Assessment(
        risk=risk,
        decision=decide(risk),
        reasons=reasons,
        clusters=touched[:MAX_CLUSTERS_REPORTED],
        ip_flags=flags,
    )
