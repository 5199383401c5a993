"""Score a sign-up in progress against the rings of the current detection run.

The point of a sign-up check is an account that does not exist yet: the only
things known are what the sign-up form and the request carry (IP, payment
instrument fingerprint, device, other identifiers, e-mail domain, plan).  So
the question becomes "which known clusters already use these things, and how
specific to them is each thing?", which needs a reverse index of the current
run: thing -> (accounts using it, clusters using it and how many of their
members).

Evidence knows what is common
-----------------------------
A thing says a newcomer belongs to cluster ``c`` as much as the thing is
*specific* to ``c``: of the accounts that use it, what share are members of
``c``.  With ``n`` accounts using the thing, ``m`` of them members of ``c``::

    specificity(thing, c) = m / (n + PRIOR_USERS)

(``PRIOR_USERS`` = 1 counts the newcomer itself as one more user of unknown
kind, so a thing seen once is not yet certain).  A prepaid card shared by 20
ring members and nobody else gives 20/21; a mobile-carrier (CGNAT) address
used by 30,000 accounts of whom 200 are ring members gives 0.0067, however
many ring clusters those 200 fall into.  Per cluster the things a sign-up
shares with it combine as independent evidence, ``1 - prod(1 - s)``, and
the cluster's contribution is ``risk(c) x that``: the probability the
newcomer is one of the cluster's members times the probability the cluster
is a ring.  The sign-up's risk is the *largest* contribution over clusters,
never a product over every cluster touched through one hub, so a shared
address adds no evidence by being a hub.

Flags (proxy provider, datacenter address) are the same reasoning one level
up: the share of ring members (weighted by cluster risk) among the users of
the provider's addresses (or of all datacenter addresses), measured on the
run's own population when the index is built.  It is the prior a known
address's own users are measured against, so its weight is
``PRIOR_USERS x base / (n + PRIOR_USERS)``: decisive for an exit nobody is
known on, negligible for one whose thousands of users are known.

Decisions
---------
``risk >= BLOCK_AT`` blocks, ``>= REVIEW_AT`` sends to review, except that an
address alone never blocks (addresses are shared by strangers by design: only a
ring something else ties the sign-up to can block; see :func:`score_signup`).  Both are in
the unit of the score (cluster risk x specificity) and were set from the
held-out-newcomer replay (``graphlink evaluate --signups``, ``docs/signup.md``),
which prints the operating point of any snapshot.

:class:`RunIndex` is built once per detection run from plain rows (the API
loads them from Neo4j, :mod:`graphlink.signup_eval` derives them from frames;
both call :func:`build_index`), then only read, so a process can swap a whole
new index in by reference when a new run completes.

>>> idx = build_index("run-1", clusters=[("c-1", 0.9, 3, ["shared_payment"])],
...                   members=[("a", "c-1", 0.9, [], "free", None)],
...                   instruments=[("pi-1", "c-1", 9, 9)])
>>> r = score_signup(idx, Signup(payment_instrument="pi-1"))
>>> r.decision, r.reasons, r.risk
('block', ['instrument_in_ring'], 0.81)
>>> score_signup(idx, Signup(payment_instrument="pi-other")).decision
'allow'
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from graphlink.banwave import (
    DEFAULT_OWN_DOMAIN_SHARE,
    DEFAULT_VERIFIED_ORG_MIN_RISK,
    presents_as_org,
)

#: Decision thresholds on the risk score: below REVIEW allow, from BLOCK on block.
#: In the unit of the score (cluster risk x specificity).  Measured operating point
#: (``docs/signup.md``, ``bench/bench_signup.py``), re-set for the shipped tree model on
#: tuning seeds 1-2 of ``graphlink synth`` only (held-out seeds 11-12 are reported, not
#: tuned on): block at 0.4, the lowest bar those seeds support with benign blocked <= 0.1 %
#: (0.396).  Review stays at 0.3, above the 0.056 the review budget (3 %) would allow: a
#: mobile-carrier newcomer on the ring's webmail domain and plan scores 0.056
#: (``tests/test_signup_api.py``), and reviewing carriers is what this check must not do;
#: reviewing from 0.05 caught +0.02 of ring newcomers.
REVIEW_AT = 0.3
BLOCK_AT = 0.4

#: Pseudo-count of the newcomer itself among a thing's users (see module docstring).
PRIOR_USERS = 1.0

#: Reason code emitted for a match on each kind of thing.
LINK_REASONS: dict[str, str] = {
    "payment_instrument": "instrument_in_ring",
    "device": "device_in_ring",
    "identifier": "identifier_in_ring",
    "ip": "ip_in_ring",
    "email_domain": "email_domain_in_ring",
}
#: A match is reported (reason code, touched cluster) only from this specificity on:
#: below it the thing is common, not the ring's (a carrier address, a webmail domain).
MIN_REPORTED_SPECIFICITY = 0.05
#: At most this many touched clusters are reported (the strongest).
MAX_CLUSTERS_REPORTED = 20


class ClusterInfo(NamedTuple):
    cluster_id: str
    risk: float
    size: int
    reasons: tuple[str, ...]
    dominant_plan: str | None
    #: The ring (campaign) the cluster belongs to: its campaign parent's id, else its own.
    ring: str = ""
    #: One organisation on its own e-mail domain (``graphlink.banwave.own_domain_orgs``'s
    #: rule, from the members' domains and the domain totals) below the verified-org bar:
    #: a ban wave reviews its members rather than banning them, so a tie to it alone
    #: never blocks a sign-up either (a new hire of a company is such a sign-up).
    protected_org: bool = False


class Membership(NamedTuple):
    cluster_id: str
    account_risk: float
    reasons: tuple[str, ...]


class IpFlags(NamedTuple):
    proxy_provider: str | None
    is_datacenter: bool


class Thing(NamedTuple):
    """One IP / instrument / identifier / domain touched by clusters of the run."""

    #: Accounts using the thing in the whole store (clustered or not).
    accounts: int
    #: Clusters of the run some member of which uses it (strongest first) ...
    clusters: tuple[str, ...]
    #: ... and how many of each cluster's members use it.
    members: tuple[int, ...]


class FlagPrior(NamedTuple):
    """A flagged IP's users and the prior its flag carries (see module docstring)."""

    flags: IpFlags
    accounts: int
    base: float


@dataclass(frozen=True)
class RunIndex:
    """Reverse index of one detection run (read-only once built)."""

    run_id: str
    run_created_at: datetime | None
    clusters: dict[str, ClusterInfo]
    #: clusters by risk descending, then id: the order of ``GET /v1/clusters``.
    ranked: tuple[ClusterInfo, ...]
    accounts: dict[str, Membership]
    ip_clusters: dict[str, Thing]
    instrument_clusters: dict[str, Thing]
    identifier_clusters: dict[str, Thing]
    domain_clusters: dict[str, Thing]
    ip_flags: dict[str, FlagPrior]
    #: Ring share (risk-weighted) among users of each provider / of datacenter addresses.
    flag_base: dict[str, float] = field(default_factory=dict)

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


#: A (thing, cluster) row: ``(thing, cluster_id)`` (one member, no outside user known)
#: or ``(thing, cluster_id, members, accounts)``.
ThingRow = Sequence[Any]


def _things(rows: Iterable[ThingRow], known: dict[str, ClusterInfo]) -> dict[str, Thing]:
    members: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = {}
    for row in rows:
        thing, cid = row[0], row[1]
        if thing is None or cid not in known:
            continue
        m = int(row[2]) if len(row) > 2 and row[2] is not None else 1
        per = members[thing]
        per[cid] = per.get(cid, 0) + m
        if len(row) > 3 and row[3] is not None:
            totals[thing] = max(totals.get(thing, 0), int(row[3]))
    return {thing: _thing(per, totals.get(thing, 0), known) for thing, per in members.items()}


def _thing(per: dict[str, int], total: int, known: dict[str, ClusterInfo]) -> Thing:
    # Strongest first (risk x members), so a capped report keeps the important ones.
    order = sorted(per, key=lambda c: (-known[c].risk * per[c], c))
    # A store's count can lag its members (or be missing): never fewer users than members.
    n = max(total, sum(per.values()))
    return Thing(n, tuple(known[c].cluster_id for c in order), tuple(per[c] for c in order))


def _ring_mass(t: Thing, known: dict[str, ClusterInfo]) -> float:
    return sum(known[c].risk * m for c, m in zip(t.clusters, t.members))


#: Key of the datacenter class in :attr:`RunIndex.flag_base` (providers use their name).
DATACENTER = "datacenter"


def _flag_priors(
    flagged_ips: Iterable[Sequence[Any]], ips: dict[str, Thing], known: dict[str, ClusterInfo]
) -> tuple[dict[str, FlagPrior], dict[str, float]]:
    """Flagged IPs with their users, and each flag class's ring share on this run."""
    rows: list[tuple[str, IpFlags, int]] = []
    mass: dict[str, float] = defaultdict(float)
    users: dict[str, int] = defaultdict(int)
    for row in flagged_ips:
        ip, dc = row[0], row[2] is True or row[2] == 1
        provider = row[1] if isinstance(row[1], str) and row[1].strip() else None
        if not (provider or dc) or ip is None:
            continue
        t = ips.get(ip)
        n = int(row[3]) if len(row) > 3 and row[3] is not None else 0
        n = max(n, t.accounts if t else 0)
        flags = IpFlags(provider, dc)
        cls = flags.proxy_provider or DATACENTER
        users[cls] += n
        mass[cls] += _ring_mass(t, known) if t else 0.0
        rows.append((ip, flags, n))
    base = {cls: mass[cls] / (users[cls] + PRIOR_USERS) for cls in users}
    priors = {ip: FlagPrior(flags, n, base[flags.proxy_provider or DATACENTER])
              for ip, flags, n in rows}
    return priors, base


def build_index(
    run_id: str,
    *,
    run_created_at: datetime | None = None,
    clusters: Iterable[Sequence[Any]],
    members: Iterable[tuple[str, str, float | None, list[str] | None, str | None, str | None]] = (),
    ips: Iterable[ThingRow] = (),
    instruments: Iterable[ThingRow] = (),
    identifiers: Iterable[ThingRow] = (),
    flagged_ips: Iterable[Sequence[Any]] = (),
    domain_totals: Iterable[tuple[str, int]] = (),
) -> RunIndex:
    """Build the index of run ``run_id`` from rows.

    ``clusters``: (cluster_id, risk, size, reasons[, parent_cluster_id]); ``members``: (account_id,
    cluster_id, account_risk, reasons, plan, email_domain); ``ips`` /
    ``instruments`` / ``identifiers``: (thing, cluster_id, members of the cluster
    using it, accounts using it), identifiers keyed ``kind:value``;
    ``flagged_ips``: (ip, proxy_provider, is_datacenter, accounts using it);
    ``domain_totals``: (email_domain, number of accounts with it).
    """
    raw = {
        row[0]: (float(row[1] or 0.0), int(row[2] or 0), tuple(row[3] or ()),
                 str(row[4]) if len(row) > 4 and row[4] else row[0])
        for row in clusters
    }
    accounts: dict[str, Membership] = {}
    plans: dict[str, Counter[str]] = defaultdict(Counter)
    domain_rows: Counter[tuple[str, str]] = Counter()
    for account_id, cid, arisk, reasons, plan, domain in members:
        if cid not in raw:
            continue
        accounts[account_id] = Membership(
            cid, float(arisk if arisk is not None else raw[cid][0]), tuple(reasons or ())
        )
        if plan:
            plans[cid][plan] += 1
        if domain:
            domain_rows[(domain.lower(), cid)] += 1
    totals = {d.lower(): int(n) for d, n in domain_totals if d}
    top_domain: dict[str, tuple[int, int]] = {}
    for (d, cid), m in domain_rows.items():
        if m > top_domain.get(cid, (0, 0))[0]:
            top_domain[cid] = (m, max(totals.get(d, 0), m))
    infos = {
        cid: ClusterInfo(
            cid, risk, size, reasons, plans[cid].most_common(1)[0][0] if plans.get(cid) else None,
            ring if ring in raw else cid,
            protected_org=(risk < DEFAULT_VERIFIED_ORG_MIN_RISK and cid in top_domain
                           and presents_as_org(top_domain[cid][0] / max(size, 1),
                                               top_domain[cid][0] / top_domain[cid][1],
                                               DEFAULT_OWN_DOMAIN_SHARE)),
        )
        for cid, (risk, size, reasons, ring) in raw.items()
    }
    ip_things = _things(ips, infos)
    flags, base = _flag_priors(flagged_ips, ip_things, infos)
    return RunIndex(
        run_id=run_id,
        run_created_at=run_created_at,
        clusters=infos,
        ranked=tuple(sorted(infos.values(), key=lambda c: (-c.risk, c.cluster_id))),
        accounts=accounts,
        ip_clusters=ip_things,
        instrument_clusters=_things(instruments, infos),
        identifier_clusters=_things(identifiers, infos),
        domain_clusters=_things(((d, c, m, totals.get(d)) for (d, c), m in domain_rows.items()),
                                infos),
        ip_flags=flags,
        flag_base=base,
    )


@dataclass(frozen=True)
class Signup:
    """What is known about a sign-up in progress (everything optional).

    ``ip`` must already be normalised (:func:`graphlink.ipnorm.normalize_ip`) and
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
    #: This cluster's contribution: risk x specificity.
    evidence: float
    #: How specific the shared things are to this cluster combined (0..1).
    specificity: float = 0.0


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
    #: The part of ``risk`` the IP's flags carry (0 when none).
    flag_evidence: float = 0.0
    #: The risk that may block: rings only an address ties the sign-up to left out.
    block_risk: float = 0.0


def decide(risk: float, block_risk: float | None = None) -> str:
    """allow / review / block for a risk score, by the module's thresholds.

    ``block_risk``: the part of the risk that may block (rings something other than an
    address ties the sign-up to, see :func:`score_signup`); default: all of it.
    """
    if risk >= BLOCK_AT and (block_risk is None or block_risk >= BLOCK_AT):
        return "block"
    if risk >= REVIEW_AT:
        return "review"
    return "allow"


def matched_things(index: RunIndex, signup: Signup) -> list[tuple[str, Thing]]:
    """The (kind, thing) entries of the index the sign-up shares (kind as in LINK_REASONS)."""
    out: list[tuple[str, Thing]] = []

    def add(kind: str, t: Thing | None) -> None:
        if t is not None:
            out.append((kind, t))

    if signup.ip is not None:
        add("ip", index.ip_clusters.get(signup.ip))
    if signup.payment_instrument is not None:
        add("payment_instrument", index.instrument_clusters.get(signup.payment_instrument))
    seen: set[str] = set()
    devices = [signup.device] if signup.device is not None else []
    pairs = [("device", d) for d in devices] + list(signup.identifiers)
    for kind, value in pairs:
        key = kind + ":" + value
        if key in seen:
            continue
        seen.add(key)
        add("device" if kind == "device" else "identifier", index.identifier_clusters.get(key))
    if signup.email_domain is not None:
        add("email_domain", index.domain_clusters.get(signup.email_domain.lower()))
    return out


def score_signup(index: RunIndex, signup: Signup) -> Assessment:
    """Risk in [0, 1] of a sign-up, with reason codes and the clusters it touches.

    Per ring (a campaign's clusters together; a cluster on its own otherwise):
    ``risk x (1 - prod(1 - m / (n + PRIOR_USERS)))`` over the things the sign-up
    shares with it (``m`` of the ring's members among the ``n`` accounts using
    the thing; ``risk`` the ring's clusters' risk weighted by those members).
    The sign-up's ring evidence is the largest of these, combined with the IP
    flags' prior as independent evidence.  More evidence never lowers the
    score; a hub adds nothing by touching many clusters.  Each touched cluster
    is reported with its own evidence (same formula, its own members).

    An address alone never blocks: addresses are shared by strangers by design
    (NAT, carriers, VPN and proxy exits), so only rings that something else
    (instrument, device, identifier, e-mail domain; at least
    MIN_REPORTED_SPECIFICITY specific) ties the sign-up to count for ``block``;
    an address-only match at block strength goes to review (``address_only``).
    Likewise a ring whose every cluster the sign-up touches is one organisation on
    its own domain below the verified-org bar (:attr:`ClusterInfo.protected_org`):
    a ban wave reviews such members, so the sign-up goes to review
    (``own_domain_org``), not to block.
    """
    c_miss: dict[str, float] = {}
    c_kinds: dict[str, list[str]] = {}
    r_miss: dict[str, float] = {}
    r_mass: dict[str, float] = {}
    r_members: dict[str, int] = {}
    r_tied: set[str] = set()  # rings something other than an address ties the sign-up to
    org_tie = False  # something other than an address ties it to a protected org
    clusters = index.clusters
    for kind, t in matched_things(index, signup):
        denom = t.accounts + PRIOR_USERS
        per_ring: dict[str, int] = {}
        per_ring_open: dict[str, int] = {}  # ... of those, members of unprotected clusters
        for cid, m in zip(t.clusters, t.members):
            info = clusters[cid]
            s = m / denom
            c_miss[cid] = c_miss.get(cid, 1.0) * (1.0 - s)
            if s >= MIN_REPORTED_SPECIFICITY:
                c_kinds.setdefault(cid, []).append(kind)
            ring = info.ring or cid
            per_ring[ring] = per_ring.get(ring, 0) + m
            r_mass[ring] = r_mass.get(ring, 0.0) + info.risk * m
            r_members[ring] = r_members.get(ring, 0) + m
            if not info.protected_org:
                per_ring_open[ring] = per_ring_open.get(ring, 0) + m
            elif kind != "ip" and m / denom >= MIN_REPORTED_SPECIFICITY:
                org_tie = True
        for ring, m in per_ring.items():
            s = min(1.0, m / denom)
            r_miss[ring] = r_miss.get(ring, 1.0) * (1.0 - s)
            if kind != "ip" and per_ring_open.get(ring, 0) / denom >= MIN_REPORTED_SPECIFICITY:
                r_tied.add(ring)

    best = best_tied = 0.0
    for ring, mi in r_miss.items():
        ev = (r_mass[ring] / r_members[ring]) * (1.0 - mi)
        best = max(best, ev)
        if ring in r_tied:
            best_tied = max(best_tied, ev)

    touched: list[TouchedCluster] = []
    reasons: list[str] = []
    for cid, ks in c_kinds.items():
        info = clusters[cid]
        spec = 1.0 - c_miss[cid]
        kinds_u = tuple(dict.fromkeys(ks))
        for k in kinds_u:
            code = LINK_REASONS[k]
            if code not in reasons:
                reasons.append(code)
        touched.append(TouchedCluster(info, kinds_u, round(info.risk * spec, 4), round(spec, 4)))

    prior = index.ip_flags.get(signup.ip) if signup.ip is not None else None
    flag_ev = 0.0
    if prior is not None:
        if prior.flags.proxy_provider:
            reasons.append("proxy_provider")
        if prior.flags.is_datacenter:
            reasons.append("datacenter_ip")
        flag_ev = PRIOR_USERS * prior.base / (prior.accounts + PRIOR_USERS)
    if touched:
        # Context for a reviewer, not evidence: a plan or a burst is shared by too many.
        if signup.plan and any(t.cluster.dominant_plan == signup.plan for t in touched):
            reasons.append("entry_point_plan")
        if any("signup_burst" in t.cluster.reasons for t in touched):
            reasons.append("ring_burst")

    risk = round(min(1.0, max(0.0, 1.0 - (1.0 - best) * (1.0 - flag_ev))), 4)
    block_risk = round(min(1.0, max(0.0, 1.0 - (1.0 - best_tied) * (1.0 - flag_ev))), 4)
    decision = decide(risk, block_risk)
    if risk >= BLOCK_AT and decision != "block":
        reasons.append("own_domain_org" if org_tie else "address_only")
    touched.sort(key=lambda t: (-t.evidence, t.cluster.cluster_id))
    return Assessment(
        risk=risk,
        decision=decision,
        reasons=reasons,
        clusters=touched[:MAX_CLUSTERS_REPORTED],
        ip_flags=prior.flags if prior is not None else None,
        flag_evidence=round(flag_ev, 4),
        block_risk=min(block_risk, risk),
    )
