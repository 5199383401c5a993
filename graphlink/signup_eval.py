"""The held-out-newcomer replay: how the sign-up check treats accounts it has never seen.

A sign-up check is judged on accounts that do not exist yet, so this replay
makes some: a stratified sample of a snapshot's accounts (a share of every
ring campaign, N accounts of every benign segment) is removed *before*
linking, detection runs on the rest, and each removed account then comes back
as a sign-up carrying what a sign-up form carries (e-mail domain, plan, the IP
it used most, its first payment instrument, its devices and other
identifiers).  Each is scored by :func:`graphlink.signup.score_signup` on an
index built by :func:`graphlink.signup.build_index` from the same rows the API
reads from Neo4j (:func:`index_rows` is the frame twin of the
``cypher/internal/api/index_*`` statements; a test holds the two equal), so
the replay cannot drift from the server.

Everything is in-process and pure after reading: snapshot (or generated
scenario) -> :func:`graphlink.detect.detect_links` -> index -> scores.  Beside
graphlink's decisions it reports a naive rule (block any sign-up sharing an IP
or payment instrument with a risky cluster) and the operating point the
snapshot itself supports (the lowest thresholds that keep held-out benign
sign-ups blocked / sent to review within budget), weighted by each benign
segment's share of the population.

>>> from graphlink.synth import generate              # doctest: +SKIP
>>> sc = generate(20_000, seed=1)                     # doctest: +SKIP
>>> rep = replay(sc.links(), sc.truth, seed=1)        # doctest: +SKIP
>>> rep.table()[["stratum", "n", "allow", "review", "block"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphlink.detect import DetectionConfig, detect_links
from graphlink.detect.pipeline import DEFAULT_SEED, DetectionResult
from graphlink.evaluate import RING, normalise_truth
from graphlink.model import (
    IDENTIFIER_COLUMNS,
    IP_COLUMNS,
    PAYMENT_COLUMNS,
    SIMILARITY_COLUMNS,
    Links,
)
from graphlink.signup import (
    BLOCK_AT,
    REVIEW_AT,
    RunIndex,
    Signup,
    build_index,
    score_signup,
)

DEFAULT_HOLDOUT_FRAC = 0.02
DEFAULT_BENIGN_PER_SEGMENT = 300
#: Budgets of the operating point: share of (population-weighted) benign sign-ups.
BLOCK_BUDGET = 0.001
REVIEW_BUDGET = 0.03
DECISIONS = ("allow", "review", "block")

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------- holdout
def sample_holdout(
    truth: pd.DataFrame,
    *,
    holdout_frac: float = DEFAULT_HOLDOUT_FRAC,
    benign_per_segment: int = DEFAULT_BENIGN_PER_SEGMENT,
    seed: int = 0,
) -> pd.DataFrame:
    """Accounts to hold out: ``account_id, segment, campaign, stratum``.

    Rings: ``holdout_frac`` of each campaign (at least one account each), stratum
    ``ring:<campaign>``; benign: ``benign_per_segment`` accounts of each segment
    (all of a smaller one), stratum the segment.
    """
    if not 0 < holdout_frac < 1:
        raise ValueError("holdout_frac must be in (0, 1)")
    t = normalise_truth(truth)
    rng = np.random.default_rng([seed, 9])
    parts = []
    ring = t[t["segment"] == RING]
    for campaign, g in ring.groupby(ring["campaign"].fillna(""), sort=True):
        k = max(1, round(holdout_frac * len(g)))
        parts.append(g.iloc[rng.choice(len(g), size=min(k, len(g)), replace=False)]
                     .assign(stratum=f"ring:{campaign}"))
    benign = t[t["segment"] != RING]
    for segment, g in benign.groupby("segment", sort=True):
        k = min(benign_per_segment, len(g))
        parts.append(g.iloc[rng.choice(len(g), size=k, replace=False)]
                     .assign(stratum=str(segment)))
    cols = ["account_id", "segment", "campaign", "stratum"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def split_links(links: Links, held: set[str] | pd.Index) -> tuple[Links, Links]:
    """(the rest, the held-out accounts' own rows): every row touching a held account goes."""
    held_ids = pd.Index(list(held)) if not isinstance(held, pd.Index) else held

    value_set = _arrow(pd.Series(np.asarray(held_ids, dtype=object)).astype(str))

    def part(frame: pd.DataFrame, *cols: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        if not len(frame):
            return frame, frame
        hit = np.zeros(len(frame), dtype=bool)
        for c in cols:
            hit |= pc.is_in(_arrow(frame[c]), value_set=value_set).fill_null(False) \
                .to_numpy(zero_copy_only=False)
        return frame[~hit].reset_index(drop=True), frame[hit].reset_index(drop=True)

    acc, acc_h = part(links.accounts, "account_id")
    pay, pay_h = part(links.payments, "account_id")
    ips, ips_h = part(links.ips, "account_id")
    idf, idf_h = part(links.identifiers, "account_id")
    sim, sim_h = part(links.similarity, "account_a", "account_b")
    return Links(acc, pay, ips, idf, sim), Links(acc_h, pay_h, ips_h, idf_h, sim_h)


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def signups_of(held: Links) -> dict[str, Signup]:
    """What each held-out account's sign-up form would carry, by account id.

    E-mail domain and plan from ``accounts``; the IP it sent most requests from;
    its earliest payment instrument; its earliest device, and every other
    identifier (further devices included) as ``(kind, value)``.
    """
    out: dict[str, Signup] = {}
    ips = held.ips
    top_ip: dict[str, str] = {}
    if len(ips):
        req = pd.to_numeric(ips["requests"], errors="coerce").fillna(0) if "requests" in ips \
            else pd.Series(0, index=ips.index)
        f = ips.assign(_r=req.to_numpy()).sort_values(["account_id", "_r"], ascending=[True, False],
                                                      kind="stable")
        top_ip = dict(f.drop_duplicates("account_id")[["account_id", "ip"]].astype(str)
                      .itertuples(index=False, name=None))
    first_pi: dict[str, str] = {}
    pay = held.payments
    if len(pay):
        f = _by_first_seen(pay)
        first_pi = dict(f.drop_duplicates("account_id")[["account_id", "instrument_id"]]
                        .astype(str).itertuples(index=False, name=None))
    devices: dict[str, str] = {}
    others: dict[str, list[tuple[str, str]]] = {}
    idf = held.identifiers
    if len(idf):
        for acct, kind, value in _by_first_seen(idf)[["account_id", "kind", "value"]].astype(str) \
                .itertuples(index=False, name=None):
            if kind == "device" and acct not in devices:
                devices[acct] = value
            else:
                others.setdefault(acct, []).append((kind, value))
    for r in held.accounts.itertuples(index=False):
        a = str(r.account_id)
        domain = _text(getattr(r, "email_domain", None))
        out[a] = Signup(
            email_domain=domain.lower() if domain else None,
            ip=top_ip.get(a),
            payment_instrument=first_pi.get(a),
            device=devices.get(a),
            identifiers=tuple(others.get(a, ())),
            plan=_text(getattr(r, "plan", None)),
        )
    return out


def _by_first_seen(frame: pd.DataFrame) -> pd.DataFrame:
    if "first_seen" not in frame:
        return frame
    key = pd.to_datetime(frame["first_seen"], utc=True, errors="coerce")
    return frame.assign(_t=key.to_numpy()).sort_values("_t", kind="stable", na_position="last")


# ----------------------------------------------------------------------------- index
@dataclass
class IndexRows:
    """The rows :func:`graphlink.signup.build_index` takes (what ``api/index_*`` return)."""

    clusters: list[tuple[Any, ...]]
    members: list[tuple[Any, ...]]
    ips: list[tuple[Any, ...]]
    instruments: list[tuple[Any, ...]]
    identifiers: list[tuple[Any, ...]]
    flagged_ips: list[tuple[Any, ...]]
    domain_totals: list[tuple[Any, ...]]

    def build(self, run_id: str, created_at: Any = None) -> RunIndex:
        return build_index(
            run_id, run_created_at=created_at, clusters=self.clusters, members=self.members,
            ips=self.ips, instruments=self.instruments, identifiers=self.identifiers,
            flagged_ips=self.flagged_ips, domain_totals=self.domain_totals,
        )


def _arrow(values: Any) -> pa.Array:
    """Strings as one Arrow array (Arrow hashes millions of strings far faster than pandas)."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(
        values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())


def _position(values: Any, value_set: pa.Array) -> np.ndarray:
    """Index of each value in ``value_set`` (-1: absent)."""
    return pc.index_in(_arrow(values), value_set=value_set).fill_null(-1).to_numpy() \
        .astype(np.int64)


def _thing_rows(acct: np.ndarray, thing: Any, cluster_of: np.ndarray,
                cluster_ids: np.ndarray) -> list[tuple[Any, ...]]:
    """(thing, cluster_id, members using it, accounts using it) for things members use.

    ``acct``: account index per link (-1: unknown account, skipped); ``thing``: the
    thing per link; ``cluster_of``: cluster index per account (-1: none).
    """
    if not len(acct):
        return []
    enc = pc.dictionary_encode(_arrow(thing))
    codes = enc.indices.fill_null(-1).to_numpy().astype(np.int64)
    keep = (acct >= 0) & (codes >= 0)
    acct, codes = acct[keep], codes[keep]
    uniques = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    n_acct = max(len(cluster_of), 1)
    pair = np.unique(codes * n_acct + acct)  # one link per (account, thing)
    t, a = pair // n_acct, pair % n_acct
    users = np.bincount(t, minlength=len(uniques))
    c = cluster_of[a]
    sel = c >= 0
    n_cl = max(len(cluster_ids), 1)
    key, members = np.unique(t[sel] * n_cl + c[sel], return_counts=True)
    kt, kc = key // n_cl, key % n_cl
    return list(zip(uniques[kt].tolist(), cluster_ids[kc].tolist(), members.tolist(),
                    users[kt].tolist()))


def index_rows(result: DetectionResult, links: Links) -> IndexRows:
    """The index rows of ``result`` over ``links``, as the API's Cypher reads them from Neo4j.

    Links are taken as ingest stores them: only links of known accounts count,
    one per (account, thing); an IP's flags are its last non-empty values.
    """
    acc = links.accounts.drop_duplicates("account_id")
    acc_ids = _arrow(acc["account_id"])
    mem = result.members
    cl = result.clusters
    cluster_ids = np.asarray(cl["cluster_id"].tolist(), dtype=object)
    cluster_of = np.full(len(acc_ids), -1, dtype=np.int64)
    m_acct = _position(mem["account_id"], acc_ids)
    m_cl = _position(mem["cluster_id"], _arrow(cluster_ids))
    ok = (m_acct >= 0) & (m_cl >= 0)
    cluster_of[m_acct[ok]] = m_cl[ok]

    def col(frame: pd.DataFrame, name: str) -> np.ndarray:
        if name not in frame:
            return np.full(len(frame), None, dtype=object)
        return np.asarray(_clean(frame[name]).tolist(), dtype=object)

    plan, domain = col(acc, "plan"), col(acc, "email_domain")
    pos = np.where(m_acct >= 0, m_acct, 0)
    members = list(zip(mem["account_id"].astype(str).tolist(), mem["cluster_id"].tolist(),
                       mem["account_risk"].astype(float).tolist(),
                       [list(r) for r in mem["reasons"].tolist()],
                       np.where(m_acct >= 0, plan[pos], None).tolist(),  # type: ignore[call-overload]
                       np.where(m_acct >= 0, domain[pos], None).tolist()))  # type: ignore[call-overload]
    clusters = list(zip(cluster_ids.tolist(), cl["risk"].astype(float).tolist(),
                        cl["size"].astype(int).tolist(), [list(r) for r in cl["reasons"].tolist()],
                        [p if isinstance(p, str) and p else None
                         for p in cl["parent_cluster_id"].tolist()]))

    def things(frame: pd.DataFrame, thing: Any) -> list[tuple[Any, ...]]:
        if not len(frame):
            return []
        return _thing_rows(_position(frame["account_id"], acc_ids), thing, cluster_of,
                           cluster_ids)

    ips, pay, idf = links.ips, links.payments, links.identifiers
    flagged: list[tuple[Any, ...]] = []
    if len(ips):
        acct = _position(ips["account_id"], acc_ids)
        prov = _clean(ips["proxy_provider"]) if "proxy_provider" in ips \
            else pd.Series([None] * len(ips), dtype=object)
        dc = _bools(ips["is_datacenter"]) if "is_datacenter" in ips \
            else pd.Series([None] * len(ips), dtype=object)
        sel = (acct >= 0) & (prov.notna().to_numpy() | (dc == True).to_numpy())  # noqa: E712 (elementwise)
        if sel.any():
            f = pd.DataFrame({"ip": _arrow(ips["ip"]).to_numpy(zero_copy_only=False)[sel],
                              "prov": prov.to_numpy()[sel], "dc": dc.to_numpy()[sel]})
            last = f.groupby("ip", sort=False).agg(prov=("prov", "last"), dc=("dc", "last"))
            users = dict(_thing_users(acct, _arrow(ips["ip"]), set(last.index)))
            flagged = [(i, p, None if d is None else bool(d), users.get(i, 0))
                       for i, p, d in zip(last.index, last["prov"], last["dc"])]
    member_domains = {d for *_, d in members if d}
    domain_totals: list[tuple[Any, ...]] = []
    if member_domains:
        counts = pd.Series(domain[pd.Series(domain).isin(member_domains).to_numpy()]) \
            .value_counts()
        domain_totals = [(k, int(v)) for k, v in counts.items()]
    id_key = pc.binary_join_element_wise(_arrow(idf["kind"]), _arrow(idf["value"]), ":") \
        if len(idf) else pa.array([], pa.string())
    return IndexRows(
        clusters=clusters,
        members=members,
        ips=things(ips, ips["ip"] if len(ips) else pa.array([], pa.string())),
        instruments=things(pay, pay["instrument_id"] if len(pay) else pa.array([], pa.string())),
        identifiers=things(idf, id_key),
        flagged_ips=flagged,
        domain_totals=domain_totals,
    )


def _thing_users(acct: np.ndarray, thing: pa.Array, wanted: set[str]) -> list[tuple[str, int]]:
    """Distinct known accounts per thing, for the things in ``wanted``."""
    enc = pc.dictionary_encode(thing)
    codes = enc.indices.fill_null(-1).to_numpy().astype(np.int64)
    keep = (acct >= 0) & (codes >= 0)
    n = max(int(acct.max()) + 1 if len(acct) else 1, 1)
    pair = np.unique(codes[keep] * n + acct[keep])
    users = np.bincount(pair // n, minlength=len(enc.dictionary))
    names = enc.dictionary.to_pylist()
    return [(names[i], int(users[i])) for i in range(len(names)) if names[i] in wanted]


def _clean(s: pd.Series) -> pd.Series:
    """Text with blanks as None (object dtype), as the store keeps optional values."""
    t = s.astype("string").str.strip()
    return t.where(t.notna() & (t != ""), None).astype(object).where(t.notna() & (t != ""), None)


def _bools(s: pd.Series) -> pd.Series:
    """true/false/1/0 (any case) or real booleans -> True/False; anything else None."""
    if s.dtype == bool:
        return s.astype(object)
    t = s.astype("string").str.strip().str.lower()
    out = pd.Series([None] * len(s), index=s.index, dtype=object)
    out[t.isin(["true", "1", "t", "yes"]).fillna(False).to_numpy(dtype=bool)] = True
    out[t.isin(["false", "0", "f", "no"]).fillna(False).to_numpy(dtype=bool)] = False
    return out


# ----------------------------------------------------------------------------- naive rule
def naive_decision(index: RunIndex, signup: Signup, risky_at: float) -> str:
    """The naive rule: block a sign-up sharing an IP or payment instrument with a risky cluster."""
    for table, key in ((index.ip_clusters, signup.ip),
                       (index.instrument_clusters, signup.payment_instrument)):
        t = table.get(key) if key is not None else None
        if t is not None and any(index.clusters[c].risk >= risky_at for c in t.clusters):
            return "block"
    return "allow"


# ----------------------------------------------------------------------------- replay
@dataclass
class Replay:
    """One replay's newcomers and what they got.

    ``newcomers``: ``account_id, segment, campaign, stratum, risk, block_risk,
    decision, naive`` (one row per held-out account; ``block_risk``: the part of the
    risk that may block, see :func:`graphlink.signup.score_signup`); ``weights``: each benign
    segment's
    share of the benign population.
    """

    newcomers: pd.DataFrame
    weights: dict[str, float]
    run_id: str
    index_sizes: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def table(self, *, by_campaign: bool = True) -> pd.DataFrame:
        """Per stratum: ``n`` and the counts of each decision, graphlink and naive."""
        d = self.newcomers
        key = d["stratum"] if by_campaign else np.where(d["segment"] == RING, "ring", d["segment"])
        rows = []
        for stratum, g in d.groupby(key, sort=False):
            row: dict[str, Any] = {"stratum": stratum, "n": len(g)}
            for dec in DECISIONS:
                row[dec] = int((g["decision"] == dec).sum())
            row["naive_block"] = int((g["naive"] == "block").sum())
            rows.append(row)
        out = pd.DataFrame(rows)
        ring_first = out["stratum"].astype(str).str.startswith("ring")
        return pd.concat(
            [out[ring_first].sort_values("stratum"), out[~ring_first].sort_values("stratum")],
            ignore_index=True,
        )

    def summary(
        self, *, review_at: float = REVIEW_AT, block_at: float = BLOCK_AT
    ) -> dict[str, float]:
        """Headline rates at the given thresholds (benign ones population-weighted).

        At the module's thresholds these are exactly the decisions the API gave.
        """
        d = self.newcomers
        ring = d[d["segment"] == RING]
        r = ring["risk"].to_numpy()
        rb = self._block_score(ring)
        return {
            "ring_n": float(len(ring)),
            "ring_caught": float(np.mean((r >= review_at) | (rb >= block_at)))
            if len(r)
            else float("nan"),
            "ring_blocked": float(np.mean(rb >= block_at)) if len(r) else float("nan"),
            "benign_blocked": self.benign_rate(block_at, block=True),
            "benign_review": max(
                0.0,
                self.benign_rate(review_at)
                - self.benign_rate(max(block_at, review_at), block=True),
            ),
            "naive_ring_blocked": float(np.mean(ring["naive"] == "block"))
            if len(ring)
            else float("nan"),
            "naive_benign_blocked": self.benign_naive_rate(),
        }

    def _benign(self) -> pd.DataFrame:
        return self.newcomers[self.newcomers["segment"] != RING]

    @staticmethod
    def _block_score(frame: pd.DataFrame) -> np.ndarray:
        """Blocked at ``t`` iff this >= t: the risk, capped by the part that may block."""
        r = frame["risk"].to_numpy()
        if "block_risk" in frame:
            return np.minimum(r, frame["block_risk"].to_numpy())
        return r

    def benign_rate(self, at: float, *, block: bool = False) -> float:
        """Population-weighted share of benign newcomers with risk >= ``at`` (``block``:
        whose block score is, i.e. who would be blocked at ``at``)."""
        b = self._benign()
        total = 0.0
        for s, w in self.weights.items():
            g = b[b["segment"] == s]
            if len(g):
                v = self._block_score(g) if block else g["risk"].to_numpy()
                total += w * float(np.mean(v >= at))
        return total

    def benign_naive_rate(self) -> float:
        b = self._benign()
        return float(
            sum(
                w * np.mean(b.loc[b["segment"] == s, "naive"].to_numpy() == "block")
                for s, w in self.weights.items()
                if (b["segment"] == s).any()
            )
        )

    def operating_point(
        self, *, block_budget: float = BLOCK_BUDGET, review_budget: float = REVIEW_BUDGET
    ) -> dict[str, float]:
        """Lowest thresholds keeping weighted benign blocks <= ``block_budget`` and benign
        sent to review <= ``review_budget`` on this replay, and the ring rates they give."""
        risks = np.unique(np.r_[self.newcomers["risk"].to_numpy(), 0.0, 1.0])
        cands = np.unique(np.r_[risks, np.minimum(risks + 1e-4, 1.0 + 1e-4)])
        cands = cands[cands > 0]
        b = self._benign()
        rates = np.zeros(len(cands))
        block_rates = np.zeros(len(cands))
        for seg, w in self.weights.items():
            g = b[b["segment"] == seg]
            if len(g):  # share of the segment at or above each candidate
                r = np.sort(g["risk"].to_numpy())
                rates += w * (1.0 - np.searchsorted(r, cands, side="left") / len(r))
                k = np.sort(self._block_score(g))
                block_rates += w * (1.0 - np.searchsorted(k, cands, side="left") / len(k))

        def lowest(r: np.ndarray, budget: float) -> float:
            ok = np.flatnonzero(r <= budget + 1e-12)
            return float(cands[ok[0]]) if len(ok) else float(cands[-1])

        block = lowest(block_rates, block_budget)
        review = min(lowest(rates, block_budget + review_budget), block)
        s = self.summary(review_at=review, block_at=block)
        return {
            "review_at": review,
            "block_at": block,
            **{k: s[k] for k in ("ring_caught", "ring_blocked", "benign_blocked", "benign_review")},
        }


def segment_weights(truth: pd.DataFrame) -> dict[str, float]:
    """Each benign segment's share of the benign accounts."""
    t = normalise_truth(truth)
    b = t.loc[t["segment"] != RING, "segment"].value_counts(normalize=True)
    return {str(k): float(v) for k, v in b.items()}


def replay(
    links: Links,
    truth: pd.DataFrame,
    *,
    holdout_frac: float = DEFAULT_HOLDOUT_FRAC,
    benign_per_segment: int = DEFAULT_BENIGN_PER_SEGMENT,
    seed: int = 0,
    config: DetectionConfig | None = None,
    detect_seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> Replay:
    """Hold out, detect on the rest, score the held-out accounts as sign-ups (pure).

    >>> rep = replay(links, truth, holdout_frac=0.02, benign_per_segment=300)  # doctest: +SKIP
    """
    say = progress or (lambda _s: None)
    cfg = config or DetectionConfig()
    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    say("holdout")
    held = sample_holdout(
        truth, holdout_frac=holdout_frac, benign_per_segment=benign_per_segment, seed=seed
    )
    held = held[held["account_id"].isin(links.accounts["account_id"].astype(str))]
    rest, mine = split_links(links, pd.Index(held["account_id"]))
    secs["holdout"] = time.perf_counter() - t0
    say("detect")
    t = time.perf_counter()
    result = detect_links(rest, cfg, seed=detect_seed)
    secs["detect"] = time.perf_counter() - t
    say("index")
    t = time.perf_counter()
    index = index_rows(result, rest).build(result.run_id, result.created_at)
    secs["index"] = time.perf_counter() - t
    say("score")
    t = time.perf_counter()
    signups = signups_of(mine)
    risky_at = float(result.params.get("risk_threshold", cfg.risk_threshold))
    risk, block_risk, decision, naive = [], [], [], []
    for a in held["account_id"]:
        s = signups.get(a, Signup())
        r = score_signup(index, s)
        risk.append(r.risk)
        block_risk.append(r.block_risk)
        decision.append(r.decision)
        naive.append(naive_decision(index, s, risky_at))
    newcomers = held.assign(
        risk=risk, block_risk=block_risk, decision=decision, naive=naive
    ).reset_index(drop=True)
    secs["score"] = time.perf_counter() - t
    return Replay(
        newcomers=newcomers,
        weights=segment_weights(truth),
        run_id=result.run_id,
        index_sizes=index.sizes(),
        seconds={k: round(v, 2) for k, v in secs.items()},
        params={
            "holdout_frac": holdout_frac,
            "benign_per_segment": benign_per_segment,
            "seed": seed,
            "detect_seed": detect_seed,
            "naive_risky_at": risky_at,
        },
    )


# ----------------------------------------------------------------------------- input
def read_snapshot(snapshot_dir: str | Path) -> tuple[Links, dict[str, int]]:
    """A snapshot directory as :class:`Links`, checked row by row as ingest checks it.

    Returns the links and the number of rows rejected per table (the ingest
    report names each with its line and reason; this replay only counts them).
    """
    from graphlink.ingest import read as ingest_read
    from graphlink.ingest.stream import plan as ingest_plan
    from graphlink.ingest.tables import TABLES
    from graphlink.ingest.validate import validate

    p = ingest_plan(Path(snapshot_dir))
    frames: dict[str, pd.DataFrame] = {}
    rejected: dict[str, int] = {}
    for spec in TABLES:
        tf = p.files.get(spec.name)
        if tf is None:
            continue
        parts, bad = [], 0
        for raw in ingest_read.iter_batches(tf, spec, batch_size=200_000):
            c = validate(spec, raw)
            bad += c.n_rejected
            parts.append(c.valid)
        frames[spec.name] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        rejected[spec.name] = bad

    def ts(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
        for c in cols:
            if c in frame:
                frame[c] = pd.to_datetime(
                    pd.to_numeric(frame[c], errors="coerce"), unit="ms", utc=True
                )
        return frame

    def table(name: str, columns: list[str]) -> pd.DataFrame:
        f = frames.get(name)
        if f is None or not len(f):
            return pd.DataFrame({c: [] for c in columns})
        return f

    acc = ts(frames["accounts"], "created_at").drop_duplicates("account_id")
    return Links(
        accounts=acc,
        payments=ts(table("payment_instruments", PAYMENT_COLUMNS), "first_seen"),
        ips=ts(table("ip_observations", IP_COLUMNS), "first_seen", "last_seen"),
        identifiers=ts(table("identifiers", IDENTIFIER_COLUMNS), "first_seen"),
        similarity=table("behaviour_similarity", SIMILARITY_COLUMNS),
    ), rejected


# ----------------------------------------------------------------------------- presentation
def render_replay(rep: Replay, *, title: str = "held-out newcomers") -> list[Any]:
    """Rich renderables: the per-stratum table (graphlink beside the naive rule), the
    headline rates at the module's thresholds and the operating point of this replay."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption=f"graphlink: review at risk >= {REVIEW_AT}, block at >= {BLOCK_AT}; naive: "
        "block any sign-up sharing an IP or payment instrument with a cluster of "
        f"risk >= {rep.params.get('naive_risky_at', 'the flag bar')}",
        caption_justify="left",
    )
    for h in ("newcomers", "n", "allow", "review", "block", "caught", "naive block"):
        t.add_column(h, justify="left" if h == "newcomers" else "right", no_wrap=True)
    tab = rep.table()
    for r in tab.to_dict("records"):
        ring = str(r["stratum"]).startswith("ring")
        n = max(r["n"], 1)
        caught = (r["review"] + r["block"]) / n
        t.add_row(
            ("ring, " + str(r["stratum"])[5:]) if ring else "benign, " + str(r["stratum"]),
            f"{r['n']:,}",
            f"{r['allow']:,}",
            f"{r['review']:,}",
            f"{r['block']:,}",
            f"{caught:.0%}",
            f"{r['naive_block']:,}",
        )
    s = rep.summary()
    op = rep.operating_point()
    lines = Text.assemble(
        ("ring newcomers ", "bold"),
        f"caught (review or block) {s['ring_caught']:.3f}, blocked "
        f"{s['ring_blocked']:.3f} (naive: blocked {s['naive_ring_blocked']:.3f})\n",
        ("benign newcomers ", "bold"),
        "(weighted by segment share) blocked "
        f"{s['benign_blocked']:.3%}, sent to review {s['benign_review']:.2%} (naive: blocked "
        f"{s['naive_benign_blocked']:.2%})\n",
        ("operating point of this replay ", "bold"),
        f"(benign blocked <= {BLOCK_BUDGET:.1%}, "
        f"to review <= {REVIEW_BUDGET:.0%}): review at {op['review_at']:.3f}, block at "
        f"{op['block_at']:.3f} -> ring caught {op['ring_caught']:.3f}, blocked "
        f"{op['ring_blocked']:.3f}",
    )
    return [t, lines]


def evaluate_snapshot(
    snapshot_dir: str | Path,
    truth_path: str | Path,
    *,
    holdout_frac: float = DEFAULT_HOLDOUT_FRAC,
    benign_per_segment: int = DEFAULT_BENIGN_PER_SEGMENT,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[Replay, dict[str, int]]:
    """``graphlink evaluate --signups``: read the snapshot and truth, replay (see
    :func:`replay`)."""
    from graphlink.evaluate import read_truth

    say = progress or (lambda _s: None)
    say("reading the snapshot")
    links, rejected = read_snapshot(snapshot_dir)
    truth = read_truth(truth_path)
    rep = replay(
        links,
        truth,
        holdout_frac=holdout_frac,
        benign_per_segment=benign_per_segment,
        seed=seed,
        progress=progress,
    )
    return rep, rejected
