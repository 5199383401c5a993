"""The state one generation run builds up, and its assembly into tables.

:class:`World` holds the layout, per-account attributes, the catalogues of
shared things (IPs, instruments, identifiers) and the link rows pointing at
them.  The benign and ring generators fill it; :func:`assemble` turns it into
Arrow tables with the spec's columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from graphlink.synth import _fmt
from graphlink.synth._tables import Catalogue, Rows, Tokens, blocks, resi_v4, resi_v6, residential
from graphlink.synth.archetypes import ARCHETYPES, GroupParams
from graphlink.synth.layout import RING, SEGMENTS, Layout
from graphlink.synth.names import Names
from graphlink.synth.params import (
    PROVIDER_ASNS,
    PROVIDER_OCTETS,
    PROVIDER_SPECS,
    V6_PROVIDER_PREFIX,
    SynthParams,
)

TS = pa.timestamp("ms", tz="UTC")  # what Parquet stores; seconds would come back as ms


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64) * 1000).cast(TS)


IP_SCHEMA = {
    "ip": pa.string(),
    "asn": pa.int64(),
    "proxy_provider": pa.string(),
    "is_datacenter": pa.bool_(),
}
PAY_SCHEMA = {
    "instrument_id": pa.string(),
    "kind": pa.string(),
    "bin": pa.string(),
    "issuer_country": pa.string(),
}
ID_SCHEMA = {"kind": pa.string(), "value": pa.string()}


@dataclass
class World:
    seed: int
    params: SynthParams
    layout: Layout
    names: Names
    created: np.ndarray = field(init=False)
    country: np.ndarray = field(init=False)  # str codes (object array of ISO codes)
    account_cols: dict[str, Any] = field(default_factory=dict)
    ips: Catalogue = field(default_factory=lambda: Catalogue(IP_SCHEMA))
    instruments: Catalogue = field(default_factory=lambda: Catalogue(PAY_SCHEMA))
    idents: Catalogue = field(default_factory=lambda: Catalogue(ID_SCHEMA))
    ip_rows: Rows = field(default_factory=Rows)
    pay_rows: Rows = field(default_factory=Rows)
    id_rows: Rows = field(default_factory=Rows)
    pairs: Rows = field(default_factory=Rows)
    signals: list[str] = field(
        default_factory=lambda: ["prompt_template", "timing_sync", "model_pivot"]
    )
    #: per provider: catalogue offset and size of its exit-IP pool
    prov_offset: np.ndarray = field(init=False)
    prov_size: np.ndarray = field(init=False)
    #: catalogue indexes of benign residential IPs (ring camouflage reuses some)
    benign_resi: np.ndarray = field(init=False)
    #: catalogue indexes of popular (benign) referral codes
    popular_referrals: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tokens: Tokens = field(init=False)
    #: distinct vanity (personal) e-mail domains of the benign population
    n_vanity: int = 50
    #: per ring group knobs (set by the ring generator)
    ring: GroupParams | None = None
    #: per ring group exit pools (catalogue base, base size, first slot, pool size)
    exit_pools: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        n = self.layout.n
        self.created = np.zeros(n, dtype=np.int64)
        self.country = np.empty(n, dtype=object)
        self.tokens = Tokens(self.seed)
        self.benign_resi = np.zeros(0, dtype=np.int64)

    def rng(self, *key: int) -> np.random.Generator:
        """An independent stream per component: changing one part leaves the others' draws alone."""
        return np.random.default_rng([self.seed, *key])

    def resi_ips(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Fresh residential addresses in the catalogue; their indexes in random order."""
        text, asn = residential(rng, n, self.params.ipv6_share)
        off = self.ips.add(n, ip=text, asn=asn, is_datacenter=np.zeros(n, dtype=bool))
        return off + rng.permutation(n)

    def build_provider_pools(self) -> None:
        """Exit-IP pools of the proxy/VPN providers, scaled to the population.

        Rings and benign VPN users draw from the same pools: a provider's IP
        shared by many accounts is not, by itself, evidence of a ring.
        """
        rng = self.rng(1)
        scale = self.layout.n / 1_024_000
        ring_sizes = self.layout.g_size[self.layout.g_segment == RING]
        need = int(
            np.ceil(
                (ring_sizes.max() if len(ring_sizes) else 0) * self.params.ring_ip_pool_ratio * 1.5
            )
        )
        sizes = np.array([max(int(base * scale), 24, need) for _, _, base in PROVIDER_SPECS])
        asns = rng.choice(PROVIDER_ASNS, len(PROVIDER_SPECS), replace=False)
        offsets = []
        for i, ((kind, dc, _), n) in enumerate(zip(PROVIDER_SPECS, sizes)):
            name = self.names.providers[i]
            if kind == "resi_proxy":  # residential exits: home addresses, residential ASNs
                ints, asn = resi_v4(rng, n)
                text = _fmt.ipv4(ints)
            else:
                n6 = n // 10 if kind == "vpn" else 0
                ints = blocks(rng, np.array([n - n6]), PROVIDER_OCTETS)
                asn = np.full(n, asns[i])
                t6, _ = resi_v6(rng, n6, V6_PROVIDER_PREFIX)
                text = pa.concat_arrays([_fmt.ipv4(ints), t6])
            coverage = (
                self.params.resi_proxy_intel_coverage
                if kind == "resi_proxy"
                else self.params.proxy_intel_coverage
            )
            known = rng.random(n) < coverage  # the intel feed names only some exits
            offsets.append(
                self.ips.add(
                    n,
                    ip=text,
                    asn=asn,
                    proxy_provider=pa.array(np.where(known, name, None), pa.string()),
                    is_datacenter=np.full(n, dc),
                )
            )
        self.prov_offset = np.array(offsets)
        self.prov_size = sizes

    def set_accounts(self, idx: np.ndarray, **cols: np.ndarray) -> None:
        """Account attributes for a slice of accounts (object/str arrays; None = empty)."""
        for k, v in cols.items():
            if k not in self.account_cols:
                self.account_cols[k] = np.full(self.layout.n, None, dtype=object)
            self.account_cols[k][idx] = v

    def add_pairs(
        self, a: np.ndarray, b: np.ndarray, signal: np.ndarray, score: np.ndarray
    ) -> None:
        self.pairs.add(a=a, b=b, signal=signal, score=score)


def _sorted_links(rows: Rows, key_col: str, perm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Deduplicate (account, thing) rows, ordered by public account id. Returns (row order,
    account)."""
    acc = rows.column("account")
    thing = rows.column(key_col)
    key = acc * (int(thing.max(initial=0)) + 1) + thing
    _, first = np.unique(key, return_index=True)
    order = first[np.argsort(perm[acc[first]], kind="stable")]
    return order, acc[order]


def assemble(w: World, *, with_similarity: bool = True) -> tuple[dict[str, pa.Table], pa.Table]:
    """Arrow tables of the snapshot (spec columns) and the truth table.

    ``with_similarity=False`` leaves ``behaviour_similarity`` empty (its columns, no rows):
    a platform without an upstream behavioural job.
    """
    L = w.layout
    perm = w.rng(99).permutation(L.n)  # account index -> public number
    ids = _fmt.padded(perm + 1, "acct_")

    by_number = np.argsort(perm)
    acc_cols = {"account_id": ids.take(by_number), "created_at": _ts(w.created[by_number])}
    for name in ("email_domain", "country", "plan", "org_id", "status"):
        acc_cols[name] = pa.array(w.account_cols[name][by_number], pa.string())
    tables = {"accounts": pa.table(acc_cols)}

    ip = w.ips.columns()
    order, acc = _sorted_links(w.ip_rows, "ip", perm)
    cat = w.ip_rows.column("ip")[order]
    first, last = w.ip_rows.column("first_seen")[order], w.ip_rows.column("last_seen")[order]
    tables["ip_observations"] = pa.table(
        {
            "account_id": ids.take(acc),
            "ip": ip["ip"].take(cat),
            "first_seen": _ts(first),
            "last_seen": _ts(last),
            "requests": pa.array(w.ip_rows.column("requests")[order], pa.int64()),
            "asn": ip["asn"].take(cat),
            "proxy_provider": ip["proxy_provider"].take(cat),
            "is_datacenter": ip["is_datacenter"].take(cat),
        }
    )

    pay = w.instruments.columns()
    order, acc = _sorted_links(w.pay_rows, "inst", perm)
    cat = w.pay_rows.column("inst")[order]
    tables["payment_instruments"] = pa.table(
        {
            "account_id": ids.take(acc),
            "instrument_id": pay["instrument_id"].take(cat),
            "kind": pay["kind"].take(cat),
            "bin": pay["bin"].take(cat),
            "issuer_country": pay["issuer_country"].take(cat),
            "first_seen": _ts(w.pay_rows.column("first_seen")[order]),
        }
    )

    ident = w.idents.columns()
    order, acc = _sorted_links(w.id_rows, "ident", perm)
    cat = w.id_rows.column("ident")[order]
    tables["identifiers"] = pa.table(
        {
            "account_id": ids.take(acc),
            "kind": ident["kind"].take(cat),
            "value": ident["value"].take(cat),
            "first_seen": _ts(w.id_rows.column("first_seen")[order]),
        }
    )

    tables["behaviour_similarity"] = _pairs_table(w, ids)
    if not with_similarity:
        tables["behaviour_similarity"] = tables["behaviour_similarity"].slice(0, 0)

    truth = _truth(w, ids, by_number)
    return tables, truth


def _pairs_table(w: World, ids: pa.Array) -> pa.Table:
    """Unordered pairs without self-pairs or duplicates (per signal), in random order and
    orientation."""
    a, b = w.pairs.column("a"), w.pairs.column("b")
    sig, score = w.pairs.column("signal"), w.pairs.column("score")
    keep = a != b
    a, b, sig, score = a[keep], b[keep], sig[keep], score[keep]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = (lo * w.layout.n + hi) * len(w.signals) + sig
    _, first = np.unique(key, return_index=True)
    rng = w.rng(98)
    first = first[rng.permutation(len(first))]
    flip = rng.random(len(first)) < 0.5
    a, b = np.where(flip, hi[first], lo[first]), np.where(flip, lo[first], hi[first])
    score = np.clip(np.round(score[first], 3), 0.001, 1.0)
    return pa.table(
        {
            "account_a": ids.take(a),
            "account_b": ids.take(b),
            "score": pa.array(score, pa.float64()),
            "signal": pa.array(w.signals).take(sig[first]),
        }
    )


def _truth(w: World, ids: pa.Array, by_number: np.ndarray) -> pa.Table:
    L = w.layout
    g = L.group[by_number]
    has_g = g >= 0
    group = np.full(L.n, "", dtype=object)
    group[has_g] = L.g_name[g[has_g]]
    extra = w.account_cols.get("_group")
    if extra is not None:  # segments grouped by something other than a layout group (vpn provider)
        e = extra[by_number]
        set_e = (~has_g) & (e != None)  # noqa: E711 (elementwise on an object array)
        group[set_e] = e[set_e]
    campaign = np.full(L.n, "", dtype=object)
    # campaign per account in layout order (-1: none); the truth's rows are by_number
    camp_of = np.full(L.n, -1, dtype=np.int64)
    in_g = L.group >= 0
    camp_of[in_g] = L.g_campaign[L.group[in_g]]
    camp_idx = camp_of[by_number]
    is_c = camp_idx >= 0
    campaign[is_c] = np.array(L.campaigns, dtype=object)[camp_idx[is_c]]
    archetype = np.full(L.n, "", dtype=object)
    archetype[is_c] = np.array(ARCHETYPES, dtype=object)[L.c_archetype[camp_idx[is_c]]]
    # the upstream pairs each ring account has with a campaign mate, counted whether or
    # not the snapshot keeps them: a request log of the same world shows coordination for
    # exactly the accounts that have some (graphlink.synth.requests)
    pa_, pb_ = w.pairs.column("a"), w.pairs.column("b")
    mates = (camp_of[pa_] == camp_of[pb_]) & (camp_of[pa_] >= 0) & (pa_ != pb_)
    n_pairs = np.bincount(pa_[mates], minlength=L.n) + np.bincount(pb_[mates], minlength=L.n)
    return pa.table(
        {
            "account_id": ids.take(by_number),
            "campaign": pa.array(campaign, pa.string()),
            "segment": pa.array(
                np.array(SEGMENTS, dtype=object)[L.segment[by_number]], pa.string()
            ),
            "group": pa.array(group, pa.string()),
            "archetype": pa.array(archetype, pa.string()),
            "behaviour_pairs": pa.array(n_pairs[by_number], pa.int64()),
        }
    )
