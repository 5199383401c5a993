"""The "hydra" campaigns: rings of light accounts that share infrastructure.

Modelled on the distillation campaigns reported in February 2026 (~24,000
accounts): proxy resellers spread the traffic over many light accounts that
rotate through a pool of proxy exits, pay with a few prepaid cards each
shared by tens of accounts, share emulator device fingerprints, SMS-farm
phone numbers and referral codes, sign up in bursts on edu/startup/free
plans, reuse prompt templates in sync and pivot to a new model within a day
of its release.

Which of those tactics a campaign uses, and how strongly, is its
*archetype* (:mod:`graphlink.synth.archetypes`), drawn per campaign with
knobs drawn from wide ranges: one reseller's named proxy pool, many heads
on their own small subnets, tight datacenter groups on the API plan, aged
accounts, a fake verified org, no shared card, no behaviour pairs, members
on one weak link, unnamed residential proxies.  The code below is one
vectorised pass per table that reads the per-group knobs
(:class:`~graphlink.synth.archetypes.GroupParams`).

What makes every archetype hard: accounts are light and also do ordinary
things (own card, own home address, mundane prompts), some links point at
benign accounts (residential-proxy exits are real people's home addresses),
and large campaigns are groups joined by one weak signal.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graphlink.synth import _fmt
from graphlink.synth._tables import (
    DAY,
    HOUR,
    after,
    blocks,
    choice,
    cloud,
    pick_in,
    resi_v4,
    seen,
    slots,
)
from graphlink.synth.archetypes import (
    DC_SYNC,
    FAKE_ORG,
    IP_DC,
    IP_POOL,
    IP_RESI,
    IP_SUBNET,
    NO_BEHAVIOUR,
    NO_CARD,
    RESELLER,
    GroupParams,
    group_params,
)
from graphlink.synth.benign import MP, PT, TS_, bins
from graphlink.synth.layout import CAMPUS, COMPANY, RING, STARTUP
from graphlink.synth.names import random_bins
from graphlink.synth.params import (
    CLOUD_ASNS,
    COUNTRIES,
    COUNTRY_W,
    MODEL_RELEASE,
    PLATFORM_START,
    PROVIDER_ASNS,
    PROVIDER_KIND,
    PROVIDER_OCTETS,
    V6_PROVIDER_PREFIX,
    WEBMAIL,
    WEBMAIL_W,
    WINDOW_END,
    WINDOW_START,
)
from graphlink.synth.world import World

HOSTING_ASNS = np.concatenate([PROVIDER_ASNS, CLOUD_ASNS])


def generate_rings(w: World) -> None:
    """Fill ``w`` with the ring accounts and their links (after the benign ones: camouflage reuses
    them)."""
    L = w.layout
    if not L.n_ring:
        return
    gids = L.groups_of(RING)
    w.ring = group_params(w.rng(19), L.c_archetype, L.g_campaign[gids], L.g_size[gids], w.params)
    _accounts(w)
    _payments(w)
    _identifiers(w)
    _ips(w)
    _pairs(w)
    _weak_members(w)
    _weak_links(w)


def _knobs(w: World) -> GroupParams:
    """The ring groups' knobs (drawn first by :func:`generate_rings`)."""
    if w.ring is None:
        raise RuntimeError("ring knobs not drawn yet: call generate_rings")
    return w.ring


def _members(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ring members, their local group number, the ring groups, is the member in its group's
    core)."""
    L = w.layout
    gids = L.groups_of(RING)
    members = L.members(RING)
    local = np.searchsorted(gids, L.group[members])
    core = (members - L.g_start[gids][local]) < _knobs(w).core[local]
    return members, local, gids, core


def _accounts(w: World) -> None:
    rng, gp = w.rng(20), _knobs(w)
    L = w.layout
    members, local, gids, _ = _members(w)
    n, G = len(members), len(gids)
    # sign-up bursts: 1-3 per group, a few hours wide
    b0, b1 = w.names.ring_bursts
    centres = b0 + (rng.random((G, 3)) * (b1 - b0)).astype(np.int64)
    n_bursts = rng.integers(1, 4, G)
    which = (rng.random(n) * n_bursts[local]).astype(np.int64)
    created = centres[local, which] + np.abs(rng.normal(0, 3 * HOUR, n)).astype(np.int64)
    trickle = rng.random(n) >= gp.burst_share[local]  # the rest trickle in over the following days
    created[trickle] = centres[local, which][trickle] + rng.exponential(
        5 * DAY, int(trickle.sum())
    ).astype(np.int64)
    aged = rng.random(n) < gp.aged_rate[local]  # bought or long-dormant accounts, months apart
    lo, hi = PLATFORM_START + 30 * DAY, b0 - 30 * DAY
    created[aged] = lo + (rng.random(int(aged.sum())) * (hi - lo)).astype(np.int64)
    created = np.minimum(created, WINDOW_END - HOUR)

    g_countries = COUNTRIES[choice(rng, G * 4, COUNTRY_W)].reshape(G, 4)
    country = g_countries[local, rng.integers(0, 4, n)].astype(object)

    names = w.names
    g_plan = np.array([names.plan(r) for r in gp.plan_role], dtype=object)
    others = np.array(
        [names.plan(r) for r in ("free", "pro", "edu", "startup", "lite")], dtype=object
    )
    other = others[choice(rng, n, [0.45, 0.2, 0.12, 0.12, 0.11])]
    plan = np.where(rng.random(n) < gp.plan_share[local], g_plan[local], other)

    domain = WEBMAIL[choice(rng, n, WEBMAIL_W)].astype(object)
    n_campus = len(L.groups_of(CAMPUS))
    n_orgs = len(L.groups_of(COMPANY)) + len(L.groups_of(STARTUP))
    edu = plan == names.plan("edu")
    real = edu & (rng.random(n) < 0.5) & (n_campus > 0)  # student addresses on real campuses
    domain[real] = names.domains("edu", rng.integers(0, max(n_campus, 1), int(real.sum())))
    fake = edu & ~real  # made-up campuses: names alone tell nothing
    domain[fake] = names.domains("edu", n_campus + local[fake])
    startup = plan == names.plan("startup")
    shells = n_orgs + local[startup] * 3 + rng.integers(0, 3, int(startup.sum()))
    domain[startup] = names.domains("org", shells)

    # startup credits need an organisation: some shells got verified
    shell_org = w.tokens.take("org_", G * 3).to_numpy(zero_copy_only=False)
    org = np.full(n, None, dtype=object)
    verified = startup & (rng.random(n) < 0.4)
    org[verified] = shell_org[(local * 3 + rng.integers(0, 3, n))[verified]]
    # a fake "verified" org per campaign: its members on the org's domain, like staff
    in_org = (gp.arch[local] == FAKE_ORG) & (rng.random(n) < gp.org_rate[local])
    if in_org.any():
        camp = L.g_campaign[gids][local]
        n_camp = len(L.campaigns)
        camp_org = w.tokens.take("org_", n_camp).to_numpy(zero_copy_only=False)
        org[in_org] = camp_org[camp[in_org]]
        staff = in_org & (rng.random(n) < 0.9)
        domain[staff] = names.domains("org", n_orgs + 3 * G + camp[staff])

    status = np.where(rng.random(n) < w.params.ring_suspended_rate, "suspended", "active").astype(
        object
    )
    w.created[members] = created
    w.country[members] = country
    w.set_accounts(
        members, email_domain=domain, country=country, plan=plan, org_id=org, status=status
    )


def _payments(w: World) -> None:
    rng, gp = w.rng(21), _knobs(w)
    members, local, gids, core = _members(w)
    n, G = len(members), len(gids)
    n_cards = np.where(
        gp.n_cards > 0,
        gp.n_cards,
        np.maximum(1, np.round(gp.core * gp.card_rate / np.maximum(gp.per_card, 1))),
    ).astype(np.int64)
    n_cards[gp.card_rate <= 0] = 0
    card_g, _ = slots(n_cards)
    total = int(n_cards.sum())
    g_kind = np.array(["card", "crypto", "wallet"], dtype=object)[
        choice(rng, G, [0.85, 0.08, 0.07])
    ]
    g_kind[(gp.arch == DC_SYNC) | (gp.arch == RESELLER)] = "card"  # bought prepaid cards
    kind = g_kind[card_g]
    is_card = kind == "card"
    prepaid = is_card & (rng.random(total) < gp.prepaid_share[card_g])
    bin_ = np.full(total, None, dtype=object)
    bin_[prepaid] = bins(rng, int(prepaid.sum()), w.names.prepaid_bins)
    bin_[is_card & ~prepaid] = random_bins(rng, int((is_card & ~prepaid).sum()))
    g_issuer = np.where(
        rng.random(G) < 0.7,
        w.names.prepaid_issuers[rng.integers(0, len(w.names.prepaid_issuers), G)],
        w.country[w.layout.g_start[gids]],
    )
    issuer = np.where(is_card, g_issuer[card_g], None)
    off = w.instruments.add(
        total, instrument_id=w.tokens.take("pi_", total), kind=kind, bin=bin_, issuer_country=issuer
    )
    card_start = off + np.cumsum(n_cards) - n_cards

    shared = core & (rng.random(n) < gp.card_rate[local]) & (n_cards[local] > 0)
    m = members[shared]
    w.pay_rows.add(
        account=m,
        inst=pick_in(rng, card_start[local[shared]], n_cards[local[shared]]),
        first_seen=after(rng, w.created[m], 0.5),
    )
    # the rest look ordinary: an own card (often prepaid too) or nothing (free plan)
    own = (~shared & (rng.random(n) < gp.own_card_rate[local])) | (rng.random(n) < 0.05)
    m = members[own]
    k = len(m)
    pre = rng.random(k) < 0.5 * gp.prepaid_share[local[own]]
    b = np.where(pre, bins(rng, k, w.names.prepaid_bins), random_bins(rng, k))
    off = w.instruments.add(
        k,
        instrument_id=w.tokens.take("pi_", k),
        kind=pa.array(["card"] * k),
        bin=b,
        issuer_country=w.country[m],
    )
    w.pay_rows.add(account=m, inst=off + np.arange(k), first_seen=after(rng, w.created[m], 3))


def _pooled(
    w: World,
    rng: np.random.Generator,
    kind: str,
    prefix: str,
    rate: np.ndarray,
    pool_size: np.ndarray,
    days: float,
) -> None:
    """Core accounts of each group drawing ``kind`` identifiers from a small group pool."""
    members, local, _, core = _members(w)
    total = int(pool_size.sum())
    off = w.idents.add(total, kind=pa.array([kind] * total), value=w.tokens.take(prefix, total))
    start = off + np.cumsum(pool_size) - pool_size
    uses = core & (rng.random(len(members)) < rate[local])
    m = members[uses]
    w.id_rows.add(
        account=m,
        ident=pick_in(rng, start[local[uses]], pool_size[local[uses]]),
        first_seen=after(rng, w.created[m], days),
    )


def _own(w: World, rng: np.random.Generator, kind: str, prefix: str, owners: np.ndarray) -> None:
    n = len(owners)
    off = w.idents.add(n, kind=pa.array([kind] * n), value=w.tokens.take(prefix, n))
    w.id_rows.add(
        account=owners, ident=off + np.arange(n), first_seen=after(rng, w.created[owners], 5)
    )


def _identifiers(w: World) -> None:
    rng, gp = w.rng(22), _knobs(w)
    members, local, gids, _ = _members(w)
    n = len(members)
    core = gp.core
    _pooled(w, rng, "device", "dev_", gp.device_rate, np.maximum(1, core // 12), 0.1)  # emulators
    _pooled(w, rng, "phone_hash", "ph_", gp.phone_rate, np.maximum(2, core // 5), 0.1)  # SMS farm
    _pooled(w, rng, "referral_code", "ref_", gp.referral_rate, 1 + core // 800, 0.01)
    _pooled(w, rng, "api_key_prefix", "sk_", gp.apikey_rate, np.ones(len(gids), np.int64), 0.5)
    own_dev = rng.random(n) < 0.5 * (1 - gp.device_rate[local])
    _own(w, rng, "device", "dev_", members[own_dev])
    _own(w, rng, "phone_hash", "ph_", members[rng.random(n) < 0.2])
    _own(w, rng, "oauth_subject", "oa_", members[rng.random(n) < 0.15])
    if len(w.popular_referrals):  # camouflage: a popular creator's code
        m = members[rng.random(n) < 0.05]
        w.id_rows.add(
            account=m,
            ident=w.popular_referrals[rng.integers(0, len(w.popular_referrals), len(m))],
            first_seen=after(rng, w.created[m], 0.01),
        )


def _own_blocks(
    w: World, rng: np.random.Generator, mode: np.ndarray, size: np.ndarray
) -> np.ndarray:
    """Catalogue offset of each non-pool group's own exits (``size[g]`` of them); -1 for pool
    groups.

    * subnet: a small hosting subnet (contiguous IPv4 in one /24, or one IPv6 /64), no
      provider name, datacenter flag per head;
    * dc: cloud machines (datacenter, no provider name);
    * resi: home addresses of a residential-proxy network (residential ASNs, not
      datacenter, no provider name).
    """
    G = len(mode)
    off = np.full(G, -1, dtype=np.int64)
    gp = _knobs(w)
    sub = np.flatnonzero((mode == IP_SUBNET) & ~gp.v6)
    if len(sub):
        ints = blocks(rng, size[sub], PROVIDER_OCTETS)
        g_asn = HOSTING_ASNS[rng.integers(0, len(HOSTING_ASNS), len(sub))]
        g_dc = rng.random(len(sub)) < 0.6
        o = w.ips.add(
            len(ints),
            ip=_fmt.ipv4(ints),
            asn=np.repeat(g_asn, size[sub]),
            is_datacenter=np.repeat(g_dc, size[sub]),
        )
        off[sub] = o + np.cumsum(size[sub]) - size[sub]
    sub6 = np.flatnonzero((mode == IP_SUBNET) & gp.v6)
    if len(sub6):
        total = int(size[sub6].sum())
        prefix = rng.integers(1, 65536, (len(sub6), 4))
        prefix[:, 0] = V6_PROVIDER_PREFIX[rng.integers(0, len(V6_PROVIDER_PREFIX), len(sub6))]
        owner, j = slots(size[sub6])
        groups = np.concatenate([prefix[owner], rng.integers(1, 65536, (total, 4))], axis=1)
        groups[:, 7] = 1 + j  # distinct hosts inside the /64
        g_asn = HOSTING_ASNS[rng.integers(0, len(HOSTING_ASNS), len(sub6))]
        g_dc = rng.random(len(sub6)) < 0.6
        o = w.ips.add(total, ip=_fmt.ipv6(groups), asn=g_asn[owner], is_datacenter=g_dc[owner])
        off[sub6] = o + np.cumsum(size[sub6]) - size[sub6]
    dc = np.flatnonzero(mode == IP_DC)
    if len(dc):
        total = int(size[dc].sum())
        text, asn = cloud(rng, total)
        o = w.ips.add(total, ip=text, asn=asn, is_datacenter=np.ones(total, dtype=bool))
        off[dc] = o + np.cumsum(size[dc]) - size[dc]
    resi = np.flatnonzero(mode == IP_RESI)
    if len(resi):
        total = int(size[resi].sum())
        ints, asn = resi_v4(rng, total)
        o = w.ips.add(total, ip=_fmt.ipv4(ints), asn=asn, is_datacenter=np.zeros(total, dtype=bool))
        off[resi] = o + np.cumsum(size[resi]) - size[resi]
    return off


def _exit_pools(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: (catalogue base, base size, first slot, pool size) of its exits.

    Exit ``r`` (0 <= r < pool size) of group ``g`` is catalogue entry
    ``base[g] + (first[g] + r) % size[g]``.  Pool groups rent a contiguous slice
    of one named provider's exits; the others own theirs.
    """
    if w.exit_pools is not None:
        return w.exit_pools
    rng, gp = w.rng(26), _knobs(w)
    L = w.layout
    gids = L.groups_of(RING)
    G = len(gids)
    kind_w = {"dc_proxy": 0.45, "resi_proxy": 0.35, "vpn": 0.2}
    prov = np.empty(G, dtype=np.int64)
    g_kind = np.array(list(kind_w))[choice(rng, G, list(kind_w.values()))]
    for k in kind_w:
        cands = np.flatnonzero(PROVIDER_KIND == k)
        sel = g_kind == k
        prov[sel] = cands[rng.integers(0, len(cands), int(sel.sum()))]
    pool = np.maximum(6, np.round(gp.core * gp.pool_ratio)).astype(np.int64)
    is_pool = gp.ip_mode == IP_POOL
    pool = np.where(
        is_pool,
        np.minimum(pool, w.prov_size[prov]),
        np.where(gp.ip_mode == IP_SUBNET, np.clip(pool, 4, 200), np.maximum(pool // 2, 2)),
    )
    pool = np.where(gp.ip_mode == IP_RESI, np.maximum(3, np.round(gp.core * gp.pool_ratio)), pool)
    pool = pool.astype(np.int64)
    own_off = _own_blocks(w, rng, np.where(is_pool, -1, gp.ip_mode), pool)
    base = np.where(is_pool, w.prov_offset[prov], own_off)
    size = np.where(is_pool, w.prov_size[prov], pool)
    first = np.where(is_pool, (rng.random(G) * w.prov_size[prov]).astype(np.int64), 0)
    w.exit_pools = (base, size, first, pool)
    return w.exit_pools


def _ips(w: World) -> None:
    rng, gp = w.rng(23), _knobs(w)
    members, local, gids, core = _members(w)
    n = len(members)
    base, size, first_slot, pool = _exit_pools(w)

    cm = np.flatnonzero(core)
    k = 1 + rng.poisson(np.maximum(gp.ips_per_account[local[cm]] - 1, 0))
    owner, _ = slots(k)
    g = local[cm][owner]
    r = (rng.random(len(owner)) * pool[g]).astype(np.int64)
    cats = [base[g] + (first_slot[g] + r) % size[g]]
    owners = [members[cm][owner]]

    # ordinary traces: own home addresses
    resi = members[rng.random(n) < w.params.ring_residential_rate]
    resi = np.concatenate([resi, resi[rng.random(len(resi)) < 0.3]])
    owners.append(resi)
    cats.append(w.resi_ips(rng, len(resi)))
    # camouflage: residential-proxy exits that are benign people's home addresses
    camo = members[rng.random(n) < gp.camouflage_rate[local] * 0.5]
    if len(w.benign_resi):
        owners.append(camo)
        cats.append(w.benign_resi[rng.integers(0, len(w.benign_resi), len(camo))])
    # a consumer VPN now and then, like everybody else
    vpn = np.flatnonzero(PROVIDER_KIND == "vpn")
    some = members[rng.random(n) < gp.vpn_rate[local]]
    pv = vpn[rng.integers(0, len(vpn), len(some))]
    owners.append(some)
    cats.append(pick_in(rng, w.prov_offset[pv], w.prov_size[pv]))

    acc = np.concatenate(owners)
    cat = np.concatenate(cats)
    first, last = seen(rng, w.created[acc], mean_days=6)
    # proxy traffic is orchestrated: a group's accounts come online together, and rotate
    # onto fresh exits within a day of the model release (the pivot)
    n_pool = len(owner)
    act = _activation(w, rng, gids)
    spread = np.where(gp.ip_mode[g] == IP_RESI, 18 * DAY, 2 * DAY)  # resi exits: taken in turns
    start = act[g] + (rng.exponential(1.0, n_pool) * spread).astype(np.int64)
    pivot = rng.random(n_pool) < gp.pivot_share[g]
    start[pivot] = MODEL_RELEASE + (rng.random(int(pivot.sum())) * DAY).astype(np.int64)
    start = np.clip(np.maximum(start, w.created[acc[:n_pool]]), WINDOW_START, WINDOW_END - HOUR)
    first[:n_pool] = start
    dur = np.where(gp.ip_mode[g] == IP_RESI, 2 * DAY, 6 * DAY)
    last[:n_pool] = np.minimum(
        start + (rng.exponential(1.0, n_pool) * dur).astype(np.int64), WINDOW_END - 1
    )
    req = np.exp(rng.normal(3.0, 1.0, len(acc))).astype(np.int64)
    dc = gp.ip_mode[g] == IP_DC  # API jobs: heavy traffic from the machines
    req[:n_pool][dc] = np.exp(rng.normal(5.5, 1.0, int(dc.sum()))).astype(np.int64)
    w.ip_rows.add(account=acc, ip=cat, first_seen=first, last_seen=last, requests=req)


def _activation(w: World, rng: np.random.Generator, gids: np.ndarray) -> np.ndarray:
    """When each group's traffic starts: days after its last sign-up, inside the window."""
    L = w.layout
    last_signup = np.maximum.reduceat(
        w.created[L.g_start[gids][0] :], L.g_start[gids] - L.g_start[gids][0]
    )
    act = last_signup + (rng.random(len(gids)) * 5 * DAY).astype(np.int64)
    lo = WINDOW_START + (rng.random(len(gids)) * 10 * DAY).astype(np.int64)
    return np.minimum(np.maximum(act, lo), MODEL_RELEASE - DAY)


def _weighted(
    rng: np.random.Generator, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """One index in ``[lo, hi]`` per row, drawn with the weights whose running sum is ``cum``."""
    u = cum[lo] + rng.random(len(lo)) * (cum[hi + 1] - cum[lo])
    return np.clip(np.searchsorted(cum, u, side="right") - 1, lo, hi)


def _signals(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One signal code per row from its row's weights ``(n, 3)``."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), 2)


def _pairs(w: World) -> None:
    rng, gp = w.rng(24), _knobs(w)
    L = w.layout
    gids = L.groups_of(RING)
    core, starts = gp.core, L.g_start[gids]
    m = np.where(core >= 2, rng.poisson(core * gp.pairs_per_account / 2), 0)
    g, _ = slots(m)
    lo, hi = starts[g] - L.n_benign, starts[g] + core[g] - 1 - L.n_benign  # ring-local, core only
    # how often an account shows up in pairs is uneven: a few template hubs, many near-silent
    # accounts
    cum = np.concatenate(
        [[0.0], np.cumsum(rng.lognormal(0.0, w.params.ring_activity_sigma, L.n_ring))]
    )
    i = _weighted(rng, cum, lo, hi)
    # cohorts work in sync: most partners are near in the group's order, some anywhere in it
    w_lo = np.where(i < hi, i + 1, np.maximum(lo, i - 30))
    w_hi = np.where(i < hi, np.minimum(hi, i + 30), i - 1)
    near = rng.random(len(g)) < 0.7
    j = np.where(near, _weighted(rng, cum, w_lo, w_hi), _weighted(rng, cum, lo, hi))
    i, j = i + L.n_benign, j + L.n_benign
    sig = _signals(rng, gp.sig_w[g])
    score = np.select(
        [sig == PT, sig == TS_, sig == MP],
        [rng.beta(8, 2, len(g)), rng.beta(6, 2.5, len(g)), rng.beta(9, 1.5, len(g))],
    )
    mundane = rng.random(len(g)) < gp.mundane_rate[g]
    score[mundane] = rng.beta(2, 5, int(mundane.sum()))
    w.add_pairs(i, j, sig, score)

    # synchronized groups: a near-complete timing_sync clique over the core
    for c in np.flatnonzero(gp.clique & (core >= 2)):
        a, b = np.triu_indices(int(core[c]), 1)
        keep = rng.random(len(a)) < rng.uniform(0.9, 1.0)
        a, b = a[keep] + starts[c], b[keep] + starts[c]
        w.add_pairs(a, b, np.full(len(a), TS_), rng.beta(12, 1.5, len(a)))

    # camouflage: mundane prompts alike a benign account's (not for rings without pairs)
    members, local, _, _ = _members(w)
    talk = gp.pairs_per_account[local] > 0
    camo = members[talk & (rng.random(len(members)) < gp.camouflage_rate[local] * 0.5)]
    if L.n_benign:
        w.add_pairs(
            camo,
            rng.integers(0, L.n_benign, len(camo)),
            np.full(len(camo), PT),
            rng.beta(3, 4, len(camo)),
        )


def _weak_members(w: World) -> None:
    """Members outside a group's core hang on it by exactly one weak link each.

    One exit IP of the group's pool, the recruiter's referral code (also used by one
    core member), or one middling behaviour pair with a core member (rings with pairs).
    """
    rng, gp = w.rng(27), _knobs(w)
    L = w.layout
    members, local, gids, core = _members(w)
    weak = np.flatnonzero(~core)
    if not len(weak):
        return
    acc, g = members[weak], local[weak]
    starts = L.g_start[gids]
    n = len(acc)
    talk = gp.pairs_per_account[g] > 0
    kind = np.where(talk, rng.integers(0, 3, n), rng.integers(0, 2, n))
    # 0: one exit of the group's pool, seen around the group's activity
    base, size, first_slot, pool = _exit_pools(w)
    s = kind == 0
    r = (rng.random(int(s.sum())) * pool[g[s]]).astype(np.int64)
    a = acc[s]
    first, last = seen(rng, w.created[a], mean_days=4)
    w.ip_rows.add(
        account=a,
        ip=base[g[s]] + (first_slot[g[s]] + r) % size[g[s]],
        first_seen=first,
        last_seen=last,
        requests=np.exp(rng.normal(3.0, 1.0, len(a))).astype(np.int64),
    )
    # 1: the recruiter's referral code (one per group with weak members)
    s = kind == 1
    wg = np.unique(g)
    off = w.idents.add(
        len(wg), kind=pa.array(["referral_code"] * len(wg)), value=w.tokens.take("ref_", len(wg))
    )
    code = off + np.searchsorted(wg, g[s])
    recruiter = starts[wg]  # the core's first member
    acc1 = np.concatenate([acc[s], recruiter])
    w.id_rows.add(
        account=acc1,
        ident=np.concatenate([code, off + np.arange(len(wg))]),
        first_seen=after(rng, w.created[acc1], 0.01),
    )
    # 2: one behaviour pair with a core member
    s = kind == 2
    partner = pick_in(rng, starts[g[s]], gp.core[g[s]])
    w.add_pairs(acc[s], partner, rng.integers(0, 3, int(s.sum())), rng.beta(5, 3, int(s.sum())))


def _weak_links(w: World) -> None:
    """One weak signal between consecutive groups of a campaign.

    Either one shared card used by one account on each side, two model-pivot
    pairs of middling score, or one referral code used by two accounts on each
    side: enough to join the campaign for a careful detector, not more.  A
    campaign without shared cards (or without pairs) is never joined by one.
    """
    rng, gp = w.rng(25), _knobs(w)
    L = w.layout
    gids = L.groups_of(RING)
    camp = L.g_campaign[gids]
    left = np.flatnonzero(camp[:-1] == camp[1:])
    if not len(left):
        return
    g1, g2 = gids[left], gids[left + 1]
    arch = gp.arch[left]
    kind = rng.integers(0, 3, len(left))
    kind = np.where((arch == NO_CARD) & (kind == 0), 2, kind)
    kind = np.where((arch == NO_BEHAVIOUR) & (kind == 1), 2, kind)
    core_of = dict(zip(gids.tolist(), gp.core.tolist()))

    def member(g: np.ndarray, reps: int = 1) -> np.ndarray:
        g = np.repeat(g, reps)
        return pick_in(rng, L.g_start[g], np.array([core_of[int(x)] for x in g], dtype=np.int64))

    sel = kind == 0
    k = int(sel.sum())
    if k:
        off = w.instruments.add(
            k,
            instrument_id=w.tokens.take("pi_", k),
            kind=pa.array(["card"] * k),
            bin=bins(rng, k, w.names.prepaid_bins),
            issuer_country=pa.array(["US"] * k),
        )
        a, b = member(g1[sel]), member(g2[sel])
        inst = off + np.arange(k)
        acc = np.concatenate([a, b])
        w.pay_rows.add(
            account=acc, inst=np.concatenate([inst, inst]), first_seen=after(rng, w.created[acc], 1)
        )
    sel = kind == 1
    if sel.any():
        a, b = member(g1[sel], 2), member(g2[sel], 2)
        w.add_pairs(a, b, np.full(len(a), MP), rng.beta(5, 4, len(a)))
    sel = kind == 2
    k = int(sel.sum())
    if k:
        off = w.idents.add(k, kind=pa.array(["referral_code"] * k), value=w.tokens.take("ref_", k))
        acc = np.concatenate([member(g1[sel], 2), member(g2[sel], 2)])
        code = np.concatenate([np.repeat(off + np.arange(k), 2)] * 2)
        w.id_rows.add(account=acc, ident=code, first_seen=after(rng, w.created[acc], 1))
