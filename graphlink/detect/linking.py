"""Linking: from account-to-thing links to one weighted account graph (pure).

Input is :class:`graphlink.model.Links` (read back from Neo4j, or taken from a
generated scenario); output an :class:`AccountGraph`: integer account ids,
undirected edges ``src < dst`` with a summed weight and a bitmask of the kinds
of evidence behind them.  Nothing here opens a connection.

How a shared thing becomes edges (vectorised over all things at once, no
Python loop per thing or edge):

* the k accounts sharing a thing (instrument, IP, identifier) are linked
  pairwise when ``k <= max_clique``; above it they get a seeded pseudo-random
  order and each is linked to its next ``sparse_degree`` neighbours (a
  circulant), so a CGNAT IP with 30,000 users costs 90,000 edges, not 450
  million; above ``max_sharers`` the thing is dropped;
* every edge of a thing weighs ``base(kind) x (2/k) ** rarity_exp(kind)``,
  boosted for proxy / datacenter IPs and prepaid instruments, discounted when
  all sharers belong to one verified org;
* behavioural similarity pairs add ``w_similarity x score`` per signal;
* weights of one account pair are summed over all kinds, kinds OR-ed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphlink.detect.config import DetectionConfig
from graphlink.hashing import GOLDEN_GAMMA, mix64
from graphlink.model import Links

# Evidence bits on an edge (OR-ed over everything two accounts share).
PAYMENT = 1 << 0
PREPAID = 1 << 1
IP = 1 << 2
PROXY = 1 << 3
DATACENTER = 1 << 4
DEVICE = 1 << 5
IDENTIFIER = 1 << 6
SIMILAR = 1 << 7
PROMPT_TEMPLATE = 1 << 8
TIMING_SYNC = 1 << 9
MODEL_PIVOT = 1 << 10
#: Things one person holds (a card, a device, an identifier such as an API-key prefix).
PERSONAL = PAYMENT | DEVICE | IDENTIFIER

#: Reason code of each evidence bit (``docs/graph-model.md``).
BIT_REASONS: tuple[tuple[int, str], ...] = (
    (PAYMENT, "shared_payment"),
    (PREPAID, "prepaid_card_shared"),
    (IP, "shared_ip"),
    (PROXY, "proxy_provider"),
    (DATACENTER, "datacenter_ip"),
    (DEVICE, "shared_device"),
    (IDENTIFIER, "shared_identifier"),
    (SIMILAR, "behaviour_similarity"),
    (PROMPT_TEMPLATE, "prompt_template"),
    (TIMING_SYNC, "timing_sync"),
    (MODEL_PIVOT, "model_pivot"),
)
_SIGNAL_BITS = {"prompt_template": PROMPT_TEMPLATE, "timing_sync": TIMING_SYNC,
                "model_pivot": MODEL_PIVOT}


@dataclass
class AccountGraph:
    """The weighted account graph detection clusters.

    ``nodes`` is aligned with the integer ids (row i is account i; sorted by
    ``account_id`` so ids are deterministic) and carries what scoring needs:
    ``account_id, created_s`` (epoch seconds, NaN if unknown), ``plan, org_id,
    status, email_domain, country, uses_proxy, uses_datacenter, requests,
    infra_requests`` (requests over proxy or datacenter IPs).  ``src < dst``, one row per pair.
    """

    nodes: pd.DataFrame
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    bits: np.ndarray
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    @property
    def account_ids(self) -> np.ndarray:
        return self.nodes["account_id"].to_numpy()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 (increment, then finaliser): a seedless hash for deterministic shuffles."""
    return mix64(x.astype(np.uint64) + GOLDEN_GAMMA)


@dataclass
class _Projection:
    src: np.ndarray        # account index
    dst: np.ndarray        # account index
    thing: np.ndarray      # thing code of each edge
    sharers: np.ndarray    # per thing code: number of distinct sharers
    same_org: np.ndarray   # per thing code: all sharers in one verified org
    capped: int            # things linked sparsely
    dropped: int           # things over max_sharers


def project(
    thing: np.ndarray, acct: np.ndarray, n_things: int, org: np.ndarray, config: DetectionConfig
) -> _Projection:
    """Account pairs that share a thing (bounded: see module docstring).

    ``thing``/``acct`` are parallel integer arrays (one row per link; duplicates
    allowed), ``org`` the org code per account (-1: none).
    """
    n_acct = len(org)
    key = thing.astype(np.int64) * n_acct + acct.astype(np.int64)
    # Sort by thing, then (within a thing) by a hash of the account salted with
    # the thing's member set (sum of member ids): deterministic whatever the row
    # order or thing numbering, unrelated to id order (so the sparse circulant
    # does not follow account numbering), and duplicate links end up adjacent.
    salt = np.bincount(thing, weights=acct.astype(np.float64), minlength=n_things).astype(np.int64)
    h = _mix(acct.astype(np.int64) ^ _mix(salt[thing]).astype(np.int64))
    sort_key = (thing.astype(np.int64) << np.int64(40)) | (h >> np.uint64(24)).astype(np.int64)
    order = np.argsort(sort_key, kind="stable")
    key = key[order]
    keep = np.r_[True, key[1:] != key[:-1]] if len(key) else np.array([], bool)
    key = key[keep]
    t = key // n_acct
    a = key - t * n_acct
    sharers = np.bincount(t, minlength=n_things)
    starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]]) if len(t) else np.array([], np.int64)
    sizes = np.diff(np.r_[starts, len(t)])
    k = np.repeat(sizes, sizes)
    local = np.arange(len(t)) - np.repeat(starts, sizes)

    same_org = np.zeros(n_things, dtype=bool)
    if len(t):
        o = org[a]
        omin = np.minimum.reduceat(o, starts)
        omax = np.maximum.reduceat(o, starts)
        same_org[t[starts]] = (omin == omax) & (omin >= 0)

    pos = np.arange(len(t))
    # Small things: all pairs.  Element at local index l pairs with l+1 .. k-1.
    small = (k >= 2) & (k <= config.max_clique)
    sp = pos[small]
    cnt = (k - 1 - local)[small]
    src_pos = np.repeat(sp, cnt)
    offs = np.arange(len(src_pos)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    dst_pos = src_pos + 1 + offs
    # Large things: circulant with sparse_degree neighbours ahead.
    big = (k > config.max_clique) & (k <= config.max_sharers)
    bp = pos[big]
    if len(bp):
        bstart = bp - local[big]
        bk = k[big]
        d = np.arange(1, config.sparse_degree + 1)
        b_src = np.repeat(bp, len(d))
        b_dst = (np.repeat(bstart, len(d))
                 + (np.repeat(local[big], len(d)) + np.tile(d, len(bp))) % np.repeat(bk, len(d)))
        src_pos = np.r_[src_pos, b_src]
        dst_pos = np.r_[dst_pos, b_dst]
    capped = int(((sizes > config.max_clique) & (sizes <= config.max_sharers)).sum())
    dropped = int((sizes > config.max_sharers).sum())
    s, d_ = a[src_pos], a[dst_pos]
    return _Projection(
        src=np.minimum(s, d_), dst=np.maximum(s, d_), thing=t[src_pos], sharers=sharers,
        same_org=same_org, capped=capped, dropped=dropped,
    )


def _rarity(k: np.ndarray, exponent: float) -> np.ndarray:
    return np.power(2.0 / np.maximum(k, 2), exponent)


def _arrow_strings(values: pd.Series | np.ndarray) -> pa.Array:
    arr = pa.array(values, from_pandas=True) if not isinstance(values, pa.Array) else values
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def _codes(values: pd.Series | np.ndarray | pa.Array) -> tuple[np.ndarray, int, pd.Index]:
    """Integer codes per distinct value (first-appearance order; null -> -1).

    Arrow's hash encoding: several times faster than ``pd.factorize`` on
    millions of strings.  Nothing downstream depends on the numbering (see
    :func:`project`), so the values are not sorted.
    """
    enc = pc.dictionary_encode(_arrow_strings(values))
    codes = enc.indices.fill_null(-1).to_numpy().astype(np.int64)
    return codes, len(enc.dictionary), pd.Index(np.asarray(enc.dictionary, dtype=object))


def _index_of(values: pd.Series, ids: pa.Array) -> np.ndarray:
    """Position of each value in the sorted account ids (-1: unknown account)."""
    pos = pc.index_in(_arrow_strings(values), value_set=ids).fill_null(-1)
    return pos.to_numpy().astype(np.int64)


def _truthy(s: pd.Series) -> np.ndarray:
    if s.dtype == bool:
        return s.to_numpy()
    text = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow_strings(s.astype("string"))))
    return pc.fill_null(
        pc.is_in(text, value_set=pa.array(["true", "1", "t", "yes"])), False
    ).to_numpy(zero_copy_only=False)


def _nonempty(s: pd.Series) -> np.ndarray:
    trimmed = pc.utf8_trim_whitespace(_arrow_strings(s))
    return pc.fill_null(pc.not_equal(trimmed, ""), False).to_numpy(zero_copy_only=False)


def _build_nodes(links: Links) -> pd.DataFrame:
    """One row per distinct account id, sorted by it, with what scoring reads of accounts.

    Memory: at 10M accounts every Python string counts (~55 bytes each), so duplicates
    are found in Arrow and the text columns are stripped per distinct value, not per row.
    """
    acc = links.accounts
    ids = _arrow_strings(acc["account_id"])
    order = pc.array_sort_indices(ids).to_numpy()
    sorted_ids = pc.take(ids, order)
    first = (
        np.r_[True, pc.not_equal(sorted_ids[1:], sorted_ids[:-1]).to_numpy(zero_copy_only=False)]
        if len(ids)
        else []
    )
    order = order[np.asarray(first, dtype=bool)]
    acc = acc.iloc[order]
    nodes = pd.DataFrame({"account_id": np.asarray(pc.take(ids, order), dtype=object)})
    created = (
        pd.to_datetime(acc["created_at"], utc=True, errors="coerce")
        if "created_at" in acc
        else pd.Series(pd.NaT, index=acc.index)
    )
    ns = created.to_numpy(dtype="datetime64[ns]").astype("int64").astype(np.float64)
    ns[created.isna().to_numpy()] = np.nan
    nodes["created_s"] = ns / 1e9
    for col in ("plan", "org_id", "status", "email_domain", "country"):
        if col in acc:
            codes, uniques = pd.factorize(acc[col])
            stripped = pd.array(
                pd.Series(uniques, dtype=object).astype("string").str.strip(), dtype="string"
            )
            nodes[col] = stripped.take(codes, allow_fill=True).fillna("")
            nodes[col] = nodes[col].replace("", pd.NA)
        else:
            nodes[col] = pd.array([pd.NA] * len(acc), dtype="string")
    return nodes.reset_index(drop=True)


@dataclass
class CodedLinks:
    """Links as integer arrays: what the projection needs, no strings.

    ``nodes`` as in :class:`AccountGraph` (sorted by ``account_id``); every
    ``*_acct`` is a row index into it, every ``*_thing`` a thing code
    ``0 .. n_*-1`` (any numbering: :func:`project` does not depend on it).
    Per-thing attributes are indexed by thing code.  Two readers make one:
    :func:`encode_links` from :class:`Links` frames, and
    :func:`graphlink.detect.readout.read_coded` straight from Neo4j with node
    ids instead of strings; both feed the same :func:`graph_from_codes`, so a
    link weight has one definition whichever path (or engine) read the links.
    """

    nodes: pd.DataFrame
    pay_acct: np.ndarray
    pay_thing: np.ndarray
    n_pay: int
    prepaid: np.ndarray          # per instrument
    ip_acct: np.ndarray
    ip_thing: np.ndarray
    n_ip: int
    proxy: np.ndarray            # per IP: a named proxy provider
    datacenter: np.ndarray       # per IP
    ip_requests: np.ndarray      # per (account, IP) link
    idf_acct: np.ndarray
    idf_thing: np.ndarray
    n_idf: int
    idf_kind: np.ndarray         # per identifier: code into idf_kind_names
    idf_kind_names: list[str]    # lower-case kinds
    sim_a: np.ndarray
    sim_b: np.ndarray
    sim_score: np.ndarray
    sim_bits: np.ndarray

    @property
    def has_similarity(self) -> bool:
        return len(self.sim_a) > 0


def prepaid_rows(kind: pd.Series, bins: pd.Series | None, config: DetectionConfig) -> np.ndarray:
    """Is an instrument prepaid: its kind is a prepaid kind or its BIN has a configured prefix."""
    kind = kind.astype("string").str.lower().fillna("")
    out = np.array(kind.isin(list(config.prepaid_kinds)), dtype=bool)
    if config.prepaid_bins and bins is not None:
        b = bins.astype("string").fillna("")
        for prefix in config.prepaid_bins:  # a handful of configured prefixes
            out |= b.str.startswith(prefix).to_numpy(dtype=bool)
    return out


def signal_bits(signal: pd.Series | np.ndarray) -> np.ndarray:
    """Evidence bits of behavioural-similarity pairs by their signal name."""
    s = pd.Series(signal, dtype=object).astype(str).str.lower().to_numpy()
    bits = np.full(len(s), SIMILAR, dtype=np.int32)
    for name, bit in _SIGNAL_BITS.items():  # three known signals
        bits[s == name] |= bit
    return bits


def _per_thing(tcode: np.ndarray, n_things: int, row_flag: np.ndarray) -> np.ndarray:
    out = np.zeros(n_things, dtype=bool)
    out[tcode[row_flag]] = True
    return out


_E = np.array([], dtype=np.int64)


def encode_links(links: Links, config: DetectionConfig = DetectionConfig(),
                 nodes: pd.DataFrame | None = None) -> CodedLinks:
    """:class:`Links` frames to :class:`CodedLinks` (links to unknown accounts dropped)."""
    nodes = _build_nodes(links) if nodes is None else nodes
    ids = pa.array(nodes["account_id"].to_numpy(), type=pa.string())

    def known(frame: pd.DataFrame, col: str = "account_id") -> tuple[pd.DataFrame, np.ndarray]:
        idx = _index_of(frame[col], ids)
        keep = idx >= 0
        return frame[keep], idx[keep].astype(np.int64)

    c: dict[str, object] = dict(
        pay_acct=_E, pay_thing=_E, n_pay=0, prepaid=np.zeros(0, bool),
        ip_acct=_E, ip_thing=_E, n_ip=0, proxy=np.zeros(0, bool), datacenter=np.zeros(0, bool),
        ip_requests=np.zeros(0), idf_acct=_E, idf_thing=_E, n_idf=0, idf_kind=_E, idf_kind_names=[],
        sim_a=_E, sim_b=_E, sim_score=np.zeros(0), sim_bits=np.zeros(0, np.int32),
    )
    pay = links.payments
    if len(pay):
        pay, acct = known(pay)
        tcode, nt, _ = _codes(pay["instrument_id"])
        kind = pay["kind"] if "kind" in pay else pd.Series("", index=pay.index)
        prepaid = _per_thing(tcode, nt, prepaid_rows(kind, pay["bin"] if "bin" in pay else None,
                                                     config))
        c.update(pay_acct=acct, pay_thing=tcode, n_pay=nt, prepaid=prepaid)
    ips = links.ips
    if len(ips):
        ips, acct = known(ips)
        tcode, nt, _ = _codes(ips["ip"])
        proxy_row = _nonempty(ips["proxy_provider"]) if "proxy_provider" in ips \
            else np.zeros(len(ips), bool)
        dc_row = _truthy(ips["is_datacenter"]) if "is_datacenter" in ips \
            else np.zeros(len(ips), bool)
        req = pd.to_numeric(ips["requests"], errors="coerce").fillna(0).to_numpy(np.float64) \
            if "requests" in ips else np.zeros(len(ips))
        c.update(ip_acct=acct, ip_thing=tcode, n_ip=nt, proxy=_per_thing(tcode, nt, proxy_row),
                 datacenter=_per_thing(tcode, nt, dc_row), ip_requests=req)
    idf = links.identifiers
    if len(idf):
        idf, acct = known(idf)
        kinds = pc.utf8_lower(_arrow_strings(idf["kind"]))
        tcode, nt, _ = _codes(pc.binary_join_element_wise(kinds, _arrow_strings(idf["value"]), ":"))
        kind_codes, _, kind_names = _codes(kinds)
        thing_kind = np.zeros(nt, dtype=np.int64)
        thing_kind[tcode] = kind_codes
        c.update(idf_acct=acct, idf_thing=tcode, n_idf=nt, idf_kind=thing_kind,
                 idf_kind_names=[str(k) for k in kind_names])
    sim = links.similarity
    if len(sim):
        ia = _index_of(sim["account_a"], ids)
        ib = _index_of(sim["account_b"], ids)
        score = pd.to_numeric(sim["score"], errors="coerce").fillna(0).to_numpy(np.float64)
        c.update(sim_a=ia, sim_b=ib, sim_score=score, sim_bits=signal_bits(sim["signal"]))
    return CodedLinks(nodes=nodes, **c)  # type: ignore[arg-type]


def build_account_graph(links: Links | CodedLinks,
                        config: DetectionConfig = DetectionConfig()) -> AccountGraph:
    """Project all links onto one weighted account graph.

    >>> import pandas as pd
    >>> from graphlink.model import Links
    >>> acc = pd.DataFrame({"account_id": ["a", "b", "c"],
    ...                     "created_at": pd.Timestamp("2026-01-01", tz="UTC")})
    >>> pay = pd.DataFrame({"account_id": ["a", "b"], "instrument_id": ["p1", "p1"],
    ...                     "kind": "card", "bin": None})
    >>> g = build_account_graph(Links(acc, pay, pd.DataFrame(), pd.DataFrame(), pd.DataFrame()))
    >>> g.n, g.n_edges, float(g.weight[0])
    (3, 1, 1.0)
    """
    coded = links if isinstance(links, CodedLinks) else encode_links(links, config)
    return graph_from_codes(coded, config)


@dataclass
class KindEdges:
    """Edges one kind of shared thing gives (before pairs are summed over kinds)."""

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    bits: np.ndarray
    capped: int
    dropped: int


def kind_edges(kind: str, thing: np.ndarray, acct: np.ndarray, n_things: int, org: np.ndarray,
               attrs: dict[str, np.ndarray], config: DetectionConfig,
               kind_names: list[str] | None = None) -> KindEdges:
    """THE link weight: edges and weights of the things of one kind.

    Kinds: ``payment``, ``ip``, ``identifier``.

    ``attrs`` are per-thing arrays (``prepaid``; ``proxy``, ``datacenter``;
    ``kind`` codes into ``kind_names``).  A thing's edges depend on its own
    members only, so this runs on all things at once (in-process engine) or on
    any partition of things (the Spark engine's executors) with the same result.
    """
    pr = project(thing, acct, n_things, org, config)
    k = pr.sharers[pr.thing]
    if kind == "payment":
        prepaid = attrs["prepaid"][pr.thing]
        w = config.w_payment * _rarity(k, config.rarity_exp_payment)
        w = np.where(prepaid, w * config.prepaid_boost, w)
        b = np.where(prepaid, PAYMENT | PREPAID, PAYMENT)
    elif kind == "ip":
        is_p, is_d = attrs["proxy"][pr.thing], attrs["datacenter"][pr.thing]
        w = config.w_ip * _rarity(k, config.rarity_exp_ip)
        w = np.where(is_p, w * config.proxy_boost, np.where(is_d, w * config.datacenter_boost, w))
        b = IP | np.where(is_p, PROXY, 0) | np.where(is_d, DATACENTER, 0)
    elif kind == "identifier":
        names = kind_names or []
        base_per_kind = np.array([config.identifier_weight(kk) for kk in names] or [0.0])
        bit_per_kind = np.array([DEVICE if kk == "device" else IDENTIFIER for kk in names] or [0])
        kc = attrs["kind"][pr.thing]
        w = base_per_kind[kc] * _rarity(k, config.rarity_exp_identifier)
        b = bit_per_kind[kc]
    else:
        raise ValueError(f"unknown kind of thing: {kind!r}")
    w = np.where(pr.same_org[pr.thing], w * config.same_org_discount, w)
    return KindEdges(pr.src, pr.dst, np.asarray(w, np.float64), np.asarray(b, np.int32),
                     pr.capped, pr.dropped)


ThingTable = tuple[np.ndarray, np.ndarray, int, dict[str, np.ndarray]]


def thing_tables(coded: CodedLinks) -> dict[str, ThingTable]:
    """Per kind of thing: ``(thing, acct, n_things, attrs)`` as :func:`kind_edges` takes them."""
    out = {}
    if len(coded.pay_acct):
        out["payment"] = (coded.pay_thing, coded.pay_acct, coded.n_pay, {"prepaid": coded.prepaid})
    if len(coded.ip_acct):
        out["ip"] = (coded.ip_thing, coded.ip_acct, coded.n_ip,
                     {"proxy": coded.proxy, "datacenter": coded.datacenter})
    if len(coded.idf_acct):
        out["identifier"] = (coded.idf_thing, coded.idf_acct, coded.n_idf, {"kind": coded.idf_kind})
    return out


def org_codes(nodes: pd.DataFrame) -> np.ndarray:
    """Org code per account (-1: none), for the same-org discount."""
    return _codes(nodes["org_id"])[0]


def account_ip_features(coded: CodedLinks) -> dict[str, np.ndarray]:
    """Per account: uses a proxy / datacenter IP, requests, requests over flagged infrastructure."""
    n = len(coded.nodes)
    out = {"uses_proxy": np.zeros(n, dtype=bool), "uses_datacenter": np.zeros(n, dtype=bool),
           "requests": np.zeros(n), "infra_requests": np.zeros(n)}
    if len(coded.ip_acct):
        tcode, acct, proxy, dc = coded.ip_thing, coded.ip_acct, coded.proxy, coded.datacenter
        out["uses_proxy"][acct[proxy[tcode]]] = True
        out["uses_datacenter"][acct[dc[tcode]]] = True
        req = coded.ip_requests
        out["requests"] += np.bincount(acct, weights=req, minlength=n)
        # Traffic over flagged infrastructure (a named proxy OR a datacenter):
        # what matters is hosting, not whose name the feed happens to know.
        flagged = proxy[tcode] | dc[tcode]
        out["infra_requests"] += np.bincount(acct, weights=np.where(flagged, req, 0.0), minlength=n)
    return out


def similarity_edges(coded: CodedLinks, config: DetectionConfig) -> KindEdges:
    """Behavioural-similarity pairs as edges (``w_similarity x score`` per signal)."""
    ia, ib = coded.sim_a, coded.sim_b
    keep = (ia >= 0) & (ib >= 0) & (ia != ib)
    ia, ib = ia[keep].astype(np.int64), ib[keep].astype(np.int64)
    return KindEdges(np.minimum(ia, ib), np.maximum(ia, ib),
                     config.w_similarity * coded.sim_score[keep],
                     coded.sim_bits[keep].astype(np.int32), 0, 0)


def keep_mask(weight: np.ndarray, bits: np.ndarray, config: DetectionConfig) -> np.ndarray:
    """Summed pairs kept: above ``min_edge_weight``; IP-only pairs above ``min_ip_only_weight``."""
    ip_only = (bits & ~(IP | PROXY | DATACENTER)) == 0
    return (weight >= config.min_edge_weight) & (~ip_only | (weight >= config.min_ip_only_weight))


def graph_from_codes(coded: CodedLinks, config: DetectionConfig = DetectionConfig()
                     ) -> AccountGraph:
    """The projection proper: :func:`kind_edges` per kind, similarity, summed per pair."""
    nodes = coded.nodes.copy()
    n = len(nodes)
    org = org_codes(nodes)
    parts: list[KindEdges] = []
    stats: dict[str, int] = {}
    for kind, (thing, acct, nt, attrs) in thing_tables(coded).items():
        e = kind_edges(kind, thing, acct, nt, org, attrs, config, coded.idf_kind_names)
        parts.append(e)
        stats[f"edges_{kind}"] = len(e.src)
        stats[f"things_capped_{kind}"] = e.capped
        if kind == "ip":
            stats["things_dropped_ip"] = e.dropped
    if len(coded.sim_a):
        e = similarity_edges(coded, config)
        parts.append(e)
        stats["edges_similarity"] = len(e.src)
    src, dst, weight, bits = _aggregate([p.src for p in parts], [p.dst for p in parts],
                                        [p.weight for p in parts], [p.bits for p in parts], n)
    strong = keep_mask(weight, bits, config)
    stats["edges_below_min_weight"] = int((~strong).sum())
    src, dst, weight, bits = src[strong], dst[strong], weight[strong], bits[strong]
    for col, values in account_ip_features(coded).items():
        nodes[col] = values
    stats["edges"] = len(src)
    return AccountGraph(nodes=nodes, src=src, dst=dst, weight=weight, bits=bits, stats=stats)


def _aggregate(
    srcs: list[np.ndarray],
    dsts: list[np.ndarray],
    ws: list[np.ndarray],
    bs: list[np.ndarray],
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One edge per account pair: weights summed, evidence bits OR-ed; sorted by pair."""
    if not srcs or sum(len(s) for s in srcs) == 0:
        e = np.array([], dtype=np.int64)
        return e, e.copy(), np.array([], np.float64), np.array([], np.int32)
    key = np.concatenate([s.astype(np.int64) * n + d.astype(np.int64) for s, d in zip(srcs, dsts)])
    w = np.concatenate(ws)
    b = np.concatenate(bs)
    order = np.argsort(key, kind="stable")
    key, w, b = key[order], w[order], b[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ukey = key[starts]
    return (ukey // n, ukey % n, np.add.reduceat(w, starts), np.bitwise_or.reduceat(b, starts))


def reasons_of_bits(bits: int) -> list[str]:
    """Reason codes for an evidence bitmask, in the graph model's order."""
    return [code for bit, code in BIT_REASONS if bits & bit]
