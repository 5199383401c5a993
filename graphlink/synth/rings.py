"""The "hydra" campaigns: rings of light accounts that share infrastructure.

Modelled on the distillation campaigns reported in February 2026 (~24,000
accounts): proxy resellers spread the traffic over many light accounts that
rotate through a pool of proxy-provider exits, pay with a few prepaid cards
each shared by tens of accounts, share emulator device fingerprints, SMS-farm
phone numbers and referral codes, sign up in bursts on edu/startup/free
plans, reuse prompt templates in sync and pivot to a new model within a day
of its release.  What makes them hard: every account is light and also does
ordinary things (own card, own home address, mundane prompts), some links
point at benign accounts (residential-proxy exits are real people's home
addresses), and large campaigns are sub-rings joined by one weak signal.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graphlink.synth._tables import DAY, HOUR, after, choice, pick_in, seen, slots
from graphlink.synth.benign import MP, PT, TS_, bins
from graphlink.synth.layout import CAMPUS, COMPANY, RING
from graphlink.synth.params import (
    COUNTRIES,
    COUNTRY_W,
    MODEL_RELEASE,
    PLATFORM_START,
    PROVIDER_KIND,
    RING_BURSTS,
    WEBMAIL,
    WEBMAIL_W,
    WINDOW_END,
    WINDOW_START,
)
from graphlink.synth.world import World

PREPAID_COUNTRIES = np.array(["US", "GB", "HK", "AE", "SG", "NL"], dtype=object)


def generate_rings(w: World) -> None:
    """Fill ``w`` with the ring accounts and their links (after the benign ones: camouflage reuses them)."""
    if not w.layout.n_ring:
        return
    _accounts(w)
    _payments(w)
    _identifiers(w)
    _ips(w)
    _pairs(w)
    _weak_links(w)


def _members(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    L = w.layout
    gids = L.groups_of(RING)
    members = L.members(RING)
    return members, np.searchsorted(gids, L.group[members]), gids


def _accounts(w: World) -> None:
    p, rng = w.params, w.rng(20)
    members, local, gids = _members(w)
    n, G = len(members), len(gids)
    # sign-up bursts: 1-3 per sub-ring, a few hours wide
    centres = RING_BURSTS[0] + (rng.random((G, 3)) * (RING_BURSTS[1] - RING_BURSTS[0])).astype(
        np.int64
    )
    n_bursts = rng.integers(1, 4, G)
    which = (rng.random(n) * n_bursts[local]).astype(np.int64)
    created = centres[local, which] + np.abs(rng.normal(0, 3 * HOUR, n)).astype(np.int64)
    trickle = rng.random(n) >= p.burst_share  # the rest trickle in over the following days
    created[trickle] = centres[local, which][trickle] + rng.exponential(
        5 * DAY, int(trickle.sum())
    ).astype(np.int64)
    aged = rng.random(n) < p.aged_account_rate  # bought or long-dormant accounts
    lo, hi = PLATFORM_START + 365 * DAY, RING_BURSTS[0] - 30 * DAY
    created[aged] = lo + (rng.random(int(aged.sum())) * (hi - lo)).astype(np.int64)
    created = np.minimum(created, WINDOW_END - HOUR)

    g_countries = COUNTRIES[choice(rng, G * 4, COUNTRY_W)].reshape(G, 4)
    country = g_countries[local, rng.integers(0, 4, n)].astype(object)

    entry = np.array(["edu", "startup", "free"], dtype=object)
    dominant = entry[choice(rng, G, [0.45, 0.35, 0.2])][local]
    other = np.array(["free", "pro", "edu", "startup"], dtype=object)[
        choice(rng, n, [0.5, 0.2, 0.15, 0.15])
    ]
    plan = np.where(rng.random(n) < 0.65, dominant, other)

    domain = WEBMAIL[choice(rng, n, WEBMAIL_W)].astype(object)
    edu = plan == "edu"
    n_campus = len(w.layout.groups_of(CAMPUS))
    real = edu & (rng.random(n) < 0.5) & (n_campus > 0)  # student addresses on real campuses
    domain[real] = np.array(
        [f"univ{g:04d}.edu" for g in rng.integers(1, max(n_campus, 1) + 1, int(real.sum()))],
        dtype=object,
    )
    fake = edu & ~real
    # made-up campuses and shell companies are numbered on from the real ones: names alone tell nothing
    domain[fake] = np.array([f"univ{n_campus + 1 + g:04d}.edu" for g in local[fake]], dtype=object)
    startup = plan == "startup"
    shells = local[startup] * 3 + rng.integers(0, 3, int(startup.sum()))
    n_company = len(w.layout.groups_of(COMPANY))
    domain[startup] = np.array(
        [f"company-{n_company + 1 + s:04d}.com" for s in shells], dtype=object
    )

    # startup credits need an organisation: some shells got verified
    shell_org = w.tokens.take("org_", G * 3).to_numpy(zero_copy_only=False)
    org = np.full(n, None, dtype=object)
    verified = startup.copy()
    verified[startup] = rng.random(int(startup.sum())) < 0.4
    org[verified] = shell_org[(local * 3 + rng.integers(0, 3, n))[verified]]

    status = np.where(rng.random(n) < p.ring_suspended_rate, "suspended", "active").astype(object)
    w.created[members] = created
    w.country[members] = country
    w.set_accounts(
        members, email_domain=domain, country=country, plan=plan, org_id=org, status=status
    )


def _payments(w: World) -> None:
    p, rng = w.params, w.rng(21)
    members, local, gids = _members(w)
    n, G = len(members), len(gids)
    sizes = w.layout.g_size[gids]
    n_cards = np.maximum(
        1, np.round(sizes * p.shared_instrument_rate / p.accounts_per_card)
    ).astype(np.int64)
    card_g, _ = slots(n_cards)
    total = int(n_cards.sum())
    g_kind = np.array(["card", "crypto", "wallet"], dtype=object)[
        choice(rng, G, [0.85, 0.08, 0.07])
    ]
    kind = g_kind[card_g]
    is_card = kind == "card"
    bin_ = np.full(total, None, dtype=object)
    bin_[is_card] = bins(rng, int(is_card.sum()), prepaid=True)
    issuer = np.where(
        is_card, PREPAID_COUNTRIES[rng.integers(0, len(PREPAID_COUNTRIES), G)][card_g], None
    )
    off = w.instruments.add(
        total, instrument_id=w.tokens.take("pi_", total), kind=kind, bin=bin_, issuer_country=issuer
    )
    card_start = off + np.cumsum(n_cards) - n_cards

    u = rng.random(n)
    shared = u < p.shared_instrument_rate
    m = members[shared]
    w.pay_rows.add(
        account=m,
        inst=pick_in(rng, card_start[local[shared]], n_cards[local[shared]]),
        first_seen=after(rng, w.created[m], 0.5),
    )
    # the rest look ordinary: an own card (often prepaid too) or nothing (free plan)
    own = (~shared & (rng.random(n) < 0.5)) | (rng.random(n) < 0.05)
    m = members[own]
    k = len(m)
    prepaid = rng.random(k) < 0.5
    b = np.where(prepaid, bins(rng, k, prepaid=True), bins(rng, k))
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
    rate: float,
    pool_size: np.ndarray,
    days: float,
) -> None:
    """Accounts of each sub-ring drawing ``kind`` identifiers from a small sub-ring pool."""
    members, local, gids = _members(w)
    total = int(pool_size.sum())
    off = w.idents.add(total, kind=pa.array([kind] * total), value=w.tokens.take(prefix, total))
    start = off + np.cumsum(pool_size) - pool_size
    uses = rng.random(len(members)) < rate
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
    p, rng = w.params, w.rng(22)
    members, local, gids = _members(w)
    n = len(members)
    sizes = w.layout.g_size[gids]
    _pooled(
        w, rng, "device", "dev_", p.shared_device_rate, np.maximum(1, sizes // 12), 0.1
    )  # emulator farm
    _pooled(
        w, rng, "phone_hash", "ph_", p.shared_phone_rate, np.maximum(2, sizes // 5), 0.1
    )  # SMS farm
    _pooled(w, rng, "referral_code", "ref_", p.referral_rate, 1 + sizes // 800, 0.01)
    _own(w, rng, "device", "dev_", members[rng.random(n) < 0.5 * (1 - p.shared_device_rate)])
    _own(w, rng, "phone_hash", "ph_", members[rng.random(n) < 0.2])
    _own(w, rng, "oauth_subject", "oa_", members[rng.random(n) < 0.15])
    if len(w.popular_referrals):  # camouflage: a popular creator's code
        m = members[rng.random(n) < 0.05]
        w.id_rows.add(
            account=m,
            ident=w.popular_referrals[rng.integers(0, len(w.popular_referrals), len(m))],
            first_seen=after(rng, w.created[m], 0.01),
        )


def _ips(w: World) -> None:
    p, rng = w.params, w.rng(23)
    members, local, gids = _members(w)
    n, G = len(members), len(gids)
    sizes = w.layout.g_size[gids]
    # each sub-ring rents a contiguous slice of one provider's exits
    kind_w = {"dc_proxy": 0.45, "resi_proxy": 0.35, "vpn": 0.2}
    prov = np.empty(G, dtype=np.int64)
    g_kind = np.array(list(kind_w))[choice(rng, G, list(kind_w.values()))]
    for k in kind_w:
        cands = np.flatnonzero(PROVIDER_KIND == k)
        sel = g_kind == k
        prov[sel] = cands[rng.integers(0, len(cands), int(sel.sum()))]
    pool = np.maximum(6, np.round(sizes * p.ring_ip_pool_ratio)).astype(np.int64)
    pool = np.minimum(pool, w.prov_size[prov])
    pool_start = (rng.random(G) * w.prov_size[prov]).astype(np.int64)

    k = 1 + rng.poisson(max(p.ips_per_ring_account - 1, 0), n)
    owner, _ = slots(k)
    g = local[owner]
    j = pool_start[g] + (rng.random(len(owner)) * pool[g]).astype(np.int64)
    cats = [w.prov_offset[prov[g]] + j % w.prov_size[prov[g]]]
    owners = [members[owner]]

    # ordinary traces: own home addresses
    resi = members[rng.random(n) < p.ring_residential_rate]
    resi = np.concatenate([resi, resi[rng.random(len(resi)) < 0.3]])
    owners.append(resi)
    cats.append(w.resi_ips(rng, len(resi)))
    # camouflage: residential-proxy exits that are benign people's home addresses
    camo = members[rng.random(n) < p.camouflage_rate * 0.5]
    if len(w.benign_resi):
        owners.append(camo)
        cats.append(w.benign_resi[rng.integers(0, len(w.benign_resi), len(camo))])
    # a consumer VPN now and then, like everybody else
    vpn = np.flatnonzero(PROVIDER_KIND == "vpn")
    some = members[rng.random(n) < 0.1]
    pv = vpn[rng.integers(0, len(vpn), len(some))]
    owners.append(some)
    cats.append(pick_in(rng, w.prov_offset[pv], w.prov_size[pv]))

    acc = np.concatenate(owners)
    cat = np.concatenate(cats)
    first, last = seen(rng, w.created[acc], mean_days=6)
    # proxy traffic is orchestrated: a sub-ring's accounts come online together, and rotate
    # onto fresh exits within a day of the model release (the pivot)
    n_pool = len(owner)
    act = _activation(w, rng, gids)
    start = act[g] + rng.exponential(2 * DAY, n_pool).astype(np.int64)
    pivot = rng.random(n_pool) < 0.35
    start[pivot] = MODEL_RELEASE + (rng.random(int(pivot.sum())) * DAY).astype(np.int64)
    start = np.clip(np.maximum(start, w.created[acc[:n_pool]]), WINDOW_START, WINDOW_END - HOUR)
    first[:n_pool] = start
    last[:n_pool] = np.minimum(
        start + rng.exponential(6 * DAY, n_pool).astype(np.int64), WINDOW_END - 1
    )
    req = np.exp(rng.normal(3.0, 1.0, len(acc))).astype(np.int64)
    w.ip_rows.add(account=acc, ip=cat, first_seen=first, last_seen=last, requests=req)


def _activation(w: World, rng: np.random.Generator, gids: np.ndarray) -> np.ndarray:
    """When each sub-ring's traffic starts: days after its last sign-up burst, inside the window."""
    L = w.layout
    last_signup = np.array(
        [w.created[s : s + n].max() for s, n in zip(L.g_start[gids], L.g_size[gids])]
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


def _pairs(w: World) -> None:
    p, rng = w.params, w.rng(24)
    L = w.layout
    gids = L.groups_of(RING)
    sizes, starts = L.g_size[gids], L.g_start[gids]
    m = np.where(sizes >= 2, rng.poisson(sizes * p.ring_pairs_per_account / 2), 0)
    g, _ = slots(m)
    lo, hi = (
        starts[g] - L.n_benign,
        starts[g] + sizes[g] - 1 - L.n_benign,
    )  # ring-local index ranges
    # how often an account shows up in pairs is uneven: a few template hubs, many near-silent accounts
    cum = np.concatenate([[0.0], np.cumsum(rng.lognormal(0.0, p.ring_activity_sigma, L.n_ring))])
    i = _weighted(rng, cum, lo, hi)
    # cohorts work in sync: most partners are near in the sub-ring's order, some anywhere in it
    w_lo = np.where(i < hi, i + 1, np.maximum(lo, i - 30))
    w_hi = np.where(i < hi, np.minimum(hi, i + 30), i - 1)
    near = rng.random(len(g)) < 0.7
    j = np.where(near, _weighted(rng, cum, w_lo, w_hi), _weighted(rng, cum, lo, hi))
    i, j = i + L.n_benign, j + L.n_benign
    sig = choice(rng, len(g), [0.45, 0.3, 0.25])
    score = np.select(
        [sig == PT, sig == TS_, sig == MP],
        [rng.beta(8, 2, len(g)), rng.beta(6, 2.5, len(g)), rng.beta(9, 1.5, len(g))],
    )
    mundane = rng.random(len(g)) < p.ring_mundane_pair_rate
    score[mundane] = rng.beta(2, 5, int(mundane.sum()))
    w.add_pairs(i, j, sig, score)

    # camouflage: mundane prompts alike a benign account's
    members = L.members(RING)
    camo = members[rng.random(len(members)) < p.camouflage_rate * 0.5]
    if L.n_benign:
        w.add_pairs(
            camo,
            rng.integers(0, L.n_benign, len(camo)),
            np.full(len(camo), PT),
            rng.beta(3, 4, len(camo)),
        )


def _weak_links(w: World) -> None:
    """One weak signal between consecutive sub-rings of a campaign.

    Either one shared card used by one account on each side, two model-pivot
    pairs of middling score, or one referral code used by two accounts on each
    side: enough to join the campaign for a careful detector, not more.
    """
    rng = w.rng(25)
    L = w.layout
    gids = L.groups_of(RING)
    camp = L.g_campaign[gids]
    left = np.flatnonzero(camp[:-1] == camp[1:])
    if not len(left):
        return
    g1, g2 = gids[left], gids[left + 1]
    kind = rng.integers(0, 3, len(left))

    def member(g: np.ndarray, reps: int = 1) -> np.ndarray:
        g = np.repeat(g, reps)
        return pick_in(rng, L.g_start[g], L.g_size[g])

    sel = kind == 0
    k = int(sel.sum())
    if k:
        off = w.instruments.add(
            k,
            instrument_id=w.tokens.take("pi_", k),
            kind=pa.array(["card"] * k),
            bin=bins(rng, k, prepaid=True),
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
