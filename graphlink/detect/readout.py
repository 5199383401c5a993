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
read transaction so the node ids agree, accounts (with their links) and IPs in
pages of :data:`PAGE`, each page turned into numpy columns before the next.
Instruments and identifiers are read only when shared (two or more links, a
degree count on the server): one holder gives no edge, and their links to
unread things fall out of the join here.

The output is :class:`graphlink.detect.linking.CodedLinks`, projected by the
same :func:`graphlink.detect.linking.graph_from_codes` as the frame path, so
both give the same graph (things are the graph's nodes, which the ingest
keys: identifier kinds spelled in two cases are two things here, one in the
frame path, which lower-cases before keying).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import CodedLinks, _build_nodes, _codes, prepaid_rows, signal_bits
from graphlink.model import Links
from graphlink.store import GraphStore, ReadRunner

#: Accounts (and IPs) per page of the read-out.  Each page travels as one record of lists and
#: becomes numpy columns before the next is read, so the client never holds every account's
#: properties or every link as Python objects at once: at 1M accounts the one-record read-out
#: peaked at 1.7 GB against 0.7 GB held after it (docs/scale.md).
PAGE = 500_000

_I, _F, _B, _O = np.int64, np.float64, np.bool_, object
#: A string column of few distinct values (a plan, a country): each value is interned, so
#: the column holds one Python string per distinct value, not one per row (at 10M accounts
#: per-row copies of five such columns come to ~2 GB, at ~50 bytes a string; measured at 1M:
#: read peak 1,229 -> ~900 MB).
_S = "interned"
#: Each read-out statement's columns and their dtypes.
COLUMNS: dict[str, dict[str, Any]] = {
    "detect/coded_accounts": {"node": _I, "account_id": _O, "created_ms": _I, "email_domain": _S,
                              "country": _S, "plan": _S, "org_id": _S, "status": _S},
    "detect/coded_payments": {"account": _I, "thing": _I},
    "detect/coded_used_ip": {"account": _I, "thing": _I, "requests": _F},
    "detect/coded_identifiers": {"account": _I, "thing": _I},
    "detect/coded_similarity": {"account_a": _I, "account_b": _I, "score": _F, "signal": _S},
    "detect/coded_ip_nodes": {"thing": _I, "proxy": _B, "datacenter": _B},
    "detect/coded_instruments": {"thing": _I, "kind": _S, "bin": _S},
    "detect/coded_identifier_kinds": {"thing": _I, "kind": _S},
}
QUERIES = list(COLUMNS)
#: Link statements read per page of accounts (account ids in ``($after, $last]``).
_ACCOUNT_LINKS = ["detect/coded_payments", "detect/coded_used_ip", "detect/coded_identifiers",
                  "detect/coded_similarity"]

Columns = dict[str, np.ndarray]


def _columns(rows: list[dict], spec: dict[str, Any]) -> Columns:
    """One collect() record to arrays (an empty result to empty arrays)."""
    out: Columns = {}
    for c, t in spec.items():
        values = rows[0][c] if rows else []
        if t == _S:
            try:
                out[c] = np.asarray(list(map(sys.intern, values)), dtype=object)
            except TypeError:  # a value stored as another type than a string: kept as it came
                out[c] = np.asarray(values, dtype=object)
        else:
            out[c] = np.asarray(values, dtype=t)
    return out


def read_pages(run: ReadRunner, page: int = PAGE,
               say: Callable[[str], None] = lambda _s: None) -> dict[str, Columns]:
    """Every read-out statement's columns, accounts and IPs read ``page`` at a time.

    Runs inside one read transaction (``run`` from :meth:`GraphStore.read_in_one`) so the
    node ids of all pages agree.  Accounts come in account-id order from a range seek on
    the unique index; each page's links are read for the same account-id range.
    """
    parts: dict[str, list[Columns]] = {n: [] for n in COLUMNS}

    def take(name: str, **params: Any) -> tuple[Columns, list[dict]]:
        rows = run(name, **params)
        parts[name].append(_columns(rows, COLUMNS[name]))
        return parts[name][-1], rows

    after, done = "", 0
    while True:
        say(f"read: accounts {done:,}+")
        ids = take("detect/coded_accounts", after=after, limit=page)[0]["account_id"]
        if len(ids) == 0:
            break
        for name in _ACCOUNT_LINKS:
            take(name, after=after, last=ids[-1])
        after, done = ids[-1], done + len(ids)
    say("read: IPs and shared things")
    after = ""
    while True:
        cols, rows = take("detect/coded_ip_nodes", after=after, limit=page)
        if len(cols["thing"]) == 0:
            break
        after = rows[0]["last"]
    take("detect/coded_instruments")
    take("detect/coded_identifier_kinds")
    return {
        n: {c: np.concatenate([p[c] for p in parts[n]]) if parts[n]
            else np.asarray([], dtype=object if t == _S else t)
            for c, t in COLUMNS[n].items()}
        for n in COLUMNS
    }


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


def accounts_frame(cols: Columns) -> tuple[pd.DataFrame, np.ndarray]:
    """The accounts table (as :class:`graphlink.model.Links` has it) and each row's node id."""
    acc = pd.DataFrame(
        {c: cols[c] for c in ["account_id", "email_domain", "country", "plan", "org_id", "status"]}
    )
    ms = cols["created_ms"]
    created = pd.to_datetime(pd.Series(ms).mask(ms < 0), unit="ms", utc=True)
    acc.insert(1, "created_at", created)
    for c in ["email_domain", "country", "plan", "org_id", "status"]:
        acc[c] = acc[c].mask(acc[c] == "")
    return acc, cols["node"]


def coded_from_columns(res: dict[str, Columns], config: DetectionConfig) -> CodedLinks:
    """Pure: the read-out's columns (:func:`read_pages`) to :class:`CodedLinks`."""
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
        cols = res[name]
        a = acct_of(cols["account"])
        t = _Ids(things)(cols["thing"])
        keep = (a >= 0) & (t >= 0)
        return a[keep], t[keep], keep

    inst = res["detect/coded_instruments"]
    inst_ids = inst["thing"]
    pay_acct, pay_thing, _ = links("detect/coded_payments", inst_ids)
    prepaid = prepaid_rows(pd.Series(inst["kind"]), pd.Series(inst["bin"]), config)

    ipn = res["detect/coded_ip_nodes"]
    ip_ids = ipn["thing"]
    ip_acct, ip_thing, keep = links("detect/coded_used_ip", ip_ids)
    req = res["detect/coded_used_ip"]["requests"][keep]

    kinds = res["detect/coded_identifier_kinds"]
    idf_ids = kinds["thing"]
    idf_acct, idf_thing, _ = links("detect/coded_identifiers", idf_ids)
    kind_codes, _, kind_names = _codes(pd.Series(kinds["kind"], dtype=object))

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
        proxy=ipn["proxy"],
        datacenter=ipn["datacenter"],
        ip_requests=req,
        idf_acct=idf_acct,
        idf_thing=idf_thing,
        n_idf=len(idf_ids),
        idf_kind=kind_codes,
        idf_kind_names=[str(k) for k in kind_names],
        sim_a=acct_of(sim["account_a"]),
        sim_b=acct_of(sim["account_b"]),
        sim_score=sim["score"],
        sim_bits=signal_bits(sim["signal"]),
    )


def read_coded(
    store: GraphStore,
    config: DetectionConfig = DetectionConfig(),
    *,
    page: int = PAGE,
    progress: Callable[[str], None] | None = None,
) -> CodedLinks:
    """Read detection's input from Neo4j in one read transaction, as :class:`CodedLinks`."""
    say = progress or (lambda _s: None)
    cols = store.read_in_one(lambda run: read_pages(run, page, say), label="detect/coded_*")
    return coded_from_columns(cols, config)


__all__ = ["COLUMNS", "PAGE", "QUERIES", "coded_from_columns", "read_coded", "read_pages"]
