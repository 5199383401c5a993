"""Scoring: per-cluster features, risk in [0, 1] and reason codes (pure).

Every feature is computed for all clusters at once with ``np.bincount`` over
member / internal-edge arrays (no loop per cluster), and each is measured
against this snapshot's own population, never against a list of names
(``docs/risk-model.md`` has the table):

* shares of members (0..1, the same for a ring of 20 and one of 2,000):
  sharing a payment instrument, a device or other identifier, an IP, a
  behavioural link inside the cluster; traffic mostly over flagged
  infrastructure (a named proxy *or* a datacenter IP); created in the densest
  ``burst_hours`` window; in the most common verified org;
* surprises: how unlikely that many members with the trait would be at the
  population's rate (binomial tail, capped), for personal sharing,
  infrastructure, behaviour, the sign-up window and the most common plan,
  country and e-mail domain;
* structure: rarity-weighted density, the share of link weight leaving the
  cluster, how many independent kinds of evidence reach ``reason_share``;
  traffic against the population's median; size (capped).

Risk is not set here: a fitted :class:`~graphlink.detect.riskmodel.RiskModel`
scores the features (the shipped default or a calibrated one), and the
detection run records its version.

Reason codes: a cluster carries a code when the share behind it reaches
``reason_share`` (``signup_burst``/``entry_point_plan`` need half the
members).  An account carries the link codes of the links that tie *it* to
other members (its internal edges), plus the cluster's attribute codes it
personally matches (uses a proxy IP, created in the burst window, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphlink.detect import linking as L
from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import AccountGraph
from graphlink.detect.riskmodel import RiskModel, default_model

#: ``-log10 p`` at which a binomial surprise saturates (1.0 after scaling).
SURPRISE_CAP = 12.0
#: Size above which ``log10_size_capped`` stops growing.
SIZE_CAP = 30

#: The reason of a cluster raised to the bar by a flagged sibling (:func:`campaign_lift`).
CAMPAIGN_LINK = "campaign_link"
#: Reason codes of the graph model, in its order; a reason mask has bit i for code i.
REASON_CODES: tuple[str, ...] = (
    "shared_payment", "prepaid_card_shared", "shared_ip", "proxy_provider", "datacenter_ip",
    "shared_device", "shared_identifier", "behaviour_similarity", "prompt_template",
    "timing_sync", "model_pivot", "signup_burst", "entry_point_plan", "high_volume",
    "dense_cluster", CAMPAIGN_LINK,
)
_R = {code: 1 << i for i, code in enumerate(REASON_CODES)}

#: Feature columns of the clusters frame (also stored as ``features_json``).
FEATURES: tuple[str, ...] = (
    "density", "log10_density", "mean_edge_weight", "internal_edges", "external_share",
    "shared_payment_share", "prepaid_share", "ip_share", "proxy_link_share", "device_share",
    "identifier_share", "personal_share", "device_or_identifier_share", "personal_surprise",
    "similarity_share",
    "similarity_surprise", "prompt_template_share", "timing_sync_share", "model_pivot_share",
    "signal_mix", "infra_share", "infra_traffic_share", "infra_surprise", "proxy_share",
    "datacenter_share", "burst_share", "burst_surprise", "plan_top_share", "plan_surprise",
    "country_top_share", "country_surprise", "email_domain_top_share", "email_domain_surprise",
    "email_domain_exclusive",
    "entry_plan_share", "org_share", "median_requests", "volume_ratio_log10", "log10_size",
    "log10_size_capped", "evidence_families", "model_risk", "infrastructure_risk",
    "campaign_link_weight",
)


#: The own-domain rule's share (``graphlink.banwave.DEFAULT_OWN_DOMAIN_SHARE``, where
#: it is explained): the infrastructure floor spares clusters that present as one org.
OWN_DOMAIN_SHARE = 0.8


def presents_as_org(top_share: Any, exclusive: Any, share: float) -> Any:
    """The own-domain rule itself, shared by the wave, the sign-up index and the
    infrastructure floor: ``share`` or more of a cluster's members on its top e-mail
    domain (``top_share``), and ``share`` or more of that domain's accounts inside the
    cluster (``exclusive``); ``share`` 0: off.  Scalars or arrays (NaN: not an org)."""
    hit = (share > 0) & (np.asarray(top_share) >= share) & (np.asarray(exclusive) >= share)
    return bool(hit) if hit.ndim == 0 else hit


@dataclass
class Scored:
    """Scored clusters (size >= min_cluster_size) and their members.

    ``clusters``: ``label`` (Leiden label), ``size, risk, reasons`` (list) and
    :data:`FEATURES`, sorted by risk then size (descending).  ``members``:
    ``account_id, label, account_risk, reasons`` (list), ``strength`` (summed
    weight of the account's links inside its cluster).
    """

    clusters: pd.DataFrame
    members: pd.DataFrame


def _link_reason_mask(bits: np.ndarray) -> np.ndarray:
    out = np.zeros(len(bits), dtype=np.int64)
    for bit, code in L.BIT_REASONS:
        out |= np.where(bits & bit, _R[code], 0)
    return out


def reasons_from_masks(masks: np.ndarray) -> list[list[str]]:
    """Reason-code lists for reason masks (decoded once per distinct mask)."""
    uniq, inv = np.unique(masks, return_inverse=True)
    decoded = [[c for i, c in enumerate(REASON_CODES) if int(m) >> i & 1] for m in uniq]
    return [decoded[i] for i in inv.ravel()]


def _densest_window(mc: np.ndarray, t: np.ndarray, n_c: int, window: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster, the most members created within ``window`` seconds, and who they are.

    ``mc``/``t``: cluster index and creation time (s, NaN unknown) per member.
    Returns (max count per cluster, in-window flag per member).
    """
    m = len(mc)
    in_win = np.zeros(m, dtype=bool)
    best = np.zeros(n_c, dtype=np.int64)
    if m == 0:
        return best, in_win
    t = t.copy()
    known = ~np.isnan(t)
    tmin = np.nanmin(t) if known.any() else 0.0
    rel = np.where(known, t - tmin, 0.0)
    span = (rel.max() if known.any() else 0.0) + 2 * window + 1
    # Unknown times sit far apart from everything (never in a window with another).
    nan_rank = np.cumsum(~known) * (2 * window + 1)
    rel = np.where(known, rel, span + nan_rank)
    span = rel.max() + 2 * window + 1
    key = mc.astype(np.float64) * span + rel
    order = np.argsort(key, kind="stable")
    ks = key[order]
    end = np.searchsorted(ks, ks + window, side="right")
    count = end - np.arange(m)
    mcs = mc[order]
    starts = np.flatnonzero(np.r_[True, mcs[1:] != mcs[:-1]])
    best_per = np.maximum.reduceat(count, starts)
    best[mcs[starts]] = best_per
    # First position reaching the best count in each cluster -> mark its window.
    is_best = count == np.repeat(best_per, np.diff(np.r_[starts, m]))
    pos = np.flatnonzero(is_best)
    first = pos[np.r_[True, mcs[pos[1:]] != mcs[pos[:-1]]]] if len(pos) else pos
    delta = np.zeros(m + 1, dtype=np.int64)
    np.add.at(delta, first, 1)
    np.add.at(delta, first + count[first], -1)
    in_sorted = np.cumsum(delta[:-1]) > 0
    in_win[order] = in_sorted
    return best, in_win


def _surprise(k: np.ndarray, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """How unlikely ``k`` of ``n`` members would be by chance at population rate ``p``.

    ``-log10 P(X >= k)`` for ``X ~ Binomial(n, p)``, capped at :data:`SURPRISE_CAP`
    and scaled to [0, 1]: a cluster whose members share a trait far more often
    than this snapshot's accounts do.  Capped so that beyond a few tens of
    members size stops adding certainty (a 35-account group can be as certain
    as a 2,000-account one).
    """
    from scipy.stats import binom

    p = np.clip(np.broadcast_to(np.asarray(p, dtype=np.float64), np.shape(k)), 1e-9, 1 - 1e-9)
    k = np.asarray(k, dtype=np.float64)
    sf = binom.logsf(np.maximum(k - 1, -1), np.maximum(n, 1), p) / np.log(10)
    return np.clip(-np.nan_to_num(sf, nan=0.0), 0.0, SURPRISE_CAP) / SURPRISE_CAP


def _top_category(values: pd.Series, members: np.ndarray, mc: np.ndarray, n_c: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster: members with its most common value, that value's population rate,
    per member whether it has the cluster's top value, and how many of the population's
    accounts have that value (0 for none).  Unknown values never count."""
    codes, uniq = pd.factorize(values.to_numpy(), use_na_sentinel=True)
    known = codes >= 0
    pop_count = np.bincount(codes[known], minlength=len(uniq))
    pop_rate = pop_count / max(int(known.sum()), 1)
    top_count = np.zeros(n_c)
    top_rate = np.ones(n_c)
    top_pop = np.zeros(n_c)
    top_code = np.full(n_c, -2, dtype=np.int64)
    mcodes = codes[members]
    sel = mcodes >= 0
    if sel.any():
        vc = pd.DataFrame({"c": mc[sel], "v": mcodes[sel]}).value_counts().reset_index()
        vc = vc.sort_values(["c", "count", "v"], ascending=[True, False, True]).drop_duplicates("c")
        ci = vc["c"].to_numpy()
        top_count[ci] = vc["count"].to_numpy()
        top_code[ci] = vc["v"].to_numpy()
        top_rate[ci] = pop_rate[vc["v"].to_numpy()]
        top_pop[ci] = pop_count[vc["v"].to_numpy()]
    return top_count, top_rate, mcodes == top_code[mc], top_pop


def _features(
    g: AccountGraph, membership: np.ndarray, members: np.ndarray, mc: np.ndarray, n_c: int,
    size: np.ndarray, mb: np.ndarray, internal_weight: np.ndarray, internal_edges: np.ndarray,
    share: Any, config: DetectionConfig,
) -> dict[str, np.ndarray]:
    """Every cluster feature, each measured against this snapshot's own population.

    Nothing here knows a provider, plan, BIN or signal by name: a trait counts
    when the cluster's members have it far more often than the population's
    accounts do (rates, binomial surprise), so a campaign that rents other
    infrastructure or enters by another plan is measured the same way.
    Keys starting with ``_`` are per-member helpers for the reason codes.
    """
    nodes = g.nodes
    n = g.n
    f: dict[str, np.ndarray] = {}
    pairs = size * (size - 1) / 2
    f["density"] = internal_weight / np.maximum(pairs, 1)
    f["log10_density"] = np.log10(f["density"] + 1e-4)
    f["mean_edge_weight"] = internal_weight / np.maximum(internal_edges, 1)
    f["internal_edges"] = internal_edges.astype(np.float64)
    # How separated from the rest of the population: weight leaving the cluster
    # over all weight touching it (a lab inside a campus NAT leaks, a ring less).
    node_c = np.full(n, -1, dtype=np.int64)
    node_c[members] = mc
    cs, cd = node_c[g.src], node_c[g.dst]
    cut = cs != cd
    ext = (np.bincount(cs[cut & (cs >= 0)], weights=g.weight[cut & (cs >= 0)], minlength=n_c)
           + np.bincount(cd[cut & (cd >= 0)], weights=g.weight[cut & (cd >= 0)], minlength=n_c))
    f["external_share"] = ext / np.maximum(ext + 2 * internal_weight, 1e-12)

    # -- what members share with each other (link kinds inside the cluster) ----------
    f["shared_payment_share"] = share(mb & L.PAYMENT != 0)
    f["prepaid_share"] = share(mb & L.PREPAID != 0)
    f["ip_share"] = share(mb & L.IP != 0)
    f["proxy_link_share"] = share(mb & (L.PROXY | L.DATACENTER) != 0)
    f["device_share"] = share(mb & L.DEVICE != 0)
    f["identifier_share"] = share(mb & L.IDENTIFIER != 0)
    personal = mb & L.PERSONAL != 0
    f["personal_share"] = share(personal)
    f["device_or_identifier_share"] = share(mb & (L.DEVICE | L.IDENTIFIER) != 0)
    f["similarity_share"] = share(mb & L.SIMILAR != 0)
    f["prompt_template_share"] = share(mb & L.PROMPT_TEMPLATE != 0)
    f["timing_sync_share"] = share(mb & L.TIMING_SYNC != 0)
    f["model_pivot_share"] = share(mb & L.MODEL_PIVOT != 0)

    # Population rates of the same traits: share of all accounts with such a link.
    all_bits = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(all_bits, g.src, g.bits.astype(np.int64))
    np.bitwise_or.at(all_bits, g.dst, g.bits.astype(np.int64))
    pop_personal = float(((all_bits & L.PERSONAL) != 0).mean()) if n else 0.0
    pop_similar = float(((all_bits & L.SIMILAR) != 0).mean()) if n else 0.0
    f["personal_surprise"] = _surprise(f["personal_share"] * size, size, pop_personal)
    f["similarity_surprise"] = _surprise(f["similarity_share"] * size, size, pop_similar)
    # Signals present in this snapshot (not a fixed three): mean share over them.
    present = [
        (b, nm)
        for b, nm in (
            (L.PROMPT_TEMPLATE, "prompt_template_share"),
            (L.TIMING_SYNC, "timing_sync_share"),
            (L.MODEL_PIVOT, "model_pivot_share"),
        )
        if n and ((all_bits & b) != 0).any()
    ]
    f["signal_mix"] = np.mean([f[nm] for _, nm in present], axis=0) if present else np.zeros(n_c)

    # -- infrastructure: traffic over proxy OR datacenter IPs --------------------------
    req = nodes["requests"].to_numpy(np.float64)
    infra = nodes["infra_requests"].to_numpy(np.float64)
    frac = np.where(
        req > 0,
        infra / np.maximum(req, 1e-12),
        (nodes["uses_proxy"].to_numpy() | nodes["uses_datacenter"].to_numpy()),
    )
    on_infra = frac[members] >= 0.5
    f["infra_share"] = share(on_infra)
    f["infra_traffic_share"] = np.bincount(mc, weights=frac[members], minlength=n_c) / np.maximum(
        size, 1
    )
    pop_infra = float((frac >= 0.5).mean()) if n else 0.0
    f["infra_surprise"] = _surprise(f["infra_share"] * size, size, pop_infra)
    f["proxy_share"] = share(nodes["uses_proxy"].to_numpy()[members])
    f["datacenter_share"] = share(nodes["uses_datacenter"].to_numpy()[members])

    # -- sign-up times: the densest window against the population's rate in it -------
    window = config.burst_hours * 3600.0
    t_all = nodes["created_s"].to_numpy()
    burst_count, in_burst = _densest_window(mc, t_all[members], n_c, window)
    f["burst_share"] = burst_count / np.maximum(size, 1)
    start = np.full(n_c, np.inf)
    np.minimum.at(start, mc[in_burst], t_all[members][in_burst])
    known_t = np.sort(t_all[~np.isnan(t_all)])
    if len(known_t):
        s0 = np.where(np.isfinite(start), start, 0.0)
        in_pop = np.searchsorted(known_t, s0 + window, side="right") - np.searchsorted(
            known_t, s0, side="left"
        )
        p_win = np.where(np.isfinite(start), in_pop / len(known_t), 1.0)
    else:
        p_win = np.ones(n_c)
    f["burst_surprise"] = _surprise(burst_count, size, p_win)
    f["_in_burst"] = in_burst

    # -- attributes over-represented against the population (plan, country, domain) ---
    for col in ("plan", "country", "email_domain"):
        values = (
            nodes[col].astype("string").str.lower()
            if col in nodes
            else pd.Series(pd.NA, index=nodes.index, dtype="string")
        )
        top, rate, is_top, top_pop = _top_category(values, members, mc, n_c)
        f[f"{col}_top_share"] = top / np.maximum(size, 1)
        f[f"{col}_surprise"] = _surprise(top, size, rate)
        if col == "email_domain":
            # Share of the domain's accounts that are in this cluster: 1 for a domain
            # nobody else uses (a company's own), ~0 for webmail or a campus's domain.
            f["email_domain_exclusive"] = top / np.maximum(top_pop, 1)
        if col == "plan":
            configured = values.isin(list(config.entry_plans)).to_numpy(dtype=bool)[members]
            over = (f["plan_top_share"] >= 0.5) & (f["plan_surprise"] >= 0.5)
            f["_entry"] = (is_top & over[mc]) | configured
    f["entry_plan_share"] = share(f["_entry"])

    org_codes, _ = pd.factorize(nodes["org_id"].to_numpy()[members])
    org_share = np.zeros(n_c)
    has_org = org_codes >= 0
    if has_org.any():
        pair = pd.DataFrame({"c": mc[has_org], "o": org_codes[has_org]})
        top_org = pair.value_counts().groupby(level="c").max()
        org_share[top_org.index.to_numpy()] = top_org.to_numpy()
    f["org_share"] = org_share / np.maximum(size, 1)

    active = req[req > 0]
    global_median = float(np.median(active)) if len(active) else 0.0
    med = pd.Series(req[members]).groupby(mc).median().reindex(range(n_c)).fillna(0).to_numpy()
    f["median_requests"] = med
    f["volume_ratio_log10"] = np.clip(np.log10((med + 1.0) / (global_median + 1.0)), -1.0, 2.0)
    f["log10_size"] = np.log10(np.maximum(size, 1))
    f["log10_size_capped"] = np.log10(np.clip(size, 1, SIZE_CAP))
    # Independent kinds of evidence at once: benign groups share one or two
    # things for a reason (a family's card and home, a class's schedule), rings
    # share many because they run on one infrastructure.
    f["evidence_families"] = evidence_families(f, config.reason_share)
    return f


def campaign_lift(risk: np.ndarray, cs: np.ndarray, cd: np.ndarray, weight: np.ndarray,
                  n_c: int, config: DetectionConfig) -> tuple[np.ndarray, np.ndarray]:
    """Raise to the flag bar the unsure clusters strongly linked to a flagged one.

    A campaign runs as several groups on one infrastructure; the risk model scores
    each group on its own evidence, so a campaign's weaker groups sit under the bar
    while a sibling is certain.  A cluster whose own risk is at least
    ``config.campaign_floor`` and that shares at least ``config.campaign_link_weight``
    of rarity-weighted link weight with one cluster at or above
    ``config.risk_threshold`` is raised to the bar (never lowered; one pass, so a
    raised cluster raises nothing).  Benign groups linked to a ring (a startup on
    the same cloud, a family behind a reused residential exit) score far under the
    floor, so the floor, not the link, is what keeps them out (``docs/risk-model.md``).

    ``cs``/``cd``: cluster index of each edge's ends (-1: not in a scored cluster).
    Returns the new risks and, per cluster, the largest link weight it shares with
    one flagged cluster (0 for flagged clusters and those under the floor).
    """
    link = np.zeros(n_c)
    bar = config.risk_threshold
    if config.campaign_floor >= bar or n_c == 0:
        return risk, link
    flagged = risk >= bar
    unsure = (risk >= config.campaign_floor) & ~flagged
    cross = (cs >= 0) & (cd >= 0) & (cs != cd)
    a, b, w = cs[cross], cd[cross], weight[cross]
    # orient each edge from its unsure end to its flagged end
    fwd = unsure[a] & flagged[b]
    rev = unsure[b] & flagged[a]
    u = np.concatenate([a[fwd], b[rev]]).astype(np.int64)
    f = np.concatenate([b[fwd], a[rev]]).astype(np.int64)
    if len(u) == 0:
        return risk, link
    key, inv = np.unique(u * n_c + f, return_inverse=True)
    pair_w = np.bincount(inv.ravel(), weights=np.concatenate([w[fwd], w[rev]]),
                         minlength=len(key))
    np.maximum.at(link, key // n_c, pair_w)
    lifted = unsure & (link > 0) & (link >= config.campaign_link_weight)
    return np.where(lifted, np.maximum(risk, bar), risk), link


def evidence_families(f: pd.DataFrame | dict[str, Any], rs: float) -> np.ndarray:
    """How many independent kinds of evidence a cluster's features show (0-7).

    A family counts when at least ``rs`` of the members share it (a burst also
    needs its surprise, a plan only its surprise).
    """
    return np.asarray(
        (np.asarray(f["shared_payment_share"]) >= rs).astype(float)
        + (np.asarray(f["device_share"]) >= rs)
        + (np.asarray(f["identifier_share"]) >= rs)
        + (np.asarray(f["infra_share"]) >= rs)
        + (np.asarray(f["similarity_share"]) >= rs)
        + ((np.asarray(f["burst_share"]) >= rs) & (np.asarray(f["burst_surprise"]) >= 0.5))
        + (np.asarray(f["plan_surprise"]) >= 0.5),
        dtype=np.float64,
    )


def attached_households(
    n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, bits: np.ndarray,
    node_c: np.ndarray, max_bridge: float, exit_ratio: float = 0.0, max_size: int = 0,
) -> np.ndarray:
    """Per account: whether it belongs to a household merely attached to its cluster.

    ``src, dst, weight, bits``: the account graph's links (any; those inside one
    cluster of ``node_c`` define households and bridges).  A household is a connected
    group of members joined by their own personal links (card, device, identifier).
    It is *attached* when it has two or more members (at most ``max_size``; 0: any
    number), is smaller than half its cluster, and either

    * its links to the rest of the cluster weigh less than ``max_bridge`` times its
      links inside the group, or
    * (``exit_ratio`` > 0) those links are addresses only (no personal link, no
      behaviour pair) and its links to accounts outside the cluster weigh at least
      ``exit_ratio`` times them.

    Why: Leiden's coarse resolution keeps a family whose only link to a ring is one
    shared prompt template, the home address a residential proxy exits through, or
    the VPN exit it shares with strangers and a few ring members, inside the ring's
    cluster; each member's own tie is then strong (its family's card, device and
    address), so the tie rule alone banned such families whole.  A ring's own
    card-sharing teams are linked to the rest of the ring by far more than they share
    inside (infrastructure, templates, timing), and their addresses lead mostly to
    the ring's other members, not out of the cluster.

    >>> src, dst = np.array([0, 0, 1, 3]), np.array([1, 2, 2, 0])
    >>> w, b = np.array([2.0, 2.0, 2.0, 0.5]), np.array([1, 1, 1, 4])  # 0-1-2 card, 3-0 IP
    >>> c = np.zeros(8, np.int64)                                      # one cluster of 8
    >>> attached_households(8, src, dst, w, b, c, 0.3).tolist()[:4]
    [True, True, True, False]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    out = np.zeros(n, dtype=bool)
    if not n or (max_bridge <= 0 and exit_ratio <= 0) or not len(src):
        return out
    cs_all, cd_all = node_c[src], node_c[dst]
    inside = (cs_all == cd_all) & (cs_all >= 0)
    isrc, idst, iw, ib = src[inside], dst[inside], weight[inside], bits[inside].astype(np.int64)
    personal = (ib & L.PERSONAL) != 0
    adj = coo_matrix((np.ones(int(personal.sum())), (isrc[personal], idst[personal])),
                     shape=(n, n))
    _, comp = connected_components(adj, directed=False)
    cs, cd = comp[isrc], comp[idst]
    same = cs == cd
    inner = np.bincount(cs[same], weights=iw[same], minlength=n)
    bridge = (np.bincount(cs[~same], weights=iw[~same], minlength=n)
              + np.bincount(cd[~same], weights=iw[~same], minlength=n))
    comp_size = np.bincount(comp, minlength=n)
    in_cluster = node_c >= 0
    cluster_size = np.bincount(node_c[in_cluster], minlength=int(node_c.max()) + 1)
    csize = np.zeros(n, dtype=np.int64)
    csize[in_cluster] = cluster_size[node_c[in_cluster]]
    k = comp_size[comp]
    cap = max_size if max_size > 0 else n
    small = in_cluster & (k >= 2) & (k <= cap) & (2 * k < csize)
    attached = bridge[comp] < max_bridge * inner[comp] if max_bridge > 0 else np.zeros(n, bool)
    if exit_ratio > 0:
        address = L.IP | L.PROXY | L.DATACENTER
        more = (ib[~same] & ~address) != 0
        not_address = (np.bincount(cs[~same], weights=more, minlength=n)
                       + np.bincount(cd[~same], weights=more, minlength=n)) > 0
        # links leaving a cluster, counted for the end that is in one
        out_s, out_d = ~inside & (cs_all >= 0), ~inside & (cd_all >= 0)
        leaving = (np.bincount(comp[src[out_s]], weights=weight[out_s], minlength=n)
                   + np.bincount(comp[dst[out_d]], weights=weight[out_d], minlength=n))
        behind_exit = ~not_address & (bridge > 0) & (leaving >= exit_ratio * bridge)
        attached |= behind_exit[comp]
    return small & attached


def account_risk_of(cluster_risk: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """A member's risk: its cluster's, halved for a member with no tie of its own.

    ``tie`` in [0, 1] is the member's summed internal link weight relative to
    the cluster's median member (capped at 1): a core member has tie 1, an
    account hanging on one weak link near 0.
    """
    return np.asarray(cluster_risk, np.float64) * (0.5 + 0.5 * np.asarray(tie, np.float64))


def tie_of(account_risk: np.ndarray, cluster_risk: np.ndarray) -> np.ndarray:
    """The inverse of :func:`account_risk_of`: a member's tie from the two stored risks.

    >>> round(float(tie_of(np.array([0.6]), np.array([0.8]))[0]), 6)
    0.5
    """
    r = np.asarray(cluster_risk, np.float64)
    a = np.asarray(account_risk, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(r > 0, 2.0 * a / r - 1.0, 1.0)
    return np.clip(np.nan_to_num(t, nan=1.0), 0.0, 1.0)


def score_clusters(
    g: AccountGraph, membership: np.ndarray, config: DetectionConfig,
    model: RiskModel | None = None, floor: RiskModel | None = None,
) -> Scored:
    """Features, risk and reasons for every cluster of ``membership`` with >= 2 members.

    ``model`` scores the features (default: the shipped :func:`default_model`).
    ``floor``, when given, scores them too; where its score reaches
    ``config.risk_threshold`` a cluster keeps the higher of the two, unless the cluster
    presents as one organisation on its own domain (feature ``infrastructure_risk``
    holds the floor's score; NaN without one).
    """
    n = g.n
    sizes_all = np.bincount(membership, minlength=1) if n else np.zeros(1, np.int64)
    eligible = np.flatnonzero(sizes_all >= config.min_cluster_size)
    n_c = len(eligible)
    cidx = np.full(len(sizes_all), -1, dtype=np.int64)
    cidx[eligible] = np.arange(n_c)
    node_c = cidx[membership] if n else np.array([], np.int64)

    cs, cd = node_c[g.src], node_c[g.dst]
    internal = (cs == cd) & (cs >= 0)
    isrc, idst, iw, ib = g.src[internal], g.dst[internal], g.weight[internal], g.bits[internal]
    ic = cs[internal]
    internal_weight = np.bincount(ic, weights=iw, minlength=n_c)
    internal_edges = np.bincount(ic, minlength=n_c)

    acc_bits = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(acc_bits, isrc, ib.astype(np.int64))
    np.bitwise_or.at(acc_bits, idst, ib.astype(np.int64))
    strength = np.bincount(isrc, weights=iw, minlength=n) + np.bincount(
        idst, weights=iw, minlength=n
    )

    members = np.flatnonzero(node_c >= 0)
    mc = node_c[members]
    size = np.bincount(mc, minlength=n_c).astype(np.float64)
    nodes = g.nodes

    def share(flag: np.ndarray) -> np.ndarray:
        return np.bincount(mc, weights=flag.astype(np.float64), minlength=n_c) / np.maximum(size, 1)

    mb = acc_bits[members]
    f = _features(
        g, membership, members, mc, n_c, size, mb, internal_weight, internal_edges, share, config
    )
    in_burst = f.pop("_in_burst").astype(bool)
    entry = f.pop("_entry").astype(bool)
    med = f["median_requests"]
    req = nodes["requests"].to_numpy(np.float64)
    active = req[req > 0]
    global_median = float(np.median(active)) if len(active) else 0.0
    frame = pd.DataFrame(f)
    risk = (model or default_model()).predict(frame)
    f["infrastructure_risk"] = floor.predict(frame) if floor else np.full(n_c, np.nan)
    if floor:
        # At the flag bar only (below it the fuller model's estimate stands), and not for
        # a cluster that presents as one organisation on its own domain: the wave holds
        # those to the verified-org bar, and infrastructure alone cannot tell a company's
        # CI fleet on one card and one cloud from a ring (its pairs, or their absence, can).
        infra = f["infrastructure_risk"]
        org = presents_as_org(f["email_domain_top_share"], f["email_domain_exclusive"],
                              OWN_DOMAIN_SHARE)
        lift = (infra >= config.risk_threshold) & ~org
        risk = np.where(lift, np.maximum(risk, infra), risk)
    f["model_risk"] = risk
    risk, f["campaign_link_weight"] = campaign_lift(risk, cs, cd, g.weight, n_c, config)
    lifted = risk > f["model_risk"]

    # -- cluster reasons --------------------------------------------------------
    rs = config.reason_share
    cm = np.zeros(n_c, dtype=np.int64)
    rule = {
        "shared_payment": f["shared_payment_share"] >= rs,
        "prepaid_card_shared": f["prepaid_share"] >= rs,
        "shared_ip": f["ip_share"] >= rs,
        "proxy_provider": f["proxy_share"] >= rs,
        "datacenter_ip": f["datacenter_share"] >= rs,
        "shared_device": f["device_share"] >= rs,
        "shared_identifier": f["identifier_share"] >= rs,
        "behaviour_similarity": f["similarity_share"] >= rs,
        "prompt_template": f["prompt_template_share"] >= rs,
        "timing_sync": f["timing_sync_share"] >= rs,
        "model_pivot": f["model_pivot_share"] >= rs,
        "signup_burst": (f["burst_share"] >= 0.5) & (size >= 3),
        "entry_point_plan": f["entry_plan_share"] >= 0.5,
        "high_volume": (med + 1.0) >= config.high_volume_ratio * (global_median + 1.0),
        "dense_cluster": (f["density"] >= config.dense_threshold) & (size >= 3),
        CAMPAIGN_LINK: lifted,
    }
    for code, hit in rule.items():
        cm |= np.where(hit, _R[code], 0)

    # -- account reasons: own links inside the cluster + matching attributes -----
    am = _link_reason_mask(mb)
    ccm = cm[mc]
    attr = {
        "proxy_provider": nodes["uses_proxy"].to_numpy()[members],
        "datacenter_ip": nodes["uses_datacenter"].to_numpy()[members],
        "signup_burst": in_burst,
        "entry_point_plan": entry,
        "high_volume": (req[members] + 1.0) >= config.high_volume_ratio * (global_median + 1.0),
    }
    for code, own in attr.items():
        am |= np.where(own & (ccm & _R[code] != 0), _R[code], 0)
    # A raised cluster's members carry why: the ban-wave CSV lists account reasons.
    am |= np.where(lifted[mc], _R[CAMPAIGN_LINK], 0)

    st = strength[members]
    med_strength = pd.Series(st).groupby(mc).median().reindex(range(n_c)).to_numpy()
    tie = np.minimum(1.0, st / np.maximum(med_strength[mc], 1e-12))
    attached = attached_households(n, g.src, g.dst, g.weight, g.bits, node_c,
                                   config.household_bridge, config.household_exit_ratio,
                                   config.household_max_size)
    tie = np.where(attached[members], 0.0, tie)
    account_risk = account_risk_of(risk[mc], tie)
    a_acc, a_c, a_w, a_mask = strongly_tied_outsiders(
        g, node_c, np.where(lifted, np.nan, med_strength), config.attach_rel)
    a_tie = np.minimum(1.0, a_w / np.maximum(med_strength[a_c], 1e-12))

    clusters = pd.DataFrame({"label": eligible, "size": size.astype(np.int64), "risk": risk})
    clusters["reasons"] = reasons_from_masks(cm)
    for name in FEATURES:
        clusters[name] = f[name]
    first_member = np.full(n_c, n, dtype=np.int64)
    np.minimum.at(first_member, mc, members)
    clusters["_first"] = first_member
    clusters = (
        clusters.sort_values(
            ["risk", "size", "_first"], ascending=[False, False, True], kind="stable"
        )
        .drop(columns="_first")
        .reset_index(drop=True)
    )

    mem = pd.DataFrame(
        {
            "account_id": nodes["account_id"].to_numpy()[np.r_[members, a_acc]],
            "label": eligible[np.r_[mc, a_c]],
            "account_risk": np.r_[account_risk, account_risk_of(risk[a_c], a_tie)],
            "reasons": reasons_from_masks(np.r_[am, a_mask]),
            "strength": np.r_[st, a_w],
        }
    )
    return Scored(clusters=clusters, members=mem)


#: The least summed weight an outsider needs to join a cluster (one card link's weight).
ATTACH_FLOOR = 1.0


def strongly_tied_outsiders(
    g: AccountGraph, node_c: np.ndarray, med_strength: np.ndarray, attach_rel: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Accounts in no cluster whose links into one cluster are as strong as its members'.

    Returns, for each such account: its node, the cluster (index into ``med_strength``)
    it is most strongly linked to, that summed link weight, and the reason mask of
    those links.  Kept when the weight reaches ``attach_rel`` x the cluster's median
    member and at least the weight of one personal link (``ATTACH_FLOOR``); a cluster
    whose ``med_strength`` is NaN takes nobody (0 turns it off).

    Why: Leiden's CPM and the periphery pruning leave outside every cluster accounts
    whose weight is spread over a ring's proxy exits (CPM weighs each cluster
    separately; pruning detaches members tied by addresses alone), yet some are tied as
    strongly as a typical member: without behaviour pairs, 28 % of a no-behaviour ring's
    accounts were in no cluster (seed 21, 200k).  They join *after* the cluster is
    scored: re-admitting them before scoring dilutes the features the model was fitted
    on and lowered recall.  The floor keeps a cluster of weakly tied members (whose
    median is small) from taking every VPN user on its exits, and a cluster raised by
    ``campaign_link`` was not certain on its own, so it takes nobody.
    """
    e = np.array([], np.int64)
    if attach_rel <= 0 or not len(g.src) or not len(med_strength):
        return e, e, np.array([]), e
    a = np.r_[g.src, g.dst]
    b = np.r_[g.dst, g.src]
    sel = (node_c[a] < 0) & (node_c[b] >= 0)
    if not sel.any():
        return e, e, np.array([]), e
    w = np.r_[g.weight, g.weight][sel]
    bits = np.r_[g.bits, g.bits][sel].astype(np.int64)
    d = pd.DataFrame({"a": a[sel], "c": node_c[b[sel]], "w": w, "bits": bits})
    agg = d.groupby(["a", "c"], sort=False).agg(w=("w", "sum"), bits=("bits", np.bitwise_or.reduce))
    agg = agg.reset_index().sort_values(["w", "a", "c"], ascending=[False, True, True])
    agg = agg.drop_duplicates("a")
    med = med_strength[agg["c"].to_numpy()]
    wt = agg["w"].to_numpy()
    keep = ~np.isnan(med) & (wt >= attach_rel * np.nan_to_num(med)) & (wt >= ATTACH_FLOOR)
    agg = agg[keep].sort_values("a")
    return (agg["a"].to_numpy(np.int64), agg["c"].to_numpy(np.int64), agg["w"].to_numpy(float),
            _link_reason_mask(agg["bits"].to_numpy(np.int64)))

