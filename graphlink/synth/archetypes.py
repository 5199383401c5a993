"""Campaign archetypes: which tactics a ring campaign uses, drawn per campaign.

A detector tuned on one generator's rings learns that generator's tactics
(named proxy providers, a prepaid BIN table, bursts on given plans) and then
misses campaigns that use other ones.  So each seed draws campaigns from
several archetypes, each with its own sizes, rates and counts drawn per
campaign from wide ranges.  They follow the February 2026 "hydra cluster"
reports (proxy resellers, shared payment, synchronized timing, templates,
release-day pivot, edu/startup entry) and the ways a campaign can leave any
one of those signals out.  ``docs/synth.md`` says what each plants and why.

:func:`plan_campaigns` cuts the ring accounts into campaigns and each
campaign into groups (sub-rings, heads, sync groups);
:func:`group_params` draws the per-group knobs the vectorised ring
generator (:mod:`graphlink.synth.rings`) reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphlink.synth.params import SynthParams

ARCHETYPES: tuple[str, ...] = (
    "reseller_pool",
    "many_heads",
    "dc_sync_groups",
    "aged_accounts",
    "fake_verified_org",
    "no_shared_card",
    "no_behaviour",
    "weak_single_link",
    "residential_proxy",
)
(
    RESELLER,
    MANY_HEADS,
    DC_SYNC,
    AGED,
    FAKE_ORG,
    NO_CARD,
    NO_BEHAVIOUR,
    WEAK_LINK,
    RESI_PROXY,
) = range(len(ARCHETYPES))

#: Smallest campaign of each archetype that still shows its tactic (accounts).
#: ``dc_sync_groups`` is sized by its groups (3-5 of 30-45), not by the budget.
MIN_SIZE = np.array([60, 48, 90, 30, 30, 30, 30, 40, 30])
#: Relative share of the ring budget a campaign of each archetype takes (times a
#: per-campaign lognormal factor): resellers run the big campaigns.
WEIGHT = np.array([6.0, 2.5, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])

#: How a group's accounts reach the platform.
IP_POOL, IP_SUBNET, IP_DC, IP_RESI = range(4)


def archetype_codes(names: tuple[str, ...] | list[str] | str | None) -> tuple[int, ...]:
    """Codes of the named archetypes (all of them for None); unknown names are an error."""
    if names is None:
        return tuple(range(len(ARCHETYPES)))
    if isinstance(names, str):
        names = tuple(n.strip() for n in names.split(",") if n.strip())
    unknown = [n for n in names if n not in ARCHETYPES]
    if unknown:
        raise ValueError(f"unknown archetype(s) {', '.join(unknown)}: use {', '.join(ARCHETYPES)}")
    if not names:
        raise ValueError("no archetype given")
    return tuple(dict.fromkeys(ARCHETYPES.index(n) for n in names))


def _split(rng: np.random.Generator, total: int, k: int, lo: int) -> np.ndarray:
    """``k`` sizes >= ``lo`` (when ``total`` allows) summing to ``total``, unevenly."""
    k = max(1, min(k, total // max(lo, 1))) if total >= lo else 1
    lo = min(lo, total // k)
    props = rng.dirichlet(np.full(k, 1.5))
    sizes = lo + np.floor(props * (total - k * lo)).astype(np.int64)
    sizes[int(np.argmax(sizes))] += total - int(sizes.sum())
    return sizes


def _dc_groups(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(30, 46, int(rng.integers(3, 6)))


def plan_campaigns(
    rng: np.random.Generator, n_ring: int, archetypes: tuple[int, ...], p: SynthParams
) -> tuple[np.ndarray, list[np.ndarray]]:
    """(archetype code per campaign, group sizes per campaign) for ``n_ring`` ring accounts.

    Every chosen archetype gets one campaign when the budget holds their
    smallest sizes (all nine from 388 ring accounts, i.e. about 16,000 benign
    ones); big budgets get 1-4 campaigns per archetype.  Below that, as many
    archetypes as fit: ``reseller_pool`` first (the reported kind of campaign, so a
    small demo world still has one), the others in a per-seed random order.
    """
    if n_ring <= 0:
        return np.zeros(0, dtype=np.int64), []
    order = [int(a) for a in rng.permutation(np.array(archetypes))]
    if RESELLER in order:  # a small world keeps the reported kind of campaign first
        order.remove(RESELLER)
        order.insert(0, RESELLER)
    extra = rng.binomial(min(3, n_ring // 4000), 0.5, len(order))
    camps = order + [a for a, e in zip(order, extra) for _ in range(int(e))]
    fixed = {i: _dc_groups(rng) for i, a in enumerate(camps) if a == DC_SYNC}

    def need(cs: list[int]) -> int:
        return sum(
            int(fixed[i].sum()) if a == DC_SYNC else int(MIN_SIZE[a]) for i, a in enumerate(cs)
        )

    # a tight budget first shrinks the sync groups to their smallest (3 of 30), then drops
    # campaigns: the extra ones first, then archetypes from the end of the per-seed order
    if need(camps) > n_ring:
        for i in fixed:
            fixed[i] = np.full(3, 30)
    while camps and need(camps) > n_ring:
        camps.pop()
    if not camps:  # a tiny budget: one small campaign of the first archetype
        a = order[0]
        return np.array([a]), [np.array([n_ring])]
    flexible = [i for i, a in enumerate(camps) if a != DC_SYNC]
    rest = n_ring - need(camps)
    sizes = {
        i: int(fixed[i].sum()) if a == DC_SYNC else int(MIN_SIZE[a]) for i, a in enumerate(camps)
    }
    if flexible:
        w = WEIGHT[[camps[i] for i in flexible]] * rng.lognormal(0.0, 0.6, len(flexible))
        share = np.floor(rest * w / w.sum()).astype(np.int64)
        share[int(np.argmax(w))] += rest - int(share.sum())
        for i, s in zip(flexible, share):
            sizes[i] += int(s)
    else:  # only sync groups: more campaigns of them while they fit, the rest spread over groups
        while True:
            g = _dc_groups(rng)
            if int(g.sum()) > rest:
                break
            fixed[len(camps)] = g
            camps.append(DC_SYNC)
            rest -= int(g.sum())
        if rest >= 30:  # one more campaign of the groups that still fit (29-45 each)
            k = -(-rest // 45)
            fixed[len(camps)] = np.full(k, rest // k) + (np.arange(k) < rest % k)
            camps.append(DC_SYNC)
        else:  # a few accounts more in the first groups
            first = fixed[0]
            first += np.bincount(np.arange(rest) % len(first), minlength=len(first))

    groups = []
    for i, a in enumerate(camps):
        if a == DC_SYNC:
            groups.append(fixed[i])
            continue
        s = sizes[i]
        if a == MANY_HEADS:
            groups.append(_split(rng, s, int(rng.integers(8, 16)), 5))
        elif a == WEAK_LINK:
            groups.append(_split(rng, s, 1 + int(s > 400 and rng.random() < 0.5), 40))
        else:
            lo, hi = p.ring_size_min, max(p.ring_size_min, p.ring_size_max)
            most = 3 if a in (FAKE_ORG, AGED, NO_CARD, NO_BEHAVIOUR, RESI_PROXY) else p.subrings_max
            k_min = -(-s // hi)
            k = max(k_min, int(rng.integers(1, max(1, most) + 1)))
            groups.append(_split(rng, s, k, lo))
    return np.array(camps, dtype=np.int64), groups


@dataclass
class GroupParams:
    """Per ring group knobs (arrays of one value per group), drawn per campaign."""

    arch: np.ndarray
    core: np.ndarray  # members 0..core-1 of the group are its core; the rest hang on one weak link
    burst_share: np.ndarray
    aged_rate: np.ndarray
    plan_role: np.ndarray  # object: plan role of the group's entry plan
    plan_share: np.ndarray
    org_rate: np.ndarray  # share of members inside the campaign's own (fake) verified org
    card_rate: np.ndarray  # members paying with one of the group's shared instruments
    per_card: np.ndarray  # members per shared instrument
    n_cards: np.ndarray  # fixed number of shared instruments (0 = from per_card)
    prepaid_share: np.ndarray  # shared cards carrying the world's prepaid BINs
    own_card_rate: np.ndarray
    device_rate: np.ndarray
    phone_rate: np.ndarray
    referral_rate: np.ndarray
    apikey_rate: np.ndarray
    ip_mode: np.ndarray
    ips_per_account: np.ndarray
    pool_ratio: np.ndarray
    v6: np.ndarray  # subnet groups: an IPv6 /64 instead of IPv4 addresses
    pivot_share: np.ndarray
    pairs_per_account: np.ndarray
    sig_w: np.ndarray  # (G, 3) weights of prompt_template, timing_sync, model_pivot
    mundane_rate: np.ndarray
    clique: np.ndarray  # bool: near-complete timing_sync clique
    camouflage_rate: np.ndarray
    vpn_rate: np.ndarray


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _campaign(a: int, rng: np.random.Generator, p: SynthParams) -> dict[str, object]:
    """One campaign's knobs: the shared defaults scaled per campaign, then the archetype's
    tactic."""

    def around(x: float, lo: float = 0.4, hi: float = 1.6, cap: float = 1.0) -> float:
        return float(min(cap, x * rng.uniform(lo, hi)))

    sig = rng.dirichlet([2.0, 1.5, 1.5])
    c: dict[str, object] = {
        "core_share": 1.0,
        "burst_share": around(p.burst_share, 0.6, 1.4),
        "aged_rate": around(p.aged_account_rate, 0.0, 2.0),
        "plan_role": str(rng.choice(["edu", "startup", "free", "lite"], p=[0.4, 0.3, 0.2, 0.1])),
        "plan_share": _u(rng, 0.5, 0.9),
        "org_rate": 0.0,
        "card_rate": around(p.shared_instrument_rate, 0.5, 1.5),
        "per_card": around(p.accounts_per_card, 0.3, 2.0, cap=1e9),
        "n_cards": 0,
        "prepaid_share": _u(rng, 0.0, 1.0),
        "own_card_rate": _u(rng, 0.3, 0.6),
        "device_rate": around(p.shared_device_rate, 0.2, 2.0),
        "phone_rate": around(p.shared_phone_rate, 0.2, 1.6),
        "referral_rate": around(p.referral_rate, 0.0, 1.8),
        "apikey_rate": 0.0 if rng.random() < 0.7 else _u(rng, 0.1, 0.5),
        "ip_mode": IP_POOL,
        "ips_per_account": around(p.ips_per_ring_account, 0.4, 1.6, cap=1e9),
        "pool_ratio": around(p.ring_ip_pool_ratio, 0.4, 1.6, cap=1e9),
        "pivot_share": _u(rng, 0.0, 0.5),
        "pairs_per_account": around(p.ring_pairs_per_account, 0.3, 1.5, cap=1e9),
        "sig_w": sig,
        "mundane_rate": around(p.ring_mundane_pair_rate, 0.5, 2.0),
        "clique": False,
        "camouflage_rate": around(p.camouflage_rate, 0.3, 1.7),
        "vpn_rate": _u(rng, 0.0, 0.2),
    }
    if a == RESELLER:  # roughly the reported rings: one reseller's pool, prepaid cards, templates
        c.update(
            prepaid_share=_u(rng, 0.85, 1.0),
            card_rate=max(0.4, float(c["card_rate"])),  # type: ignore[arg-type]
            per_card=_u(rng, 15, 80),
            pivot_share=_u(rng, 0.25, 0.5),
            burst_share=_u(rng, 0.5, 0.85),
            sig_w=np.array([0.45, 0.3, 0.25]) * rng.uniform(0.7, 1.3, 3),
        )
    elif a == MANY_HEADS:  # many small operators: own small subnet, a few instruments each
        c.update(
            ip_mode=IP_SUBNET,
            plan_role=str(rng.choice(["edu", "startup", "lite"])),
            per_card=_u(rng, 4, 15),
            card_rate=_u(rng, 0.4, 0.8),
            aged_rate=_u(rng, 0.1, 0.35),
            pool_ratio=_u(rng, 0.1, 0.4),
            pairs_per_account=_u(rng, 2, 8),
        )
    elif a == DC_SYNC:  # tight groups on the API plan from datacenter machines
        c.update(
            ip_mode=IP_DC,
            plan_role="api",
            plan_share=_u(rng, 0.85, 1.0),
            n_cards=2,
            card_rate=_u(rng, 0.85, 1.0),
            own_card_rate=_u(rng, 0.0, 0.15),
            apikey_rate=_u(rng, 0.9, 1.0),
            burst_share=_u(rng, 0.6, 1.0),
            clique=True,
            pairs_per_account=_u(rng, 1, 4),
            ips_per_account=_u(rng, 1.5, 3.0),
            pool_ratio=_u(rng, 0.05, 0.2),
            prepaid_share=_u(rng, 0.0, 0.3),
            camouflage_rate=_u(rng, 0.0, 0.1),
            device_rate=_u(rng, 0.0, 0.3),
            phone_rate=_u(rng, 0.0, 0.3),
            referral_rate=0.0,
            vpn_rate=0.0,
        )
    elif a == AGED:  # bought / long-dormant accounts: no sign-up burst at all
        c.update(aged_rate=1.0, burst_share=0.0)
    elif a == FAKE_ORG:  # inside a fake "verified" org: looks like a company
        c.update(
            org_rate=_u(rng, 0.85, 1.0),
            plan_role=str(rng.choice(["team", "startup"])),
            plan_share=_u(rng, 0.8, 1.0),
            burst_share=_u(rng, 0.6, 0.95),
            aged_rate=_u(rng, 0.0, 0.05),
            sig_w=np.array([0.6, 0.3, 0.1]),
        )
    elif a == NO_CARD:  # every member pays with its own card
        c.update(
            card_rate=0.0,
            own_card_rate=_u(rng, 0.85, 1.0),
            device_rate=_u(rng, 0.3, 0.7),
            phone_rate=_u(rng, 0.4, 0.8),
        )
    elif a == NO_BEHAVIOUR:  # infrastructure only: no behaviour_similarity pairs at all
        c.update(pairs_per_account=0.0, camouflage_rate=_u(rng, 0.0, 0.3))
    elif a == WEAK_LINK:  # a small core; every other member hangs on one weak link
        c.update(core_share=_u(rng, 0.1, 0.25))
    elif a == RESI_PROXY:  # unnamed residential-proxy exits, shared over time
        c.update(ip_mode=IP_RESI, pool_ratio=_u(rng, 0.08, 0.3), vpn_rate=_u(rng, 0.0, 0.05))
    # the archetypes' own card rates still follow the sweep's knob (0 = no shared cards at all)
    if a in (RESELLER, MANY_HEADS, DC_SYNC):
        c["card_rate"] = min(1.0, float(c["card_rate"]) * p.shared_instrument_rate / 0.6)  # type: ignore[arg-type]
    return c


def group_params(
    rng: np.random.Generator,
    camp_arch: np.ndarray,
    g_campaign: np.ndarray,
    g_size: np.ndarray,
    p: SynthParams,
) -> GroupParams:
    """Knobs of every ring group: its campaign's draw (a few vary per group: subnet v6, plan)."""
    camps = [_campaign(int(a), rng, p) for a in camp_arch]
    G = len(g_campaign)

    def col(key: str, dtype: type = float) -> np.ndarray:
        return np.array([camps[c][key] for c in g_campaign], dtype=dtype)

    core_share = col("core_share")
    core = np.where(core_share < 1, np.maximum(8, np.round(g_size * core_share)), g_size)
    core = np.minimum(core, g_size).astype(np.int64)
    # heads on IPv6: about a third, and at least one head of every many-heads campaign
    v6 = rng.random(G) < 0.3
    first_of_campaign = np.r_[True, g_campaign[1:] != g_campaign[:-1]] if G else np.zeros(0, bool)
    v6 |= first_of_campaign & (camp_arch[g_campaign] == MANY_HEADS) if G else v6
    return GroupParams(
        arch=camp_arch[g_campaign] if G else np.zeros(0, dtype=np.int64),
        core=core,
        burst_share=col("burst_share"),
        aged_rate=col("aged_rate"),
        plan_role=col("plan_role", object),
        plan_share=col("plan_share"),
        org_rate=col("org_rate"),
        card_rate=col("card_rate"),
        per_card=col("per_card"),
        n_cards=col("n_cards", np.int64),
        prepaid_share=col("prepaid_share"),
        own_card_rate=col("own_card_rate"),
        device_rate=col("device_rate"),
        phone_rate=col("phone_rate"),
        referral_rate=col("referral_rate"),
        apikey_rate=col("apikey_rate"),
        ip_mode=col("ip_mode", np.int64),
        ips_per_account=col("ips_per_account"),
        pool_ratio=col("pool_ratio"),
        v6=v6,
        pivot_share=col("pivot_share"),
        pairs_per_account=col("pairs_per_account"),
        sig_w=np.array([camps[c]["sig_w"] for c in g_campaign], dtype=float).reshape(G, 3),
        mundane_rate=col("mundane_rate"),
        clique=col("clique", bool),
        camouflage_rate=col("camouflage_rate"),
        vpn_rate=col("vpn_rate"),
    )
