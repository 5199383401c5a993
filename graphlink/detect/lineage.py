"""Stable cluster ids across runs (pure).

Leiden labels mean nothing from one run to the next; investigators and ban
waves need ``c-000123`` to stay the same ring.  Each new cluster is matched
to the previous run's clusters by member overlap:

* candidate pairs (new, previous) share at least one account; their Jaccard
  is ``|A n B| / |A u B|``;
* greedy, best Jaccard first (ties: larger overlap, then the new cluster's
  rank, then the previous id, so the result is deterministic): a pair whose
  Jaccard reaches ``match_jaccard`` and whose two sides are both still free
  hands the previous id on;
* every other new cluster gets a fresh id, ``max id ever used + 1`` upwards,
  in the new clusters' rank order (riskiest first);
* ``CONTINUES`` is recorded from a new cluster to every previous cluster
  sharing at least ``continues_overlap`` of either side (so splits and merges
  show as several lineage links), each with its Jaccard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphlink.detect.config import DetectionConfig


def format_cluster_id(number: int) -> str:
    return f"c-{number:06d}"


def cluster_number(cluster_id: str) -> int:
    """``c-000123`` -> 123 (0 for anything else)."""
    try:
        return int(str(cluster_id).split("-", 1)[1])
    except (IndexError, ValueError):
        return 0


@dataclass
class Lineage:
    """``ids``: cluster_id per new label; ``continues``: label, prev_cluster_id, jaccard."""

    ids: dict[int, str]
    continues: pd.DataFrame
    n_matched: int
    n_new: int


def assign_ids(
    new_members: pd.DataFrame,
    order: list[int],
    prev_members: pd.DataFrame | None,
    max_number: int,
    config: DetectionConfig,
) -> Lineage:
    """Give each new cluster an id (see module docstring).

    ``new_members``: ``account_id, label``; ``order``: the new labels by rank;
    ``prev_members``: ``account_id, cluster_id`` of the previous run (or None);
    ``max_number``: the largest cluster number ever written.

    >>> new = pd.DataFrame({"account_id": ["a", "b", "c", "x", "y"], "label": [7, 7, 7, 9, 9]})
    >>> prev = pd.DataFrame({"account_id": ["a", "b"], "cluster_id": ["c-000004", "c-000004"]})
    >>> lin = assign_ids(new, [7, 9], prev, 4, DetectionConfig())
    >>> lin.ids
    {7: 'c-000004', 9: 'c-000005'}
    """
    ids: dict[int, str] = {}
    empty = pd.DataFrame({"label": pd.Series([], dtype=np.int64),
                          "prev_cluster_id": pd.Series([], dtype=object),
                          "jaccard": pd.Series([], dtype=np.float64)})
    continues = empty
    if prev_members is not None and len(prev_members) and len(new_members):
        rank = {label: i for i, label in enumerate(order)}
        new_size = new_members.groupby("label").size()
        prev_size = prev_members.groupby("cluster_id").size()
        both = new_members[["account_id", "label"]].merge(
            prev_members[["account_id", "cluster_id"]], on="account_id")
        inter = both.groupby(["label", "cluster_id"]).size().rename("inter").reset_index()
        inter["sn"] = new_size.reindex(inter["label"]).to_numpy()
        inter["sp"] = prev_size.reindex(inter["cluster_id"]).to_numpy()
        inter["jaccard"] = inter["inter"] / (inter["sn"] + inter["sp"] - inter["inter"])
        inter["rank"] = inter["label"].map(rank)
        inter = inter.sort_values(["jaccard", "inter", "rank", "cluster_id"],
                                  ascending=[False, False, True, True], kind="stable")
        used_prev: set[str] = set()
        # One pass over candidate *cluster pairs* (not accounts or edges).
        for label, prev_id, jac in inter[["label", "cluster_id", "jaccard"]].itertuples(
                index=False, name=None):
            if jac < config.match_jaccard:
                break
            if label in ids or prev_id in used_prev:
                continue
            ids[int(label)] = str(prev_id)
            used_prev.add(prev_id)
        share = np.maximum(inter["inter"] / inter["sn"], inter["inter"] / inter["sp"])
        keep = inter[share >= config.continues_overlap]
        continues = pd.DataFrame({
            "label": keep["label"].astype(np.int64).to_numpy(),
            "prev_cluster_id": keep["cluster_id"].astype(str).to_numpy(),
            "jaccard": keep["jaccard"].astype(float).to_numpy(),
        })
    n_matched = len(ids)
    nxt = max_number
    for label in order:
        if label not in ids:
            nxt += 1
            ids[int(label)] = format_cluster_id(nxt)
    return Lineage(ids=ids, continues=continues, n_matched=n_matched, n_new=len(ids) - n_matched)
