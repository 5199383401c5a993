"""Incremental writes: validated batches -> parameterised ``UNWIND $rows`` MERGEs.

The statements live in ``cypher/internal/ingest/`` and carry the merge rules
(see :mod:`graphlink.ingest.job`).  Everything here goes through :class:`GraphStore`;
each statement is one transaction per batch, idempotent, so the driver may
retry a batch.

Nodes shared by many rows (IPs) are merged once per batch before the
relationships, from a per-batch ``groupby(...).last()`` (the newest non-null
value of each property), which cuts the MERGE work on hot proxy IPs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from graphlink.store import GraphStore


def to_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame -> list of dicts of plain Python values, None for missing.

    Columns go through Arrow's ``to_pylist`` (C++), whatever their pandas
    dtype (Arrow strings, nullable ints, objects), then one ``zip`` builds the dicts.
    """
    if frame.empty:
        return []
    names = list(frame.columns)
    cols = [pa.array(frame[name], from_pandas=True).to_pylist() for name in names]
    return [dict(zip(names, vals)) for vals in zip(*cols)]


def write_accounts(store: GraphStore, frame: pd.DataFrame, ingest_id: str) -> None:
    store.write_batches("ingest/accounts", [to_rows(frame)])


def write_payment_instruments(store: GraphStore, frame: pd.DataFrame, ingest_id: str) -> None:
    store.write_batches("ingest/payment_instruments", [to_rows(frame)])


def ip_node_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct IP: the newest (last) non-null value of each property."""
    props = frame[["ip", "asn", "proxy_provider", "is_datacenter"]]
    return props.groupby("ip", sort=False, as_index=False).last()


def write_ip_observations(store: GraphStore, frame: pd.DataFrame, ingest_id: str) -> None:
    store.write_batches("ingest/ip_nodes", [to_rows(ip_node_rows(frame))])
    links = frame[["account_id", "ip", "first_seen", "last_seen", "requests"]]
    store.write_batches("ingest/used_ip", [to_rows(links)], ingest_id=ingest_id)


def write_identifiers(store: GraphStore, frame: pd.DataFrame, ingest_id: str) -> None:
    store.write_batches("ingest/identifiers", [to_rows(frame)])


def similarity_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (pair, signal) of a batch, with the maximum score (the merge rule)."""
    keys = ["account_a", "account_b", "signal"]
    return frame.groupby(keys, sort=False, as_index=False)["score"].max()[
        keys[:2] + ["score", "signal"]
    ]


def write_similarity(store: GraphStore, frame: pd.DataFrame, ingest_id: str) -> None:
    store.write_batches("ingest/similarity", [to_rows(similarity_rows(frame))])


WRITERS: dict[str, Callable[[GraphStore, pd.DataFrame, str], None]] = {
    "accounts": write_accounts,
    "payment_instruments": write_payment_instruments,
    "ip_observations": write_ip_observations,
    "identifiers": write_identifiers,
    "behaviour_similarity": write_similarity,
}


def existing_accounts(store: GraphStore, ids: np.ndarray) -> set[str]:
    """The subset of ``ids`` that are accounts in the store."""
    if len(ids) == 0:
        return set()
    return {r["id"] for r in store.read("ingest/existing_accounts", ids=list(map(str, ids)))}
