"""Leiden community detection on the account graph (pure).

Default: igraph's built-in ``community_leiden`` with the CPM objective, 12-20x
faster than leidenalg here (``shared/notes/leiden-measurements.md``).  CPM
with a resolution on the weight scale recovers planted rings; modularity
merges them into thousands of benign neighbours (resolution limit), measured
again in ``bench/bench_detect.py``.  leidenalg stays available as an engine.

Determinism: the graph is built from sorted integer ids (the account index is
sorted by ``account_id``, edges sorted by pair), and the RNG is a private
``random.Random(seed)`` installed as igraph's generator only for the call, so
the same data and seed give the same membership.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import igraph as ig
import numpy as np
import pandas as pd

from graphlink.detect.config import DetectionConfig


@dataclass
class Partition:
    """Membership per vertex (cluster labels 0..k-1) and the parameters used."""

    membership: np.ndarray
    quality: float
    engine: str
    objective: str
    resolution: float
    seed: int
    n_iterations: int


def to_igraph(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> ig.Graph:
    """An undirected igraph graph from integer ids (fastest way in, measured)."""
    g = ig.Graph(n=n, edges=list(zip(src.tolist(), dst.tolist())), directed=False)
    g.es["weight"] = weight.tolist()
    return g


def leiden(
    g: ig.Graph,
    config: DetectionConfig,
    *,
    seed: int,
    node_weights: list[float] | None = None,
    resolution: float | None = None,
) -> Partition:
    """Run Leiden as configured; same graph + seed -> same membership."""
    res = config.resolution if resolution is None else resolution
    if config.engine == "leidenalg":
        import leidenalg as la

        if config.objective == "cpm":
            part = la.find_partition(
                g, la.CPMVertexPartition, weights="weight", node_sizes=node_weights,
                resolution_parameter=res, n_iterations=config.n_iterations, seed=seed,
            )
        else:
            part = la.find_partition(
                g, la.RBConfigurationVertexPartition, weights="weight",
                resolution_parameter=res, n_iterations=config.n_iterations, seed=seed,
            )
        membership = np.asarray(part.membership, dtype=np.int64)
        quality = float(part.quality())
    else:
        rng = random.Random(seed)
        ig.set_random_number_generator(rng)
        try:
            kwargs: dict[str, object] = {
                "objective_function": "CPM" if config.objective == "cpm" else "modularity",
                "weights": "weight", "resolution": res, "beta": config.beta,
                "n_iterations": config.n_iterations,
            }
            if node_weights is not None and config.objective == "cpm":
                kwargs["node_weights"] = node_weights
            cl = g.community_leiden(**kwargs)
        finally:
            ig.set_random_number_generator(random)
        membership = np.asarray(cl.membership, dtype=np.int64)
        quality = float(cl.quality) if cl.quality is not None else float("nan")
    return Partition(
        membership=_canonical(membership), quality=quality, engine=config.engine,
        objective=config.objective, resolution=res, seed=seed, n_iterations=config.n_iterations,
    )


def components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Connected component label per account (scipy's, over the edge list)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(n, n))
    return connected_components(m, directed=False)[1].astype(np.int64)


def bucket_of(comp: np.ndarray, accounts: np.ndarray, config: DetectionConfig) -> np.ndarray:
    """The Leiden bucket of each of ``accounts`` (an edge's is its source's): its component's
    number modulo ``config.leiden_buckets``."""
    return comp[accounts] % max(1, config.leiden_buckets)


def leiden_bucket(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, config: DetectionConfig,
                  *, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Leiden on one bucket's edges (global account ids): its accounts, their labels, quality.

    The one definition both engines call.  Edges are taken in ``(src, dst)`` order and
    vertices in id order whatever order they came in (a Spark group's rows come in shuffle
    order), so the same bucket gives the same labels on either engine.
    """
    order = np.lexsort((dst, src))
    src, dst, weight = src[order], dst[order], weight[order]
    nodes, inv = np.unique(np.r_[src, dst], return_inverse=True)
    part = leiden(to_igraph(len(nodes), inv[: len(src)], inv[len(src):], weight), config,
                  seed=seed)
    return nodes, part.membership, part.quality


def join_buckets(n: int, bucket_of_node: np.ndarray, node: np.ndarray, label: np.ndarray,
                 ) -> np.ndarray:
    """Per-bucket labels of the linked accounts to canonical labels over all ``n``.

    ``(bucket, label)`` pairs become one label each; accounts without an edge stay alone.
    """
    membership = np.arange(n, dtype=np.int64) + (int(bucket_of_node.max(initial=0)) + 1) * (n + 1)
    membership[node] = bucket_of_node * (n + 1) + label
    return _canonical(np.unique(membership, return_inverse=True)[1].astype(np.int64))


def leiden_linked(
    n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, config: DetectionConfig,
    *, seed: int,
) -> Partition:
    """Leiden on the ``n`` accounts of an edge list, run only on accounts with an edge.

    Why: an account without an edge is alone in every CPM optimum (joining a
    cluster adds no weight, only the ``resolution`` penalty), so it needs no
    Leiden pass; most accounts of a platform share nothing with anybody.
    Linked accounts are clustered per bucket of whole components
    (``config.leiden_buckets``, :func:`leiden_bucket`), as the Spark engine
    does, so both engines give the same labels.  With
    ``config.leiden_linked_only`` off (``--leiden-all-accounts``; another random
    run, see the config), Leiden runs once on all ``n``.  Labels are canonical
    over all ``n``.
    """
    if not config.leiden_linked_only:
        return leiden(to_igraph(n, src, dst, weight), config, seed=seed)
    # One bucket (the default) needs no components: every edge is in it.
    comp = (components(n, src, dst) if config.leiden_buckets > 1
            else np.zeros(n, dtype=np.int64))
    bucket = bucket_of(comp, src, config)
    nodes, labels, quality = [], [], 0.0
    for b in np.unique(bucket):
        sel = bucket == b
        node, label, q = leiden_bucket(src[sel], dst[sel], weight[sel], config, seed=seed)
        nodes.append(node)
        labels.append(label)
        quality += q
    node = np.concatenate(nodes) if nodes else np.array([], dtype=np.int64)
    label = np.concatenate(labels) if labels else np.array([], dtype=np.int64)
    membership = join_buckets(n, bucket_of(comp, node, config), node, label)
    return Partition(membership=membership, quality=quality, engine=config.engine,
                     objective=config.objective, resolution=config.resolution, seed=seed,
                     n_iterations=config.n_iterations)


def _canonical(membership: np.ndarray) -> np.ndarray:
    """Relabel clusters by their smallest vertex id (label order independent of the engine)."""
    if len(membership) == 0:
        return membership
    first = np.full(membership.max() + 1, len(membership), dtype=np.int64)
    np.minimum.at(first, membership, np.arange(len(membership)))
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[membership]


def coarse_groups(
    n_clusters: int, cluster_of_src: np.ndarray, cluster_of_dst: np.ndarray, weight: np.ndarray,
    sizes: np.ndarray, config: DetectionConfig, *, seed: int,
) -> np.ndarray:
    """Second, coarser CPM pass: group clusters into campaigns.

    Clusters are contracted to one vertex each (node weight = size); links
    between two clusters sum.  With CPM node weights the density threshold is
    ``parent_resolution`` per pair of *accounts*, so two sub-rings joined by a
    handful of links stay apart while sub-rings of one campaign (shared proxy
    pool, payment cards) join.  Returns a group label per cluster.
    """
    between = cluster_of_src != cluster_of_dst
    a = np.minimum(cluster_of_src[between], cluster_of_dst[between])
    b = np.maximum(cluster_of_src[between], cluster_of_dst[between])
    if n_clusters == 0:
        return np.array([], dtype=np.int64)
    key = a * n_clusters + b
    uk, inv = np.unique(key, return_inverse=True)
    w = np.bincount(inv, weights=weight[between])
    g = to_igraph(n_clusters, uk // n_clusters, uk % n_clusters, w)
    cfg = config.with_(engine="igraph", objective="cpm")
    part = leiden(g, cfg, seed=seed, node_weights=sizes.astype(float).tolist(),
                  resolution=config.parent_resolution)
    return part.membership


def prune_periphery(
    membership: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
    bits: np.ndarray, config: DetectionConfig,
) -> tuple[np.ndarray, int]:
    """Detach weakly or only co-located members from their cluster (they become singletons).

    Why: CPM admits a vertex into a cluster C when its links to C outweigh
    ``resolution x |C|``, so a ring also absorbs the benign VPN user who
    happened to share proxy exits with a dozen members, or the family whose
    home IP a residential proxy reused.  Two rules, ``prune_rounds`` times
    (medians move as the periphery leaves):

    * *co-located only*: a member tied to its cluster by shared IPs alone
      (no payment, identifier or behaviour link to any member) is detached
      when the cluster has members tied by such personal evidence: an IP is
      shared by strangers (NAT, carriers, VPN exits), a card or a device is
      not.  Clusters held together by IPs alone are left whole (and score
      low).  Measured at 1M accounts: no ring member of a risky cluster was
      IP-only, 98% of the benign accounts in them were.
    * *weak*: summed weight inside the cluster below ``prune_rel`` x the
      cluster's median member.

    Returns the new membership and how many vertices were detached.
    """
    from graphlink.detect import linking as L

    ip_bits = L.IP | L.PROXY | L.DATACENTER
    m = membership.copy()
    n = len(m)
    detached = 0
    for _ in range(config.prune_rounds):
        internal = m[src] == m[dst]
        isrc, idst, iw = src[internal], dst[internal], weight[internal]
        s = np.bincount(isrc, weights=iw, minlength=n) + np.bincount(
            idst, weights=iw, minlength=n
        )
        personal = (bits[internal] & ~ip_bits) != 0
        has_personal = np.zeros(n, dtype=bool)
        has_personal[isrc[personal]] = True
        has_personal[idst[personal]] = True
        size = np.bincount(m)
        in_cluster = size[m] >= 2
        idx = np.flatnonzero(in_cluster)
        if not len(idx):
            break
        med = pd.Series(s[idx]).groupby(m[idx]).median()
        thr = np.zeros(len(size))
        thr[med.index.to_numpy()] = config.prune_rel * med.to_numpy()
        weak = in_cluster & (s < thr[m])
        if config.require_personal_tie:
            n_personal = np.bincount(m[has_personal], minlength=len(size))
            weak |= in_cluster & ~has_personal & (n_personal[m] >= 2)
        k = int(weak.sum())
        if not k:
            break
        m[weak] = m.max() + 1 + np.arange(k)
        detached += k
    return _canonical(m), detached
