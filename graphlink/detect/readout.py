"""Columnar read-out: detection's input from Neo4j as integer arrays, not strings.

Why: profiling ``graphlink detect`` at 200k accounts showed the old read-out
(:func:`graphlink.detect.source.read_links`) spending its time on the server
reading string properties per *link* (``a.account_id``, ``i.ip``, each a
property-chain lookup) and on the wire and in Python decoding them, then
hashing them back to integer codes.  Here every link travels as two node ids
(``id()``: an integer the server has without touching a property), each
string property is read once per *node* (accounts only: the projection needs
no thing's name, only its kind, BIN, proxy and datacenter flags), and the
join happens in numpy (``searchsorted`` over node ids).  All reads run in one
read transaction so the node ids agree.  Instruments and identifiers are read
only when shared (two or more links, a degree count on the server): one holder
gives no edge, and their links to unread things fall out of the join here.

The output is :class:`graphlink.detect.linking.CodedLinks`, projected by the
same :func:`graphlink.detect.linking.graph_from_codes` as the frame path, so
both give the same graph (things are the graph's nodes, which the ingest
keys: identifier kinds spelled in two cases are two things here, one in the
frame path, which lower-cases before keying).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import CodedLinks, _build_nodes, _codes, prepaid_rows, signal_bits
from graphlink.model import Links
from graphlink.store import GraphStore

QUERIES = [
    "detect/coded_accounts",
    "detect/coded_payments",
    "detect/coded_instruments",
    "detect/coded_used_ip",
    "detect/coded_ip_nodes",
    "detect/coded_identifiers",
    "detect/coded_identifier_kinds",
    "detect/coded_similarity",
]


def _col(rows: list[dict], name: str, dtype: Any = None) -> np.ndarray:
    values = rows[0][name] if rows else []
    return (
        np.asarray(values, dtype=dtype) if dtype is not None else np.asarray(values, dtype=object)
    )


def _lookup(sorted_keys: np.ndarray, order: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Position (in the unsorted list) of each query id; -1 when absent."""
    if len(sorted_keys) == 0:
        return np.full(len(query), -1, dtype=np.int64)
    pos = np.searchsorted(sorted_keys, query)
    pos = np.minimum(pos, len(sorted_keys) - 1)
    hit = sorted_keys[pos] == query
    return np.where(hit, order[pos], -1)


class _Ids:
    """Node id -> row in a per-node list."""

    def __init__(self, node_ids: np.ndarray) -> None:
        self.order = np.argsort(node_ids, kind="stable")
        self.sorted = node_ids[self.order]

    def __call__(self, query: np.ndarray) -> np.ndarray:
        return _lookup(self.sorted, self.order, query)


def accounts_frame(rows: list[dict]) -> tuple[pd.DataFrame, np.ndarray]:
    """The accounts table (as :class:`graphlink.model.Links` has it) and each row's node id."""
    acc = pd.DataFrame(
        {
            c: _col(rows, c)
            for c in ["account_id", "email_domain", "country", "plan", "org_id", "status"]
        }
    )
    ms = _col(rows, "created_ms", np.int64)
    created = pd.to_datetime(pd.Series(ms).mask(ms < 0), unit="ms", utc=True)
    acc.insert(1, "created_at", created)
    for c in ["email_domain", "country", "plan", "org_id", "status"]:
        acc[c] = acc[c].mask(acc[c] == "")
    return acc, _col(rows, "node", np.int64)


def coded_from_rows(res: dict[str, list[dict]], config: DetectionConfig) -> CodedLinks:
    """Pure: the read transaction's rows to :class:`CodedLinks` (separate from I/O for tests)."""
    acc, acc_node = accounts_frame(res["detect/coded_accounts"])
    empty = pd.DataFrame()
    nodes = _build_nodes(Links(acc, empty, empty, empty, empty))
    # Row of each account node in the sorted ``nodes`` (duplicate account_ids: the first kept).
    node_row = pd.Index(nodes["account_id"]).get_indexer(acc["account_id"])
    by_node = _Ids(acc_node)

    def acct_of(node_ids: np.ndarray) -> np.ndarray:
        r = by_node(node_ids)
        return np.where(r >= 0, node_row[np.maximum(r, 0)], -1)

    def links(name: str, things: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = res[name]
        a = acct_of(_col(rows, "account", np.int64))
        t = _Ids(things)(_col(rows, "thing", np.int64))
        keep = (a >= 0) & (t >= 0)
        return a[keep], t[keep], keep

    inst = res["detect/coded_instruments"]
    inst_ids = _col(inst, "thing", np.int64)
    pay_acct, pay_thing, _ = links("detect/coded_payments", inst_ids)
    prepaid = prepaid_rows(pd.Series(_col(inst, "kind")), pd.Series(_col(inst, "bin")), config)

    ipn = res["detect/coded_ip_nodes"]
    ip_ids = _col(ipn, "thing", np.int64)
    ip_acct, ip_thing, keep = links("detect/coded_used_ip", ip_ids)
    req = _col(res["detect/coded_used_ip"], "requests", np.float64)[keep]

    kinds = res["detect/coded_identifier_kinds"]
    idf_ids = _col(kinds, "thing", np.int64)
    idf_acct, idf_thing, _ = links("detect/coded_identifiers", idf_ids)
    kind_codes, _, kind_names = _codes(pd.Series(_col(kinds, "kind"), dtype=object))

    sim = res["detect/coded_similarity"]
    return CodedLinks(
        nodes=nodes,
        pay_acct=pay_acct,
        pay_thing=pay_thing,
        n_pay=len(inst_ids),
        prepaid=prepaid,
        ip_acct=ip_acct,
        ip_thing=ip_thing,
        n_ip=len(ip_ids),
        proxy=_col(ipn, "proxy", bool),
        datacenter=_col(ipn, "datacenter", bool),
        ip_requests=req,
        idf_acct=idf_acct,
        idf_thing=idf_thing,
        n_idf=len(idf_ids),
        idf_kind=kind_codes,
        idf_kind_names=[str(k) for k in kind_names],
        sim_a=acct_of(_col(sim, "account_a", np.int64)),
        sim_b=acct_of(_col(sim, "account_b", np.int64)),
        sim_score=_col(sim, "score", np.float64),
        sim_bits=signal_bits(_col(sim, "signal")),
    )


def read_coded(
    store: GraphStore,
    config: DetectionConfig = DetectionConfig(),
    *,
    progress: Callable[[str], None] | None = None,
) -> CodedLinks:
    """Read detection's input from Neo4j in one read transaction, as :class:`CodedLinks`."""
    (progress or (lambda _s: None))("links (columnar)")
    return coded_from_rows(store.read_together(QUERIES), config)


__all__ = ["QUERIES", "coded_from_rows", "read_coded"]
