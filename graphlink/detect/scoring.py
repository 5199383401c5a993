"""Scoring: per-cluster features, risk in [0, 1] and reason codes (pure).

Every feature is computed for all clusters at once with ``np.bincount`` over
member / internal-edge arrays (no loop per cluster).  Most are *shares of
members* (0..1), so they mean the same for a ring of 20 and one of 2,000:

=========================  ============================================================
feature                    share of members ...
=========================  ============================================================
``proxy_share``            using an IP of a known proxy / reseller service
``datacenter_share``       using a datacenter IP
``shared_payment_share``   sharing a payment instrument with another member
``prepaid_share``          sharing a *prepaid* instrument with another member
``ip_share`` ...           sharing an IP / device / other identifier with another member
``similarity_share``       with a behavioural-similarity link to another member
``signal_mix``             mean of the prompt_template / timing_sync / model_pivot shares
``burst_share``            created inside the densest ``burst_hours`` window
``entry_plan_share``       on an entry-point plan (edu / startup / free)
``org_share``              in the cluster's most common verified org
=========================  ============================================================

plus ``density`` (internal weight per possible pair), ``mean_edge_weight``,
``volume_ratio_log10`` (log10 of the members' median requests over the whole
population's) and ``log10_size``.

Risk is a logistic combination (``DetectionConfig.risk_bias``/``risk_coef``):
coefficients are log-odds per unit of feature; a verified-org majority pulls
hard the other way (a company's shared card and office IP look like a ring).

Reason codes: a cluster carries a code when the share behind it reaches
``reason_share`` (``signup_burst``/``entry_point_plan`` need half the
members).  An account carries the link codes of the links that tie *it* to
other members (its internal edges), plus the cluster's attribute codes it
personally matches (uses a proxy IP, created in the burst window, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphlink.detect import linking as L
from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import AccountGraph

#: Reason codes of the graph model, in its order; a reason mask has bit i for code i.
REASON_CODES: tuple[str, ...] = (
    "shared_payment", "prepaid_card_shared", "shared_ip", "proxy_provider", "datacenter_ip",
    "shared_device", "shared_identifier", "behaviour_similarity", "prompt_template",
    "timing_sync", "model_pivot", "signup_burst", "entry_point_plan", "high_volume",
    "dense_cluster",
)
_R = {code: 1 << i for i, code in enumerate(REASON_CODES)}

#: Feature columns of the clusters frame (also stored as ``features_json``).
FEATURES: tuple[str, ...] = (
    "density", "mean_edge_weight", "internal_edges", "proxy_share", "datacenter_share",
    "shared_payment_share", "prepaid_share", "ip_share", "proxy_link_share", "device_share",
    "identifier_share", "similarity_share", "prompt_template_share", "timing_sync_share",
    "model_pivot_share", "signal_mix", "burst_share", "entry_plan_share", "org_share", "median_requests",
    "volume_ratio_log10", "log10_size",
)


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


def score_clusters(g: AccountGraph, membership: np.ndarray, config: DetectionConfig) -> Scored:
    """Features, risk and reasons for every cluster of ``membership`` with >= 2 members."""
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
    strength = (np.bincount(isrc, weights=iw, minlength=n)
                + np.bincount(idst, weights=iw, minlength=n))

    members = np.flatnonzero(node_c >= 0)
    mc = node_c[members]
    size = np.bincount(mc, minlength=n_c).astype(np.float64)
    nodes = g.nodes

    def share(flag: np.ndarray) -> np.ndarray:
        return np.bincount(mc, weights=flag.astype(np.float64), minlength=n_c) / np.maximum(size, 1)

    mb = acc_bits[members]
    f: dict[str, np.ndarray] = {}
    pairs = size * (size - 1) / 2
    f["density"] = internal_weight / np.maximum(pairs, 1)
    f["mean_edge_weight"] = internal_weight / np.maximum(internal_edges, 1)
    f["internal_edges"] = internal_edges.astype(np.float64)
    f["proxy_share"] = share(nodes["uses_proxy"].to_numpy()[members])
    f["datacenter_share"] = share(nodes["uses_datacenter"].to_numpy()[members])
    f["shared_payment_share"] = share(mb & L.PAYMENT != 0)
    f["prepaid_share"] = share(mb & L.PREPAID != 0)
    f["ip_share"] = share(mb & L.IP != 0)
    f["proxy_link_share"] = share(mb & L.PROXY != 0)
    f["device_share"] = share(mb & L.DEVICE != 0)
    f["identifier_share"] = share(mb & L.IDENTIFIER != 0)
    f["similarity_share"] = share(mb & L.SIMILAR != 0)
    f["prompt_template_share"] = share(mb & L.PROMPT_TEMPLATE != 0)
    f["timing_sync_share"] = share(mb & L.TIMING_SYNC != 0)
    f["model_pivot_share"] = share(mb & L.MODEL_PIVOT != 0)
    # Rings are alike on every behavioural signal at once; benign look-alikes on
    # one (a campus on templates, heavy users on the model pivot, colleagues on timing).
    f["signal_mix"] = (f["prompt_template_share"] + f["timing_sync_share"]
                       + f["model_pivot_share"]) / 3.0

    window = config.burst_hours * 3600.0
    burst_count, in_burst = _densest_window(mc, nodes["created_s"].to_numpy()[members], n_c, window)
    f["burst_share"] = burst_count / np.maximum(size, 1)

    plan = nodes["plan"].astype("string").str.lower().fillna("")
    entry = plan.isin(list(config.entry_plans)).to_numpy(dtype=bool)
    f["entry_plan_share"] = share(entry[members])

    org_codes, _ = pd.factorize(nodes["org_id"].to_numpy()[members])
    org_share = np.zeros(n_c)
    has_org = org_codes >= 0
    if has_org.any():
        pair = pd.DataFrame({"c": mc[has_org], "o": org_codes[has_org]})
        top = pair.value_counts().groupby(level="c").max()
        org_share[top.index.to_numpy()] = top.to_numpy()
    f["org_share"] = org_share / np.maximum(size, 1)

    req = nodes["requests"].to_numpy(np.float64)
    active = req[req > 0]
    global_median = float(np.median(active)) if len(active) else 0.0
    med = pd.Series(req[members]).groupby(mc).median().reindex(range(n_c)).fillna(0).to_numpy()
    f["median_requests"] = med
    f["volume_ratio_log10"] = np.clip(np.log10((med + 1.0) / (global_median + 1.0)), -1.0, 2.0)
    f["log10_size"] = np.log10(np.maximum(size, 1))

    z = np.full(n_c, config.risk_bias)
    for name, coef in config.risk_coef:
        z = z + coef * f[name]
    risk = 1.0 / (1.0 + np.exp(-z))

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
        "entry_point_plan": entry[members],
        "high_volume": (req[members] + 1.0) >= config.high_volume_ratio * (global_median + 1.0),
    }
    for code, own in attr.items():
        am |= np.where(own & (ccm & _R[code] != 0), _R[code], 0)

    st = strength[members]
    med_strength = pd.Series(st).groupby(mc).median().reindex(range(n_c)).to_numpy()
    tie = np.minimum(1.0, st / np.maximum(med_strength[mc], 1e-12))
    account_risk = risk[mc] * (0.5 + 0.5 * tie)

    clusters = pd.DataFrame({"label": eligible, "size": size.astype(np.int64), "risk": risk})
    clusters["reasons"] = reasons_from_masks(cm)
    for name in FEATURES:
        clusters[name] = f[name]
    first_member = np.full(n_c, n, dtype=np.int64)
    np.minimum.at(first_member, mc, members)
    clusters["_first"] = first_member
    clusters = clusters.sort_values(["risk", "size", "_first"], ascending=[False, False, True],
                                    kind="stable").drop(columns="_first").reset_index(drop=True)

    mem = pd.DataFrame({
        "account_id": nodes["account_id"].to_numpy()[members],
        "label": eligible[mc],
        "account_risk": account_risk,
        "reasons": reasons_from_masks(am),
        "strength": st,
    })
    return Scored(clusters=clusters, members=mem)
