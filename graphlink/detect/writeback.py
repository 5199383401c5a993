"""Detection's Neo4j edge: write a run back, and read runs for other stages.

Write protocol (``docs/graph-model.md``): the run node is created with
``status 'running'``; clusters, memberships and lineage follow in batched
``UNWIND ... MERGE`` transactions (idempotent, so driver retries are safe);
one last single-statement transaction flips the run to ``'complete'``.
Readers that go through :func:`current_run` therefore see the previous run
or this one, never a half-written mix.  A run that fails midway is deleted
best-effort; if even that fails it stays ``'running'`` and invisible.

Readers (:func:`current_run`, :func:`read_clusters`, :func:`read_members`)
are what ban waves, evaluation, the API and reports use.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphlink.detect.lineage import cluster_number
from graphlink.store import GraphStore

if TYPE_CHECKING:
    from graphlink.detect.pipeline import DetectionResult

log = logging.getLogger(__name__)

RUN_FIELDS = ("run_id", "created_at", "status", "algorithm", "objective", "resolution", "seed",
              "n_iterations", "params_json", "stage_seconds_json", "n_accounts", "n_edges",
              "n_clusters", "model_version")


def _run_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    d = {k: row.get(k) for k in RUN_FIELDS}
    params, stages = d.get("params_json"), d.get("stage_seconds_json")
    d["params"] = json.loads(params) if params else {}
    d["stage_seconds"] = json.loads(stages) if stages else {}
    return d


def current_run(store: GraphStore) -> dict[str, Any] | None:
    """The current run (complete, newest) as a dict of its properties, or None.

    Keys: ``run_id, created_at`` (datetime), ``status, algorithm, objective,
    resolution, seed, n_iterations, n_accounts, n_edges, n_clusters, model_version``, the raw
    ``params_json``/``stage_seconds_json`` and their parsed ``params``/``stage_seconds``.
    """
    rows = store.read("detect/current_run")
    return _run_dict(rows[0]) if rows else None


def get_run(store: GraphStore, run_id: str) -> dict[str, Any] | None:
    """One run by id (any status), same keys as :func:`current_run`."""
    rows = store.read("detect/run", run_id=run_id)
    return _run_dict(rows[0]) if rows else None


CLUSTER_COLUMNS = ["cluster_id", "size", "risk", "reasons", "parent_cluster_id"]
MEMBER_COLUMNS = ["account_id", "cluster_id", "account_risk", "reasons", "cluster_size",
                  "cluster_risk"]


def read_clusters(store: GraphStore, run_id: str) -> pd.DataFrame:
    """Clusters of a run, riskiest first.

    Columns: ``cluster_id, size, risk, reasons`` (list), ``parent_cluster_id``,
    ``features_json`` and one column per feature (``density``, ``proxy_share``, ...).
    """
    rows = store.read("detect/clusters", run_id=run_id)
    df = pd.DataFrame(rows, columns=CLUSTER_COLUMNS + ["features_json"])
    if len(df):
        feats = pd.DataFrame([json.loads(s) if s else {} for s in df["features_json"]])
        df = pd.concat([df, feats.drop(columns=[c for c in feats if c in df])], axis=1)
        df["reasons"] = df["reasons"].map(list)
    return df


def read_members(store: GraphStore, run_id: str) -> pd.DataFrame:
    """Members of a run's clusters.

    Columns: ``account_id, cluster_id, account_risk, reasons`` (list),
    ``cluster_size, cluster_risk``; sorted by cluster then account.
    """
    # Raw record values (strings, floats, lists): the per-element export walk of
    # store.read cost 7 s of client CPU for 55k members at 1M accounts.
    rows = store.read_together(["detect/members"], run_id=run_id)["detect/members"]
    df = pd.DataFrame(rows, columns=MEMBER_COLUMNS)
    if len(df):
        df["reasons"] = df["reasons"].map(list)
    return df.sort_values(["cluster_id", "account_id"], kind="stable").reset_index(drop=True)


def max_cluster_number(store: GraphStore) -> int:
    rows = store.read("detect/max_cluster_number")
    return int(rows[0]["max_number"] or 0) if rows else 0


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def cluster_key(run_id: str, cluster_id: str) -> str:
    return f"{run_id}/{cluster_id}"


def write_run(store: GraphStore, result: DetectionResult, *, batch_size: int = 10_000) -> None:
    """Write a detection result and make it the current run (atomically, last step)."""
    t0 = time.perf_counter()
    run_id = result.run_id
    p = result.params
    store.write(
        "detect/create_run",
        run_id=run_id,
        created_at=result.created_at.isoformat(),
        algorithm=f"leiden/{p['engine']}",
        objective=p["objective"],
        resolution=float(p["resolution"]),
        seed=int(p["seed"]),
        n_iterations=int(p["n_iterations"]),
        params_json=json.dumps(p, sort_keys=True),
        n_accounts=int(result.stats.get("accounts", 0)),
        n_edges=int(result.stats.get("edges", 0)),
        model_version=str(p.get("model_version") or ""),
    )
    try:
        cl = result.clusters
        feature_cols = [
            c
            for c in cl.columns
            if c not in ("cluster_id", "size", "risk", "reasons", "parent_cluster_id", "flagged")
        ]
        feats = cl[feature_cols].to_dict("records")
        crows = [
            {
                "cluster_key": cluster_key(run_id, cid),
                "cluster_id": cid,
                "size": int(size),
                "risk": float(risk),
                "reasons": list(reasons),
                "features_json": json.dumps(
                    {k: _jsonable(v) for k, v in f.items()}, sort_keys=True
                ),
                "parent_cluster_id": parent if isinstance(parent, str) else None,
            }
            for cid, size, risk, reasons, parent, f in zip(
                cl["cluster_id"],
                cl["size"],
                cl["risk"],
                cl["reasons"],
                cl["parent_cluster_id"],
                feats,
            )
        ]
        store.write_batches("detect/write_clusters", _batches(crows, batch_size), run_id=run_id)
        m = result.members
        mrows = [
            {
                "account_id": a,
                "cluster_key": cluster_key(run_id, c),
                "account_risk": float(r),
                "reasons": list(rs),
            }
            for a, c, r, rs in zip(
                m["account_id"], m["cluster_id"], m["account_risk"], m["reasons"]
            )
        ]
        store.write_batches("detect/write_members", _batches(mrows, batch_size), run_id=run_id)
        if result.previous_run_id and len(result.continues):
            prev = result.previous_run_id
            lrows = [
                {
                    "cluster_key": cluster_key(run_id, c),
                    "prev_cluster_key": cluster_key(prev, pc),
                    "jaccard": float(j),
                }
                for c, pc, j in zip(
                    result.continues["cluster_id"],
                    result.continues["prev_cluster_id"],
                    result.continues["jaccard"],
                )
            ]
            store.write_batches("detect/write_continues", _batches(lrows, batch_size))
        result.stage_seconds["write"] = round(time.perf_counter() - t0, 3)
        done = store.write(
            "detect/complete_run",
            run_id=run_id,
            stage_seconds_json=json.dumps(result.stage_seconds, sort_keys=True),
            n_clusters=len(cl),
        )
        if not done:
            raise RuntimeError(f"detection run {run_id} vanished before it completed")
    except BaseException:
        try:
            store.write("detect/delete_run", run_id=run_id)
        except Exception:  # the run stays 'running': invisible to readers
            log.warning("could not delete unfinished detection run %s", run_id, exc_info=True)
        raise


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


__all__ = [
    "cluster_key",
    "cluster_number",
    "current_run",
    "get_run",
    "max_cluster_number",
    "read_clusters",
    "read_members",
    "write_run",
]
