"""Benign accounts, including the hard negatives a naive detector bans.

* **campus**: hundreds of students behind a few NAT addresses, signing up in
  semester-start bursts on the edu plan, with moderately (sometimes highly)
  similar prompt templates: course assignments.
  Research labs inside campuses are the hardest of all: 5-25 students
  sharing a lab card and lab servers (datacenter addresses), running the
  same eval templates in sync and moving to the new model on release day.
* **cgnat**: mobile-carrier customers; thousands of accounts over a small pool
  of carrier addresses.
* **company**: a verified org (``org_id``), team/enterprise plan, one corporate
  card and a few egress addresses (some behind a corporate secure web gateway,
  a datacenter "proxy provider"), onboarded together, working in sync.
* **family**: 2-6 accounts sharing a card, a home address, sometimes a device.
* **vpn_user**: ordinary people on the *same* VPN/proxy providers the rings use.
* **heavy_user**: many requests, cloud (datacenter) addresses, early adopters
  of the new model on release day.
* **cohort**: a course or hackathon cohort: 15-150 people signing up within
  hours on the student plan with the event's code, from the venue's
  addresses, doing the same exercises (a sign-up burst with templates).
* **startup**: a small startup on the API plan without a verified org: CI
  jobs on datacenter addresses, one company card, one API-key prefix, in sync.

Plan names, BINs, provider names and domains come from the seed's
:class:`~graphlink.synth.names.Names`, the shares and rates of the segments
are varied per seed (:func:`~graphlink.synth.params.jittered`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graphlink.synth import _fmt
from graphlink.synth._tables import (
    DAY,
    HOUR,
    after,
    asn_of,
    blocks,
    choice,
    cloud,
    pick_in,
    seen,
    slots,
)
from graphlink.synth.layout import CAMPUS, CGNAT, COHORT, COMPANY, FAMILY, HEAVY, STARTUP, VPN
from graphlink.synth.names import random_bins
from graphlink.synth.params import (
    CAMPUS_OCTETS,
    CARRIER_OCTETS,
    COMPANY_OCTETS,
    COUNTRIES,
    COUNTRY_W,
    MOBILE_ASNS,
    MODEL_RELEASE,
    PLATFORM_START,
    PROVIDER_KIND,
    RESI_ASNS,
    SEMESTER_STARTS,
    WEBMAIL,
    WEBMAIL_W,
    WINDOW_END,
)
from graphlink.synth.world import World

CARD_KINDS = np.array(["card", "wallet", "bank", "crypto", "other"], dtype=object)
PT, TS_, MP = 0, 1, 2  # signal codes: prompt_template, timing_sync, model_pivot


def bins(rng: np.random.Generator, n: int, prepaid: np.ndarray | None = None) -> np.ndarray:
    """Card BINs (6 or 8 digits) as text: drawn from ``prepaid`` (the world's prepaid BINs) if
    given."""
    if prepaid is not None:
        return prepaid[rng.integers(0, len(prepaid), n)]
    return random_bins(rng, n)


def generate_benign(w: World) -> None:
    """Fill ``w`` with the benign accounts and their links (order matters: accounts first)."""
    _accounts(w)
    _payments(w)
    _identifiers(w)
    _ips(w)
    _pairs(w)
    _labs(w)
    _cohorts(w)
    _startups(w)
    api_keys(w)


def _group_members(w: World, seg: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(members, their local group number, the segment's global group indexes)."""
    L = w.layout
    gids = L.groups_of(seg)
    members = L.members(seg)
    local = np.searchsorted(gids, L.group[members])
    return members, local, gids


def _accounts(w: World) -> None:
    L, rng = w.layout, w.rng(10)
    B = L.n_benign
    u = rng.random(B)
    created = PLATFORM_START + (u**0.6 * (WINDOW_END - 2 * DAY - PLATFORM_START)).astype(np.int64)
    country = COUNTRIES[choice(rng, B, COUNTRY_W)].astype(object)
    domain = WEBMAIL[choice(rng, B, WEBMAIL_W)].astype(object)
    vanity = rng.random(B) < 0.08
    domain[vanity] = w.names.domains("vanity", rng.integers(0, w.n_vanity, int(vanity.sum())))
    plan_of = w.names.plan
    plan = np.array(
        [plan_of(r) for r in ("free", "pro", "api", "startup", "edu", "lite")], dtype=object
    )[choice(rng, B, [0.53, 0.34, 0.04, 0.03, 0.03, 0.03])]
    org = np.full(B, None, dtype=object)

    # grouped segments: group-level country, domain, sign-up time
    for s, own_country in ((CAMPUS, 0.8), (CGNAT, 1.0), (COMPANY, 0.85), (FAMILY, 0.95)):
        members, local, gids = _group_members(w, s)
        if not len(members):
            continue
        g_country = COUNTRIES[choice(rng, len(gids), COUNTRY_W)].astype(object)
        keep = rng.random(len(members)) < own_country
        country[members[keep]] = g_country[local[keep]]
        if s == CAMPUS:
            g_domain = w.names.domains("edu", np.arange(len(gids)))
            on_domain = rng.random(len(members)) < 0.8
            domain[members[on_domain]] = g_domain[local[on_domain]]
            plan[members] = np.array([plan_of("edu"), "free", "pro"], dtype=object)[
                choice(rng, len(members), [0.75, 0.2, 0.05])
            ]
            burst = rng.random(len(members)) < 0.55
            starts = SEMESTER_STARTS[rng.integers(0, len(SEMESTER_STARTS), int(burst.sum()))]
            created[members[burst]] = starts + rng.exponential(4 * DAY, int(burst.sum())).astype(
                np.int64
            )
        elif s == COMPANY:
            g_domain = w.names.domains("org", np.arange(len(gids)))
            domain[members] = np.where(
                rng.random(len(members)) < 0.95, g_domain[local], domain[members]
            )
            size = L.g_size[gids][local]
            tier = np.where(size > 100, "enterprise", "team")
            tier = np.where(
                (size <= 12) & (rng.random(len(gids))[local] < 0.5), plan_of("startup"), tier
            )  # startup credits
            plan[members] = np.where(rng.random(len(members)) < 0.9, tier, "pro")
            g_org = w.tokens.take("org_", len(gids)).to_numpy(zero_copy_only=False)
            verified = rng.random(len(members)) < 0.92
            org[members[verified]] = g_org[local[verified]]
            onboard = PLATFORM_START + (
                rng.random(len(gids)) * (WINDOW_END - 30 * DAY - PLATFORM_START)
            ).astype(np.int64)
            t0 = onboard[local]
            together = rng.random(len(members)) < 0.7
            created[members] = np.where(
                together,
                t0 + rng.exponential(2 * DAY, len(members)).astype(np.int64),
                t0 + (rng.random(len(members)) * (WINDOW_END - DAY - t0)).astype(np.int64),
            )
        elif s == FAMILY:
            anchor = PLATFORM_START + (
                rng.random(len(gids)) * (WINDOW_END - 30 * DAY - PLATFORM_START)
            ).astype(np.int64)
            created[members] = after(rng, anchor[local], 60)
    # cohorts: one sign-up burst (hours) per course / hackathon, on the student plan
    members, local, gids = _group_members(w, COHORT)
    if len(members):
        t0 = (
            PLATFORM_START
            + 200 * DAY
            + (rng.random(len(gids)) * (WINDOW_END - 3 * DAY - PLATFORM_START - 200 * DAY)).astype(
                np.int64
            )
        )
        created[members] = t0[local] + np.abs(rng.normal(0, 2 * HOUR, len(members))).astype(
            np.int64
        )
        n_campus = len(L.groups_of(CAMPUS))
        on_campus = (rng.random(len(gids)) < 0.6) & (n_campus > 0)
        g_domain = np.where(
            on_campus,
            w.names.domains("edu", rng.integers(0, max(n_campus, 1), len(gids))),
            w.names.domains("event", np.arange(len(gids))),
        )
        own = rng.random(len(members)) < 0.5
        domain[members[own]] = g_domain[local[own]]
        plan[members] = np.where(rng.random(len(members)) < 0.75, plan_of("edu"), "free")
    # startups: hires over months, on the API plan, no verified org
    members, local, gids = _group_members(w, STARTUP)
    if len(members):
        t0 = PLATFORM_START + (
            rng.random(len(gids)) * (WINDOW_END - 60 * DAY - PLATFORM_START)
        ).astype(np.int64)
        created[members] = after(rng, t0[local], 40)
        n_company = len(L.groups_of(COMPANY))
        domain[members] = np.where(
            rng.random(len(members)) < 0.9,
            w.names.domains("org", n_company + local),
            domain[members],
        )
        plan[members] = np.where(rng.random(len(members)) < 0.85, plan_of("api"), "pro")
    heavy = L.members(HEAVY)
    plan[heavy] = np.array(["pro", plan_of("api"), "free"], dtype=object)[
        choice(rng, len(heavy), [0.45, 0.45, 0.1])
    ]

    created = np.minimum(created, WINDOW_END - HOUR)
    status = np.array(["active", "suspended", "banned"], dtype=object)[
        choice(rng, B, [0.9965, 0.003, 0.0005])
    ]
    idx = np.arange(B)
    w.created[idx] = created
    w.country[idx] = country
    w.set_accounts(idx, email_domain=domain, country=country, plan=plan, org_id=org, status=status)


def _payments(w: World) -> None:
    L, rng = w.layout, w.rng(11)
    B = L.n_benign
    seg = L.segment[:B]
    k = choice(rng, B, [0.22, 0.62, 0.13, 0.03])
    campus = seg == CAMPUS
    k[campus] = choice(rng, int(campus.sum()), [0.45, 0.5, 0.05, 0.0])
    heavy = seg == HEAVY
    k[heavy] = choice(rng, int(heavy.sum()), [0.02, 0.7, 0.22, 0.06])

    # shared cards: one per family (75% of members use it), one corporate card per company (85%)
    shared_owner = np.full(B, -1, dtype=np.int64)
    for s, rate in ((FAMILY, 0.75), (COMPANY, 0.85), (STARTUP, 0.8)):
        members, local, gids = _group_members(w, s)
        if not len(members):
            continue
        g_country = w.country[L.g_start[gids]]
        off = w.instruments.add(
            len(gids),
            instrument_id=w.tokens.take("pi_", len(gids)),
            kind=pa.array(["card"] * len(gids)),
            bin=bins(rng, len(gids)),
            issuer_country=g_country,
        )
        uses = rng.random(len(members)) < rate
        shared_owner[members[uses]] = off + local[uses]
        k[members[uses]] = np.maximum(k[members[uses]], 1)

    owner, slot = slots(k)
    shared = (slot == 0) & (shared_owner[owner] >= 0)
    own = ~shared
    n_own = int(own.sum())
    kind = CARD_KINDS[choice(rng, n_own, [0.78, 0.12, 0.07, 0.02, 0.01])]
    is_card = kind == "card"
    bin_ = np.full(n_own, None, dtype=object)
    prepaid = is_card & (rng.random(n_own) < 0.03)  # gift cards: benign prepaid users
    bin_[is_card & ~prepaid] = bins(rng, int((is_card & ~prepaid).sum()))
    bin_[prepaid] = bins(rng, int(prepaid.sum()), w.names.prepaid_bins)
    issuer = np.where(
        rng.random(n_own) < 0.92, w.country[owner[own]], COUNTRIES[choice(rng, n_own, COUNTRY_W)]
    )
    # gift cards come from the issuers that sell them in bulk
    issuer = np.where(
        prepaid,
        w.names.prepaid_issuers[rng.integers(0, len(w.names.prepaid_issuers), n_own)],
        issuer,
    )
    issuer = np.where(is_card, issuer, None)  # type: ignore[call-overload]
    off = w.instruments.add(
        n_own, instrument_id=w.tokens.take("pi_", n_own), kind=kind, bin=bin_, issuer_country=issuer
    )
    inst = np.empty(len(owner), dtype=np.int64)
    inst[own] = off + np.arange(n_own)
    inst[shared] = shared_owner[owner[shared]]
    w.pay_rows.add(account=owner, inst=inst, first_seen=after(rng, w.created[owner], 20))


def _identifiers(w: World) -> None:
    L, rng = w.layout, w.rng(12)
    B = L.n_benign
    acc = np.arange(B)

    def own(kind: str, prefix: str, owners: np.ndarray) -> None:
        n = len(owners)
        off = w.idents.add(n, kind=pa.array([kind] * n), value=w.tokens.take(prefix, n))
        w.id_rows.add(
            account=owners, ident=off + np.arange(n), first_seen=after(rng, w.created[owners], 5)
        )

    dev_owner, _ = slots(choice(rng, B, [0.4, 0.48, 0.12]))
    own("device", "dev_", dev_owner)
    own("phone_hash", "ph_", acc[rng.random(B) < 0.45])
    own("oauth_subject", "oa_", acc[rng.random(B) < 0.2])

    # popular referral codes (creators with big audiences): thousands of benign accounts each
    n_codes = max(20, B // 3000)
    off = w.idents.add(
        n_codes, kind=pa.array(["referral_code"] * n_codes), value=w.tokens.take("ref_", n_codes)
    )
    w.popular_referrals = off + np.arange(n_codes)
    zipf = 1.0 / np.arange(1, n_codes + 1) ** 1.1
    users = acc[rng.random(B) < 0.05]
    w.id_rows.add(
        account=users,
        ident=off + choice(rng, len(users), zipf),
        first_seen=after(rng, w.created[users], 0.2),
    )

    # family tablets; campus ambassador referral codes
    for s, kind, prefix, rate in (
        (FAMILY, "device", "dev_", 0.35),
        (CAMPUS, "referral_code", "ref_", 0.35),
    ):
        members, local, gids = _group_members(w, s)
        if not len(members):
            continue
        off = w.idents.add(
            len(gids), kind=pa.array([kind] * len(gids)), value=w.tokens.take(prefix, len(gids))
        )
        uses = rng.random(len(members)) < rate
        m = members[uses]
        w.id_rows.add(account=m, ident=off + local[uses], first_seen=after(rng, w.created[m], 3))


def _ips(w: World) -> None:
    """IP observations: mostly own residential addresses, plus each segment's shared ones."""
    L, p, rng = w.layout, w.params, w.rng(13)
    B = L.n_benign
    seg = L.segment[:B]
    k = 1 + rng.poisson(max(p.ips_per_account - 1, 0), B)
    heavy = seg == HEAVY
    k[heavy] = 3 + rng.poisson(5, int(heavy.sum()))
    owner, slot = slots(k)
    s = seg[owner]
    u = rng.random(len(owner))
    cat = np.full(len(owner), -1, dtype=np.int64)

    # shared pools per group: campus NAT, carrier CGNAT, company egress, family home
    pool_spec = {
        CAMPUS: (
            lambda n: rng.integers(2, 9, n),
            CAMPUS_OCTETS,
            (slot == 0) | ((slot == 1) & (u < 0.4)),
        ),
        CGNAT: (
            lambda n: np.maximum(24, (L.g_size[L.groups_of(CGNAT)] // 60)),
            CARRIER_OCTETS,
            (slot == 0) | (u < 0.5),
        ),
        COMPANY: (lambda n: rng.integers(1, 5, n), COMPANY_OCTETS, slot == 0),
        FAMILY: (lambda n: np.ones(n, dtype=np.int64), None, (slot == 0) & (u < 0.9)),
    }
    for sg, (sizer, octets, when) in pool_spec.items():
        gids = L.groups_of(sg)
        if not len(gids):
            continue
        sizes = np.asarray(sizer(len(gids)), dtype=np.int64)
        g_off = np.cumsum(sizes) - sizes
        n = int(sizes.sum())
        if sg == FAMILY:  # a family's home address is an ordinary residential one
            base = w.resi_ips(rng, n)
            pool_cat = base
        else:
            ints = blocks(rng, sizes, octets)  # type: ignore[arg-type]
            if sg == CGNAT:
                asn = np.repeat(MOBILE_ASNS[np.arange(len(gids)) % len(MOBILE_ASNS)], sizes)
                provider, dc = None, np.zeros(n, dtype=bool)
            elif sg == CAMPUS:
                asn = np.repeat(1100 + np.arange(len(gids)) * 7, sizes)
                provider, dc = None, np.zeros(n, dtype=bool)
            else:  # company egress; a quarter route through a secure web gateway (datacenter)
                asn = asn_of(ints, RESI_ASNS)
                provider, dc = None, np.zeros(n, dtype=bool)
            pool_off = w.ips.add(
                n, ip=_fmt.ipv4(ints), asn=asn, proxy_provider=provider, is_datacenter=dc
            )
            pool_cat = pool_off + np.arange(n)
        rows = np.flatnonzero((s == sg) & when)
        g_local = np.searchsorted(gids, L.group[owner[rows]])
        cat[rows] = pool_cat[pick_in(rng, g_off[g_local], sizes[g_local])]
        if sg == COMPANY:  # companies behind the gateway provider
            gw = int(np.flatnonzero(PROVIDER_KIND == "gateway")[0])
            behind = (L.group[owner[rows]] * 2654435761 % 4) == 0
            r = rows[behind]
            cat[r] = pick_in(
                rng, np.full(len(r), w.prov_offset[gw]), np.full(len(r), w.prov_size[gw])
            )

    # VPN / proxy users: same providers as the rings (mostly consumer VPNs)
    vpn_kinds = {"vpn": 0.8, "dc_proxy": 0.1, "resi_proxy": 0.1}
    prov_w = np.array([vpn_kinds.get(k, 0.0) for k in PROVIDER_KIND])
    vpn_members = L.members(VPN)
    prov_of = np.full(B, -1, dtype=np.int64)
    prov_of[vpn_members] = choice(rng, len(vpn_members), prov_w / prov_w.sum())
    occasional = (s != VPN) & (u < 0.02)  # ordinary people who sometimes turn a VPN on
    prov_of_rows = prov_of[owner]
    rows = np.flatnonzero(((s == VPN) & ((slot == 0) | (u < 0.5))) | occasional)
    pr = np.where(
        prov_of_rows[rows] >= 0, prov_of_rows[rows], choice(rng, len(rows), prov_w / prov_w.sum())
    )
    cat[rows] = pick_in(rng, w.prov_offset[pr], w.prov_size[pr])
    w.set_accounts(vpn_members, _group=w.names.providers[prov_of[vpn_members]])

    # heavy users run jobs from cloud machines
    rows = np.flatnonzero((s == HEAVY) & (cat < 0) & (u < 0.4))
    text, asn = cloud(rng, len(rows))
    off = w.ips.add(len(rows), ip=text, asn=asn, is_datacenter=np.ones(len(rows), dtype=bool))
    cat[rows] = off + np.arange(len(rows))

    rest = np.flatnonzero(cat < 0)
    cat[rest] = w.resi_ips(rng, len(rest))
    w.benign_resi = cat[rest]

    first, last = seen(rng, w.created[owner])
    # enthusiasts try the new model on release day from their usual addresses
    early = (s == HEAVY) & (rng.random(len(owner)) < 0.2)
    first[early] = np.maximum(
        first[early], MODEL_RELEASE + (rng.random(int(early.sum())) * DAY).astype(np.int64)
    )
    last[early] = np.maximum(last[early], first[early])
    req = np.exp(rng.normal(3.2, 1.3, len(owner)))
    req[s == HEAVY] = np.exp(rng.normal(7.5, 1.2, int((s == HEAVY).sum())))
    w.ip_rows.add(
        account=owner, ip=cat, first_seen=first, last_seen=last, requests=req.astype(np.int64)
    )


def _pairs(w: World) -> None:
    """Benign behaviour_similarity pairs: the hard negatives of the behavioural signals."""
    L, p, rng = w.layout, w.params, w.rng(14)
    B = L.n_benign

    def within(seg: int, per_member: float) -> tuple[np.ndarray, np.ndarray]:
        gids = L.groups_of(seg)
        gids = gids[L.g_size[gids] >= 2]
        m = rng.poisson(L.g_size[gids] * per_member / 2)
        g, _ = slots(m)
        st, sz = L.g_start[gids][g], L.g_size[gids][g]
        return pick_in(rng, st, sz), pick_in(rng, st, sz)

    # campus: the same assignment templates; mostly moderate, some very high
    a, b = within(CAMPUS, p.campus_pairs_per_student)
    score = np.where(rng.random(len(a)) < 0.12, rng.beta(8, 2, len(a)), rng.beta(4, 4, len(a)))
    w.add_pairs(a, b, np.full(len(a), PT), score)
    # companies: same working hours (timing) and internal tools (templates)
    a, b = within(COMPANY, p.company_pairs_per_member)
    sig = np.where(rng.random(len(a)) < 0.6, TS_, PT)
    w.add_pairs(a, b, sig, rng.beta(5, 3, len(a)))
    # families: same evenings
    a, b = within(FAMILY, 0.3)
    w.add_pairs(a, b, np.full(len(a), TS_), rng.beta(4, 4, len(a)))
    # popular public prompt templates across the whole population
    m = int(B * p.benign_template_pairs_per_1k / 1000)
    a, b = rng.integers(0, B, m), rng.integers(0, B, m)
    w.add_pairs(a, b, np.full(m, PT), rng.beta(3, 5, m))
    # enthusiasts switch to the new model on release day, like the rings do
    heavy = L.members(HEAVY)
    if len(heavy) >= 2:
        m = int(len(heavy) * p.heavy_pivot_pairs_per_user)
        a, b = heavy[rng.integers(0, len(heavy), m)], heavy[rng.integers(0, len(heavy), m)]
        w.add_pairs(a, b, np.full(m, MP), rng.beta(6, 3, m))


def lab_layout(w: World, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(start, size) of each research lab: the first members of each campus, 5-25 per lab."""
    L, p = w.layout, w.params
    gids = L.groups_of(CAMPUS)
    if not len(gids) or p.lab_share <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n_labs = np.maximum(1, np.round(L.g_size[gids] * p.lab_share / 15)).astype(np.int64)
    campus, _ = slots(n_labs)
    size = np.minimum(rng.integers(5, 26, len(campus)), L.g_size[gids][campus] // n_labs[campus])
    before = np.cumsum(size) - size  # labs sit side by side from the campus's first member
    offset = before - before[(np.cumsum(n_labs) - n_labs)[campus]]
    keep = size >= 2
    return (L.g_start[gids][campus] + offset)[keep], size[keep]


def _labs(w: World) -> None:
    """Research labs: ring-like on every signal, and benign."""
    rng = w.rng(15)
    start, size = lab_layout(w, rng)
    if not len(start):
        return
    from graphlink.synth.layout import expand

    lab, _ = slots(size)
    members = expand(start, size)
    n_labs, n = len(start), len(members)
    # the lab's card (a university purchasing card) for most members
    off = w.instruments.add(
        n_labs,
        instrument_id=w.tokens.take("pi_", n_labs),
        kind=pa.array(["card"] * n_labs),
        bin=bins(rng, n_labs),
        issuer_country=w.country[start],
    )
    uses = rng.random(n) < 0.7
    m = members[uses]
    w.pay_rows.add(account=m, inst=off + lab[uses], first_seen=after(rng, w.created[m], 10))
    # lab servers in the cloud, running batch evals: many requests from datacenter addresses
    n_srv = rng.integers(1, 4, n_labs)
    text, asn = cloud(rng, int(n_srv.sum()))
    off = w.ips.add(
        int(n_srv.sum()), ip=text, asn=asn, is_datacenter=np.ones(int(n_srv.sum()), dtype=bool)
    )
    srv_start = off + np.cumsum(n_srv) - n_srv
    k = (rng.random(n) < 0.8).astype(np.int64) + (rng.random(n) < 0.4)
    owner, _ = slots(k)
    acc = members[owner]
    first, last = seen(rng, w.created[acc], mean_days=15)
    pivot = rng.random(len(acc)) < 0.3
    first[pivot] = np.maximum(
        first[pivot], MODEL_RELEASE + (rng.random(int(pivot.sum())) * DAY).astype(np.int64)
    )
    last = np.maximum(last, first)
    w.ip_rows.add(
        account=acc,
        ip=pick_in(rng, srv_start[lab[owner]], n_srv[lab[owner]]),
        first_seen=first,
        last_seen=last,
        requests=np.exp(rng.normal(6.0, 1.2, len(acc))).astype(np.int64),
    )
    # same eval templates, in sync, first on the new model
    m = rng.poisson(size * 3)
    g, _ = slots(m)
    a, b = pick_in(rng, start[g], size[g]), pick_in(rng, start[g], size[g])
    sig = choice(rng, len(g), [0.5, 0.2, 0.3])
    score = np.where(sig == TS_, rng.beta(5, 3, len(g)), rng.beta(7, 2, len(g)))
    w.add_pairs(a, b, sig, score)


def _cohorts(w: World) -> None:
    """Course / hackathon cohorts: the event's code, the venue's network, the same exercises."""
    rng = w.rng(16)
    members, local, gids = _group_members(w, COHORT)
    if not len(members):
        return
    G, n = len(gids), len(members)
    off = w.idents.add(
        G, kind=pa.array(["referral_code"] * G), value=w.tokens.take("ref_", G)
    )  # the event's sign-up code
    uses = rng.random(n) < rng.uniform(0.5, 0.95, G)[local]
    m = members[uses]
    w.id_rows.add(account=m, ident=off + local[uses], first_seen=after(rng, w.created[m], 0.01))
    # the venue's few addresses (a campus hall, a conference centre): not datacenter
    n_ip = rng.integers(1, 4, G)
    ints = blocks(rng, n_ip, CAMPUS_OCTETS)
    ip_off = w.ips.add(
        int(n_ip.sum()),
        ip=_fmt.ipv4(ints),
        asn=asn_of(ints, RESI_ASNS),
        is_datacenter=np.zeros(int(n_ip.sum()), dtype=bool),
    )
    start = ip_off + np.cumsum(n_ip) - n_ip
    at = rng.random(n) < 0.85
    m = members[at]
    first = np.maximum(w.created[m], after(rng, w.created[m], 0.2) - HOUR)
    last = np.minimum(first + rng.exponential(2 * DAY, len(m)).astype(np.int64), WINDOW_END - 1)
    first = np.clip(first, None, WINDOW_END - 2)
    last = np.maximum(last, first)
    w.ip_rows.add(
        account=m,
        ip=pick_in(rng, start[local[at]], n_ip[local[at]]),
        first_seen=first,
        last_seen=last,
        requests=np.exp(rng.normal(3.5, 1.0, len(m))).astype(np.int64),
    )
    # the same exercises, at the same hours
    a, b = _pairs_within(w, rng, gids)
    sig = np.where(rng.random(len(a)) < 0.7, PT, TS_)
    score = np.where(sig == PT, rng.beta(6, 2.5, len(a)), rng.beta(4, 3, len(a)))
    w.add_pairs(a, b, sig, score)


def _pairs_within(
    w: World, rng: np.random.Generator, gids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Random member pairs inside each group, 1-4 per member on average (shared work)."""
    sizes = w.layout.g_size[gids]
    k = rng.poisson(sizes * rng.uniform(1.0, 4.0, len(gids)) / 2)
    g, _ = slots(k)
    st = w.layout.g_start[gids]
    return pick_in(rng, st[g], sizes[g]), pick_in(rng, st[g], sizes[g])


def _startups(w: World) -> None:
    """Small startups on the API plan: CI machines in the cloud, one key prefix, jobs in sync."""
    rng = w.rng(17)
    members, local, gids = _group_members(w, STARTUP)
    if not len(members):
        return
    G, n = len(gids), len(members)
    off = w.idents.add(G, kind=pa.array(["api_key_prefix"] * G), value=w.tokens.take("sk_", G))
    uses = rng.random(n) < 0.9
    m = members[uses]
    w.id_rows.add(account=m, ident=off + local[uses], first_seen=after(rng, w.created[m], 2))
    n_srv = rng.integers(1, 5, G)
    text, asn = cloud(rng, int(n_srv.sum()))
    ip_off = w.ips.add(
        int(n_srv.sum()), ip=text, asn=asn, is_datacenter=np.ones(int(n_srv.sum()), dtype=bool)
    )
    start = ip_off + np.cumsum(n_srv) - n_srv
    k = 1 + (rng.random(n) < 0.5)
    owner, _ = slots(k)
    acc = members[owner]
    first, last = seen(rng, w.created[acc], mean_days=20)
    w.ip_rows.add(
        account=acc,
        ip=pick_in(rng, start[local[owner]], n_srv[local[owner]]),
        first_seen=first,
        last_seen=last,
        requests=np.exp(rng.normal(6.5, 1.2, len(acc))).astype(np.int64),
    )
    a, b = _pairs_within(w, rng, gids)
    sig = np.where(rng.random(len(a)) < 0.7, TS_, PT)
    w.add_pairs(a, b, sig, rng.beta(7, 2, len(a)))


def api_keys(w: World) -> None:
    """API-key prefixes of benign developers: own ones, and one per company that uses the API.

    So a shared key prefix is common among companies and startups, not a ring's mark.
    """
    L, rng = w.layout, w.rng(18)
    B = L.n_benign
    plan = w.account_cols["plan"][:B]
    dev = np.flatnonzero((plan == w.names.plan("api")) | (L.segment[:B] == HEAVY))
    own = dev[rng.random(len(dev)) < 0.6]
    off = w.idents.add(
        len(own), kind=pa.array(["api_key_prefix"] * len(own)), value=w.tokens.take("sk_", len(own))
    )
    w.id_rows.add(
        account=own, ident=off + np.arange(len(own)), first_seen=after(rng, w.created[own], 5)
    )
    members, local, gids = _group_members(w, COMPANY)
    if len(members):
        G = len(gids)
        off = w.idents.add(G, kind=pa.array(["api_key_prefix"] * G), value=w.tokens.take("sk_", G))
        uses = (rng.random(G) < 0.35)[local] & (rng.random(len(members)) < 0.6)
        m = members[uses]
        w.id_rows.add(account=m, ident=off + local[uses], first_seen=after(rng, w.created[m], 5))
