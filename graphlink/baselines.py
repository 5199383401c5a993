"""Naive baselines graphlink is compared with, on the same :class:`Links` (pure).

What a team without graphlink would try first, each ending in a set of
flagged accounts with a cluster id (so :mod:`graphlink.evaluate` scores them
like a ban wave):

* **components**: accounts are linked when they share anything (payment
  instrument, IP, identifier, a behaviour-similarity pair); every connected
  component of at least ``min_size`` accounts is flagged.
* **leiden-modularity** / **louvain**: the same links projected to an
  unweighted account graph (every pair sharing something gets one edge),
  communities by modularity (igraph's ``community_leiden`` and
  ``community_multilevel``); a community is flagged when it has at least
  ``min_size`` accounts and at least ``proxy_share`` of its members used a
  known proxy-provider IP (the naive "ring = group behind a proxy" rule).

Hubs.  Projecting a thing shared by k accounts costs k(k-1)/2 pairs: a
CGNAT IP with 30,000 users alone would be 450 million.  A naive pipeline has
to drop hubs to run at all, so every baseline ignores things with more than
``hub_cap`` sharers (default 100; ``hub_cap=None`` keeps them, which only
the linear-time components baseline can afford, shown as
``components-uncapped``).  Below the cap, pairs are generated per sharer
count with one vectorised ``triu`` per count, never per thing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd

from graphlink.model import Links

#: Things shared by more accounts than this are ignored by the baselines.
DEFAULT_HUB_CAP = 100
#: Smallest component / community a baseline flags.
DEFAULT_MIN_SIZE = 5
#: Share of a community's members on a proxy-provider IP for it to be flagged.
DEFAULT_PROXY_SHARE = 0.5
#: Louvain is skipped above this many projected edges (igraph's multilevel
#: took > 11 min at 1M accounts here: ``shared/notes/leiden-measurements.md``).
LOUVAIN_MAX_EDGES = 3_000_000


@dataclass(frozen=True)
class BaselineResult:
    """Flagged accounts (``account_id, cluster_id``) of one baseline, with its parameters."""

    method: str
    flagged: pd.DataFrame
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)
    n_clusters_found: int = 0


@dataclass(frozen=True)
class Incidence:
    """Account-to-thing incidence with integer ids (factorised once for every baseline)."""

    account_ids: np.ndarray      # index -> account_id
    account: np.ndarray          # per link: account index
    thing: np.ndarray            # per link: thing index
    n_things: int
    sim_src: np.ndarray          # similarity pairs, account indexes
    sim_dst: np.ndarray
    proxy_accounts: np.ndarray   # bool per account: used a proxy-provider IP


def incidence(links: Links) -> Incidence:
    """Factorise accounts and shared things (instrument, IP, ``kind:value``) to integers."""
    ids = pd.Index(pd.unique(links.accounts["account_id"].astype(str)))
    parts = []
    if len(links.payments):
        parts.append(pd.DataFrame({"account_id": links.payments["account_id"].astype(str),
                                   "thing": "pay:" + links.payments["instrument_id"].astype(str)}))
    if len(links.ips):
        parts.append(pd.DataFrame({"account_id": links.ips["account_id"].astype(str),
                                   "thing": "ip:" + links.ips["ip"].astype(str)}))
    if len(links.identifiers):
        parts.append(pd.DataFrame({
            "account_id": links.identifiers["account_id"].astype(str),
            "thing": "id:" + links.identifiers["kind"].astype(str) + ":"
                     + links.identifiers["value"].astype(str)}))
    inc = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            {"account_id": pd.Series([], dtype=str), "thing": pd.Series([], dtype=str)}
        )
    )
    acc = ids.get_indexer(inc["account_id"])
    keep = acc >= 0
    thing_codes, things = pd.factorize(inc["thing"][keep])
    n_things = max(len(things), 1)
    code = np.unique(acc[keep].astype(np.int64) * n_things + thing_codes.astype(np.int64))
    pairs = np.stack([code // n_things, code % n_things])
    sim = links.similarity
    a = ids.get_indexer(sim["account_a"].astype(str)) if len(sim) else np.zeros(0, dtype=np.int64)
    b = ids.get_indexer(sim["account_b"].astype(str)) if len(sim) else np.zeros(0, dtype=np.int64)
    ok = (a >= 0) & (b >= 0) & (a != b)
    proxy = np.zeros(len(ids), dtype=bool)
    if len(links.ips) and "proxy_provider" in links.ips:
        pp = links.ips["proxy_provider"].fillna("").astype(str).str.len() > 0
        pidx = ids.get_indexer(links.ips["account_id"][pp].astype(str))
        proxy[pidx[pidx >= 0]] = True
    return Incidence(
        account_ids=ids.to_numpy(),
        account=pairs[0],
        thing=pairs[1],
        n_things=len(things),
        sim_src=np.minimum(a[ok], b[ok]).astype(np.int64),
        sim_dst=np.maximum(a[ok], b[ok]).astype(np.int64),
        proxy_accounts=proxy,
    )


def _by_thing(inc: Incidence, hub_cap: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Links sorted by thing, with each thing's start offset and sharer count (hubs dropped)."""
    order = np.argsort(inc.thing, kind="stable")
    thing, acc = inc.thing[order], inc.account[order]
    counts = np.bincount(thing, minlength=inc.n_things)
    if hub_cap is not None:
        keep = counts[thing] <= hub_cap
        thing, acc = thing[keep], acc[keep]
        counts = np.bincount(thing, minlength=inc.n_things)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return acc, starts, counts


def star_edges(inc: Incidence, hub_cap: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Each sharer linked to the thing's first sharer: same components, linear size."""
    acc, starts, counts = _by_thing(inc, hub_cap)
    first = np.repeat(acc[starts[counts > 0]], counts[counts > 0])
    src = np.concatenate([first, inc.sim_src])
    dst = np.concatenate([acc, inc.sim_dst])
    keep = src != dst
    return src[keep], dst[keep]


def clique_edges(inc: Incidence, hub_cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Unweighted projection: one edge per account pair sharing anything (hubs dropped).

    Vectorised per sharer count k: the things with k sharers form a
    ``(n, k)`` matrix of account ids and one ``triu_indices(k, 1)`` yields
    all their pairs at once.
    """
    acc, starts, counts = _by_thing(inc, hub_cap)
    srcs, dsts = [inc.sim_src], [inc.sim_dst]
    for k in np.unique(counts[counts >= 2]):
        block = acc[starts[counts == k][:, None] + np.arange(k)[None, :]]
        i, j = np.triu_indices(int(k), 1)
        a, b = block[:, i].ravel(), block[:, j].ravel()
        srcs.append(np.minimum(a, b))
        dsts.append(np.maximum(a, b))
    src, dst = np.concatenate(srcs), np.concatenate(dsts)
    keep = src != dst
    n = len(inc.account_ids)
    code = np.unique(src[keep] * n + dst[keep])
    return code // n, code % n


def _graph(n: int, src: np.ndarray, dst: np.ndarray) -> ig.Graph:
    return ig.Graph(n=n, edges=list(zip(src.tolist(), dst.tolist())), directed=False)


def _flag(
    inc: Incidence, membership: np.ndarray, keep_label: np.ndarray, prefix: str
) -> pd.DataFrame:
    sel = keep_label[membership]
    return pd.DataFrame(
        {
            "account_id": inc.account_ids[sel],
            "cluster_id": (prefix + "-" + pd.Series(membership[sel]).astype(str)).to_numpy(),
        }
    )


def components(
    inc: Incidence, *, hub_cap: int | None = DEFAULT_HUB_CAP, min_size: int = DEFAULT_MIN_SIZE
) -> BaselineResult:
    """Connected components over anything shared; flag those with ``>= min_size`` accounts."""
    t = time.perf_counter()
    src, dst = star_edges(inc, hub_cap)
    g = _graph(len(inc.account_ids), src, dst)
    membership = np.asarray(g.connected_components().membership, dtype=np.int64)
    sizes = np.bincount(membership)
    flagged = _flag(inc, membership, sizes >= min_size, "cc")
    name = "components" if hub_cap is not None else "components-uncapped"
    return BaselineResult(
        name,
        flagged,
        time.perf_counter() - t,
        {"hub_cap": hub_cap, "min_size": min_size},
        int((sizes >= min_size).sum()),
    )


def _community_flags(
    inc: Incidence, membership: np.ndarray, *, min_size: int, proxy_share: float
) -> np.ndarray:
    sizes = np.bincount(membership)
    proxied = np.bincount(
        membership, weights=inc.proxy_accounts.astype(float), minlength=len(sizes)
    )
    return (sizes >= min_size) & (proxied >= proxy_share * sizes)


def modularity(
    inc: Incidence,
    *,
    method: str = "leiden",
    hub_cap: int = DEFAULT_HUB_CAP,
    min_size: int = DEFAULT_MIN_SIZE,
    proxy_share: float = DEFAULT_PROXY_SHARE,
    seed: int = 0,
    edges: tuple[np.ndarray, np.ndarray] | None = None,
) -> BaselineResult:
    """Modularity communities (``leiden`` or ``louvain``) on the unweighted projection."""
    import random

    t = time.perf_counter()
    src, dst = edges if edges is not None else clique_edges(inc, hub_cap)
    g = _graph(len(inc.account_ids), src, dst)
    ig.set_random_number_generator(random.Random(seed))
    try:
        if method == "louvain":
            part = g.community_multilevel()
        else:
            part = g.community_leiden(objective_function="modularity", n_iterations=2)
    finally:
        ig.set_random_number_generator(random)
    membership = np.asarray(part.membership, dtype=np.int64)
    keep = _community_flags(inc, membership, min_size=min_size, proxy_share=proxy_share)
    name = "louvain" if method == "louvain" else "leiden-modularity"
    return BaselineResult(
        name,
        _flag(inc, membership, keep, method[:3]),
        time.perf_counter() - t,
        {
            "hub_cap": hub_cap,
            "min_size": min_size,
            "proxy_share": proxy_share,
            "seed": seed,
            "edges": int(len(src)),
        },
        int(keep.sum()),
    )


def run_baselines(
    links: Links,
    *,
    hub_cap: int = DEFAULT_HUB_CAP,
    min_size: int = DEFAULT_MIN_SIZE,
    proxy_share: float = DEFAULT_PROXY_SHARE,
    seed: int = 0,
    louvain: bool | None = None,
    uncapped_components: bool = True,
) -> list[BaselineResult]:
    """Every baseline on the same links.  ``louvain=None``: only below :data:`LOUVAIN_MAX_EDGES`."""
    inc = incidence(links)
    out = [components(inc, hub_cap=hub_cap, min_size=min_size)]
    if uncapped_components:
        out.append(components(inc, hub_cap=None, min_size=min_size))
    t = time.perf_counter()
    edges = clique_edges(inc, hub_cap)
    projection_s = time.perf_counter() - t
    res = modularity(
        inc,
        method="leiden",
        hub_cap=hub_cap,
        min_size=min_size,
        proxy_share=proxy_share,
        seed=seed,
        edges=edges,
    )
    out.append(_plus(res, projection_s))
    if louvain or (louvain is None and len(edges[0]) <= LOUVAIN_MAX_EDGES):
        res = modularity(
            inc,
            method="louvain",
            hub_cap=hub_cap,
            min_size=min_size,
            proxy_share=proxy_share,
            seed=seed,
            edges=edges,
        )
        out.append(_plus(res, projection_s))
    return out


def _plus(r: BaselineResult, seconds: float) -> BaselineResult:
    return BaselineResult(r.method, r.flagged, r.seconds + seconds, r.params, r.n_clusters_found)
