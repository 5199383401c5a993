"""Detection end to end: a pure core and a thin Neo4j shell around it.

* :func:`detect_links` - ``Links`` in, :class:`DetectionResult` out; no I/O.
  Evaluation and benchmarks run it on generated frames directly.
* :func:`run_detection` - reads ``Links`` and the previous run from Neo4j,
  calls :func:`detect_links`, writes the run back and makes it current.

Stages (each timed into ``stage_seconds``): ``read`` (Neo4j), ``projection``
(links -> weighted account graph), ``leiden``, ``scoring`` (features, risk,
reasons, campaign grouping), ``lineage`` (stable ids), ``write`` (Neo4j).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from graphlink.detect import communities, lineage, scoring
from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import AccountGraph, CodedLinks, build_account_graph
from graphlink.detect.riskmodel import RiskModel, default_model
from graphlink.model import Links

DEFAULT_SEED = 42

Progress = Callable[[str], None]


@dataclass
class DetectionResult:
    """One detection run's output.

    ``clusters``: ``cluster_id, size, risk, reasons`` (list of codes),
    ``parent_cluster_id`` (campaign: the id of the riskiest cluster of its
    coarse group, None when alone), ``flagged`` (risk >= config.risk_threshold) and
    the feature columns of :data:`graphlink.detect.scoring.FEATURES`; riskiest
    first.  Only clusters with ``size >= 2`` and ``risk >= min_write_risk``.

    ``members``: ``account_id, cluster_id, account_risk, reasons`` (list),
    ``cluster_size, cluster_risk``.

    ``continues``: ``cluster_id, prev_cluster_id, jaccard`` (lineage).
    """

    run_id: str
    created_at: datetime
    clusters: pd.DataFrame
    members: pd.DataFrame
    continues: pd.DataFrame
    stage_seconds: dict[str, float]
    params: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    previous_run_id: str | None = None

    def flagged_accounts(self, threshold: float | None = None) -> set[str]:
        """Accounts in clusters at or above ``threshold`` (default: the config's)."""
        t = self.params["risk_threshold"] if threshold is None else threshold
        return set(self.members.loc[self.members["cluster_risk"] >= t, "account_id"])


def new_run_id(now: datetime) -> str:
    return f"run-{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"


@dataclass
class Clustering:
    """The model-free half of detection: the account graph and its pruned Leiden partition.

    Scoring is cheap next to this, so evaluation re-scores one clustering with
    many risk models (leave-one-archetype-out) without clustering again.
    """

    graph: AccountGraph
    membership: np.ndarray
    detached: int
    quality: float
    seconds: dict[str, float]


def cluster_accounts(links: Links | CodedLinks, config: DetectionConfig = DetectionConfig(), *,
                     seed: int = DEFAULT_SEED, progress: Progress | None = None) -> Clustering:
    """Projection, Leiden and periphery pruning (timed as ``projection`` and ``leiden``)."""
    say = progress or (lambda _s: None)
    secs: dict[str, float] = {}
    say("projection")
    t = time.perf_counter()
    g = build_account_graph(links, config)
    secs["projection"] = time.perf_counter() - t

    say("leiden")
    t = time.perf_counter()
    part = communities.leiden_linked(g.n, g.src, g.dst, g.weight, config, seed=seed)
    membership, detached = communities.prune_periphery(part.membership, g.src, g.dst, g.weight,
                                                       g.bits, config)
    secs["leiden"] = time.perf_counter() - t
    return Clustering(g, membership, detached, part.quality, secs)


def detect_links(
    links: Links | CodedLinks,
    config: DetectionConfig = DetectionConfig(),
    *,
    seed: int = DEFAULT_SEED,
    previous_members: pd.DataFrame | None = None,
    previous_run_id: str | None = None,
    max_cluster_number: int = 0,
    run_id: str | None = None,
    progress: Progress | None = None,
    model: RiskModel | None = None,
    clustering: Clustering | None = None,
    floor_model: RiskModel | None = None,
) -> DetectionResult:
    """Everything detection does except Neo4j I/O.

    ``model`` scores the clusters (default: the shipped model, or its variant
    without similarity features when the links have no similarity pair); its
    version is recorded in ``params["model_version"]``.  ``floor_model`` also scores
    every cluster and raises those it alone puts over the flag bar (the infrastructure
    floor, :func:`scoring.score_clusters`; by default, with ``model`` left to the
    default, behaviour pairs present and ``DetectionConfig.infrastructure_floor``: the
    shipped model without similarity features); its version is
    ``params["floor_model_version"]``.
    ``clustering`` reuses a :func:`cluster_accounts` result of the same links and
    config (re-scoring).

    ``previous_members`` (``account_id, cluster_id`` of the previous run) and
    ``max_cluster_number`` make cluster ids stable across runs; without them
    ids start at ``c-000001``.

    >>> from graphlink.detect.source import links_from_scenario   # doctest: +SKIP
    >>> res = detect_links(links, DetectionConfig(), seed=7)        # doctest: +SKIP
    >>> res.clusters[res.clusters.flagged][["cluster_id", "size", "risk"]]  # doctest: +SKIP
    """
    say = progress or (lambda _s: None)
    now = datetime.now(UTC)
    clustering = clustering or cluster_accounts(links, config, seed=seed, progress=progress)
    g, membership, detached = clustering.graph, clustering.membership, clustering.detached
    secs = dict(clustering.seconds)
    part_quality = clustering.quality

    say("scoring")
    t = time.perf_counter()
    with_pairs = _has_similarity(links)
    if model is None and with_pairs and config.infrastructure_floor:
        floor_model = floor_model or default_model(has_similarity=False)
    model = model or default_model(has_similarity=with_pairs)
    if not with_pairs:
        floor_model = None  # the model without similarity features already scores it
    scored = scoring.score_clusters(g, membership, config, model, floor_model)
    all_clusters = len(scored.clusters)
    kept = scored.clusters[scored.clusters["risk"] >= config.min_write_risk].reset_index(drop=True)
    kept_members = scored.members[scored.members["label"].isin(kept["label"])]
    group = _campaigns(g, membership, kept, config, seed=seed)
    secs["scoring"] = time.perf_counter() - t

    say("lineage")
    t = time.perf_counter()
    order = kept["label"].tolist()
    lin = lineage.assign_ids(kept_members[["account_id", "label"]], order, previous_members,
                             max_cluster_number, config)
    ids = kept["label"].map(lin.ids)
    clusters = kept.drop(columns="label")
    clusters.insert(0, "cluster_id", ids.to_numpy())
    # Campaign parent: the first (riskiest, largest) cluster of each multi-cluster group.
    gs = pd.Series(group)
    first_of_group = gs.drop_duplicates().index
    parent_of_group = pd.Series(clusters["cluster_id"].to_numpy()[first_of_group],
                                index=gs.iloc[first_of_group].to_numpy())
    multi = gs.map(gs.value_counts()) >= 2
    clusters.insert(4, "parent_cluster_id",
                    np.where(multi, gs.map(parent_of_group).to_numpy(), None))
    clusters.insert(5, "flagged", clusters["risk"] >= config.risk_threshold)
    members = kept_members.assign(cluster_id=kept_members["label"].map(lin.ids))
    info = clusters.set_index("cluster_id")[["size", "risk"]]
    members = pd.DataFrame({
        "account_id": members["account_id"].to_numpy(),
        "cluster_id": members["cluster_id"].to_numpy(),
        "account_risk": members["account_risk"].to_numpy(),
        "reasons": members["reasons"].to_numpy(),
        "cluster_size": info["size"].reindex(members["cluster_id"]).to_numpy(),
        "cluster_risk": info["risk"].reindex(members["cluster_id"]).to_numpy(),
    }).sort_values(["cluster_id", "account_id"], kind="stable").reset_index(drop=True)
    continues = pd.DataFrame({
        "cluster_id": lin.continues["label"].map(lin.ids).to_numpy(),
        "prev_cluster_id": lin.continues["prev_cluster_id"].to_numpy(),
        "jaccard": lin.continues["jaccard"].to_numpy(),
    })
    secs["lineage"] = time.perf_counter() - t

    params = asdict(config) | {"seed": seed, "quality": part_quality,
                               "model_version": model.version,
                               "floor_model_version": floor_model.version if floor_model else None}
    stats: dict[str, Any] = dict(g.stats) | {
        "accounts": g.n,
        "detached": detached,
        "clusters_all": all_clusters,
        "clusters_written": len(clusters),
        "clusters_flagged": int(clusters["flagged"].sum()),
        "accounts_flagged": int((members["cluster_risk"] >= config.risk_threshold).sum()),
        "lineage_matched": lin.n_matched,
        "lineage_new": lin.n_new,
    }
    return DetectionResult(
        run_id=run_id or new_run_id(now),
        created_at=now,
        clusters=clusters,
        members=members,
        continues=continues,
        stage_seconds={k: round(v, 3) for k, v in secs.items()},
        params=params,
        stats=stats,
        previous_run_id=previous_run_id,
    )


def _has_similarity(links: Links | CodedLinks) -> bool:
    return links.has_similarity if isinstance(links, CodedLinks) else len(links.similarity) > 0


def _campaigns(
    g: Any, membership: np.ndarray, kept: pd.DataFrame, config: DetectionConfig, *, seed: int
) -> np.ndarray:
    """Campaign group per kept cluster (second, coarser CPM pass)."""
    n_k = len(kept)
    if n_k == 0:
        return np.array([], dtype=np.int64)
    lab2k = np.full(int(membership.max()) + 1, -1, dtype=np.int64)
    lab2k[kept["label"].to_numpy()] = np.arange(n_k)
    ks, kd = lab2k[membership[g.src]], lab2k[membership[g.dst]]
    sel = (ks >= 0) & (kd >= 0)
    return communities.coarse_groups(
        n_k, ks[sel], kd[sel], g.weight[sel], kept["size"].to_numpy(), config, seed=seed
    )
