"""Ban waves: which accounts of risky clusters to ban, why, and what changed.

This module is pure (DataFrames in, DataFrames out, no connection): the
Neo4j side lives in :mod:`graphlink.banwave_store`, which reads the current
detection run, calls :func:`select_wave` and records a committed wave.  The
benchmark runs the very same :func:`select_wave` on in-memory detection output.

Rules a wave follows (see ``docs/graph-model.md``):

* only members of clusters with ``risk >= min_risk`` are selected;
* every banned account carries at least one reason code: its own
  ``MEMBER_OF.reasons``, else its cluster's reasons; an account with neither
  is *skipped* (``why = no_reason``), never banned without a reason;
* a member whose own tie to its cluster is weak (``account_risk`` says it hangs
  on a link or two, :data:`DEFAULT_MIN_TIE`) is skipped as ``weak_tie``;
* a member that shows itself few of the kinds of evidence its cluster shows
  (:func:`conformity`, :data:`DEFAULT_MIN_CONFORMITY`) is skipped as
  ``atypical_member``;
* protected accounts are never banned: an explicit allowlist always wins, and
  accounts of verified organisations (``org_id`` set) are skipped unless their
  cluster's risk reaches the much higher ``verified_org_min_risk`` bar.  Every
  skipped account is reported with the reason it was skipped.

Public surface::

    params = WaveParams(min_risk=0.8, allowlist=frozenset({"acct-7"}))
    plan = select_wave(clusters, members, accounts, params, run_id="run-…")
    plan.entries            # account_id, cluster_id, cluster_risk, reasons (list)
    plan.skipped            # account_id, cluster_id, cluster_risk, org_id, why
    wave_to_csv(plan, "wave.csv")          # + wave.json sidecar (write_wave_files)
    diff = diff_waves(previous_entries, plan.entries)   # new / dropped / kept
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphlink.detect.scoring import (
    CAMPAIGN_LINK,
    OWN_DOMAIN_SHARE,
    REASON_CODES,
    presents_as_org,
    tie_of,
)

_REASON_ORDER = {code: i for i, code in enumerate(REASON_CODES)}

#: ``wave_id`` written into the CSV of a plan that has not been committed.
DRY_RUN_WAVE_ID = "dry-run"

#: Columns of the ban-wave CSV other tools read (``shared/spec/input-format.md``).
CSV_COLUMNS = ["wave_id", "account_id", "cluster_id", "cluster_risk", "reasons"]

#: Why an account of a selected cluster was not banned.
SKIP_ALLOWLIST = "allowlist"
SKIP_VERIFIED_ORG = "verified_org"
#: A member of a cluster that presents itself as one organisation (see
#: :data:`DEFAULT_OWN_DOMAIN_SHARE`), below the verified-org bar.
SKIP_OWN_DOMAIN_ORG = "own_domain_org"
#: Skips that protect an account (as opposed to a weak tie or no reason).
PROTECTED_SKIPS = (SKIP_ALLOWLIST, SKIP_VERIFIED_ORG, SKIP_OWN_DOMAIN_ORG)
SKIP_NO_REASON = "no_reason"
#: A member whose own tie to its cluster is weak (see :data:`DEFAULT_MIN_TIE`).
SKIP_WEAK_TIE = "weak_tie"
#: A member that shows few of the kinds of evidence its cluster shows (see
#: :data:`DEFAULT_MIN_CONFORMITY`).
SKIP_ATYPICAL = "atypical_member"

#: Default risk bar.  Chosen on the quality benchmark (``bench/bench_quality.py``,
#: 1M benign + 24k ring accounts, seed 7): at 0.8 the wave had precision 0.9992,
#: recall 0.9895 and banned one family whole (20 false bans, 14 of them in one
#: cluster scoring 0.8-0.9); at 0.9 precision 0.9999, recall 0.9883, 3 false
#: bans, no campus, company or family banned whole.  A wave that bans a family
#: costs more than 12 ring accounts left for the next wave, so the bar is 0.9.
DEFAULT_MIN_RISK = 0.9
#: Verified-org accounts are banned only when their cluster is near-certain.
DEFAULT_VERIFIED_ORG_MIN_RISK = 0.98
#: A cluster whose members are mostly (this share or more) on one e-mail domain that
#: almost nobody outside it uses (this share or more of the domain's accounts are in
#: the cluster) presents itself as one organisation: a company on its own domain.  Its
#: members get the verified-org bar.  Why: the benign clusters that reach the ban bar
#: are small companies on the API plan (one card, one key prefix, CI jobs in sync in
#: the cloud), and at 200k on held-out seeds the shipped model banned two of them whole
#: (scored 0.92 and 0.98); a ring that hides behind many webmail addresses is not
#: touched, and one that shows itself on one domain is one review decision away from a
#: ban of the whole domain.  Measured in ``docs/banwaves.md`` ("Companies on their own
#: domain").
DEFAULT_OWN_DOMAIN_SHARE = OWN_DOMAIN_SHARE
#: A member of a risky cluster is banned only if its own tie to the cluster (summed
#: internal link weight relative to the cluster's median member,
#: :func:`graphlink.detect.scoring.tie_of`) reaches this; below it the account hangs
#: on a link or two (a shared carrier address, one camouflage pair) and is skipped
#: as ``weak_tie`` for review instead.  Measured on generated scenarios of every
#: archetype (200k, seeds 21 and 22, risk bar 0.9): 0.2 removed 12 of 28 false bans
#: (ordinary, heavy and VPN users pulled into ring clusters) at the cost of 5 of
#: 1,779 ring accounts; 0.35 and 0.5 cost 2-9 % of the ring accounts banned and
#: removed no more false bans.
DEFAULT_MIN_TIE = 0.2
#: The tie a member needs when its cluster reached the bar through ``campaign_link``
#: (``graphlink.detect.scoring.campaign_lift``): such a cluster was not certain on its
#: own evidence, and the benign accounts Leiden absorbed into a campaign's weaker
#: groups (a family behind a reused exit, users sharing popular templates) hang on it
#: by weaker ties than the ring's members (``docs/risk-model.md``).
DEFAULT_MIN_TIE_LINKED = 0.4
#: A member of a risky cluster is banned only if it shows itself at least this share of
#: the reasons its cluster shows (:func:`conformity`; ``campaign_link`` not counted):
#: below it the account is in the cluster for one thing it shares with the ring (one
#: prompt template, a home address that is also a proxy exit) while the ring's members
#: show card, device, proxy, sign-up burst and behaviour together, and it is skipped as
#: ``atypical_member`` for review.  Relative to the cluster, not a list of reasons.
#: Chosen on tuning seeds 23-30 (200k, with and without behaviour pairs) among 0.3, 0.35
#: and 0.4, confirmed on held-out and fresh seeds: ``docs/banwaves.md`` ("Members that
#: show little of their cluster").
DEFAULT_MIN_CONFORMITY = 0.3

#: Per-cluster evidence counts a wave records (from the graph or from Links).
EVIDENCE_COLUMNS = [
    "shared_instruments",
    "shared_ips",
    "shared_datacenter_ips",
    "proxy_providers",
    "accounts_via_proxy",
    "shared_identifiers",
    "similarity_links",
]


@dataclass(frozen=True)
class WaveParams:
    """What a wave bans.  Recorded verbatim in the wave (``params_json``).

    ``allowlist`` holds account ids that are never banned.  With
    ``protect_verified_orgs`` (default), accounts with an ``org_id`` are
    banned only if their cluster's risk is at least ``verified_org_min_risk``.
    """

    min_risk: float = DEFAULT_MIN_RISK
    protect_verified_orgs: bool = True
    verified_org_min_risk: float = DEFAULT_VERIFIED_ORG_MIN_RISK
    allowlist: frozenset[str] = field(default_factory=frozenset)
    #: Where the allowlist came from (file name), for the record only.
    allowlist_source: str | None = None
    #: Members whose own tie to the cluster is below this are skipped (``weak_tie``).
    min_tie: float = DEFAULT_MIN_TIE
    #: The same for members of clusters raised by ``campaign_link``.
    min_tie_linked: float = DEFAULT_MIN_TIE_LINKED
    #: Clusters on one own e-mail domain get the verified-org bar (0: the rule off).
    own_domain_share: float = DEFAULT_OWN_DOMAIN_SHARE
    #: Members showing less than this share of their cluster's reasons are skipped
    #: (``atypical_member``; 0: the rule off).
    min_conformity: float = DEFAULT_MIN_CONFORMITY

    def __post_init__(self) -> None:
        for name in ("min_risk", "verified_org_min_risk", "min_tie", "min_tie_linked",
                     "own_domain_share", "min_conformity"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {v}")
        object.__setattr__(self, "allowlist", frozenset(str(a) for a in self.allowlist))

    @property
    def read_floor(self) -> float:
        """The lowest cluster risk the wave can touch (clusters below it need not be read)."""
        return self.min_risk

    def to_record(self) -> dict[str, Any]:
        """JSON-safe form (the allowlist by size and source, not its contents)."""
        d = asdict(self)
        d["allowlist"] = len(self.allowlist)
        return d


@dataclass(frozen=True)
class WavePlan:
    """A selected ban wave, committed or not.

    ``entries`` (one row per banned account): ``account_id, cluster_id,
    cluster_risk, reasons`` (reasons a list of codes, never empty) and
    ``org_id`` (set only for verified-org accounts above the higher bar).
    ``clusters`` (one row per selected cluster): ``cluster_id, size, risk,
    reasons, features, n_banned, n_skipped`` + :data:`EVIDENCE_COLUMNS` when known.
    ``skipped``: ``account_id, cluster_id, cluster_risk, org_id, why``.
    ``wave_id`` is ``None`` until :func:`graphlink.banwave_store.commit_wave`.
    """

    run_id: str | None
    params: WaveParams
    entries: pd.DataFrame
    clusters: pd.DataFrame
    skipped: pd.DataFrame
    created_at: datetime
    wave_id: str | None = None

    @property
    def n_accounts(self) -> int:
        return len(self.entries)

    @property
    def n_clusters(self) -> int:
        return int(self.entries["cluster_id"].nunique()) if len(self.entries) else 0

    @property
    def committed(self) -> bool:
        return self.wave_id is not None

    def with_wave_id(self, wave_id: str) -> WavePlan:
        return WavePlan(self.run_id, self.params, self.entries, self.clusters, self.skipped,
                        self.created_at, wave_id)

    def reason_counts(self) -> pd.Series:
        """Banned accounts per reason code (an account counts once per code it carries)."""
        return reason_counts(self.entries)

    def risk_histogram(self) -> pd.DataFrame:
        return risk_histogram(self.entries, self.clusters)

    def sidecar(self) -> dict[str, Any]:
        """The JSON sidecar: parameters, run and per-cluster evidence."""
        return wave_sidecar(self)


@dataclass(frozen=True)
class WaveDiff:
    """A wave against the one before it, by account id."""

    new: pd.DataFrame
    dropped: pd.DataFrame
    kept: pd.DataFrame
    previous_wave_id: str | None = None

    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "dropped": len(self.dropped), "kept": len(self.kept)}


# -- helpers ---------------------------------------------------------------
def sort_reasons(codes: Iterable[str]) -> list[str]:
    """Distinct reason codes in the model's order (unknown codes last, alphabetically)."""
    uniq = {str(c) for c in codes if c is not None and str(c) != ""}
    return sorted(uniq, key=lambda c: (_REASON_ORDER.get(c, len(_REASON_ORDER)), c))


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, float) and np.isnan(v):
        return []
    if isinstance(v, str):
        return [c for c in v.split(";") if c]
    return [str(c) for c in v]


def read_allowlist(path: str | Path) -> frozenset[str]:
    """Account ids of an allowlist file: one per line; blank lines and ``#`` comments ignored."""
    ids = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.add(line)
    return frozenset(ids)


def _org(v: Any) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    s = str(v).strip()
    return s or None


# -- selection -------------------------------------------------------------
def select_wave(
    clusters: pd.DataFrame,
    members: pd.DataFrame,
    accounts: pd.DataFrame | None,
    params: WaveParams,
    *,
    run_id: str | None = None,
    evidence: pd.DataFrame | None = None,
    created_at: datetime | None = None,
) -> WavePlan:
    """Select the accounts a wave bans (pure).

    ``clusters``: ``cluster_id, size, risk, reasons`` (+ optional ``features``
    dict or ``features_json``).  ``members``: ``account_id, cluster_id`` (+
    optional ``reasons``, ``account_risk``).  ``accounts``: ``account_id,
    org_id`` for at least the members (``None``: nobody is in a verified org).
    ``evidence``: optional per-cluster counts indexed by ``cluster_id``.

    An account in several clusters (should not happen within one run) is
    kept once, in its riskiest cluster.

    >>> c = pd.DataFrame({"cluster_id": ["c-1"], "size": [2], "risk": [0.9],
    ...                   "reasons": [["shared_payment"]]})
    >>> m = pd.DataFrame({"account_id": ["a", "b"], "cluster_id": ["c-1", "c-1"]})
    >>> select_wave(c, m, None, WaveParams(min_risk=0.5)).entries["account_id"].tolist()
    ['a', 'b']
    """
    created_at = created_at or datetime.now(UTC)
    cl = clusters.copy()
    if "reasons" not in cl:
        cl["reasons"] = [[] for _ in range(len(cl))]
    cl["risk"] = cl["risk"].astype(float)
    cl = cl[cl["risk"] >= params.min_risk]
    cl = cl.sort_values(["risk", "cluster_id"], ascending=[False, True]).reset_index(drop=True)

    keep_cols = [c for c in ("account_id", "cluster_id", "reasons", "account_risk", "org_id")
                 if c in members]
    m = members.loc[members["cluster_id"].isin(cl["cluster_id"]), keep_cols].copy()
    if "reasons" not in m:
        m["reasons"] = [[] for _ in range(len(m))]
    m = m.merge(cl[["cluster_id", "risk", "reasons"]].rename(
        columns={"risk": "cluster_risk", "reasons": "cluster_reasons"}), on="cluster_id")
    m = (m.sort_values(["cluster_risk", "cluster_id"], ascending=[False, True])
          .drop_duplicates("account_id", keep="first"))

    if accounts is not None and "org_id" in accounts and len(m):
        orgs = accounts.drop_duplicates("account_id").set_index("account_id")["org_id"]
        m["org_id"] = [_org(v) for v in m["account_id"].map(orgs)]
    elif "org_id" in m:
        m["org_id"] = [_org(v) for v in m["org_id"]]
    else:
        m["org_id"] = None

    own = [_as_list(r) for r in m["reasons"]]
    fallback = [_as_list(r) for r in m["cluster_reasons"]]
    m["reasons"] = [sort_reasons(o if o else f) for o, f in zip(own, fallback)]

    why = np.full(len(m), None, dtype=object)
    no_reason = np.array([len(r) == 0 for r in m["reasons"]], dtype=bool)
    why[no_reason] = SKIP_NO_REASON
    if params.min_conformity > 0:
        why[conformity(own, fallback) < params.min_conformity] = SKIP_ATYPICAL
    if "account_risk" in m and (params.min_tie > 0 or params.min_tie_linked > 0):
        tie = tie_of(m["account_risk"].astype(float).to_numpy(),
                     m["cluster_risk"].astype(float).to_numpy())
        linked = np.array([CAMPAIGN_LINK in _as_list(r) for r in m["cluster_reasons"]], dtype=bool)
        why[tie < np.where(linked, params.min_tie_linked, params.min_tie)] = SKIP_WEAK_TIE
    if params.protect_verified_orgs:
        below = m["cluster_risk"].to_numpy() < params.verified_org_min_risk
        own = m["cluster_id"].isin(own_domain_orgs(cl, params.own_domain_share)).to_numpy()
        why[own & below] = SKIP_OWN_DOMAIN_ORG
        why[m["org_id"].notna().to_numpy() & below] = SKIP_VERIFIED_ORG
    allow = m["account_id"].astype(str).isin(params.allowlist).to_numpy()
    why[allow] = SKIP_ALLOWLIST  # the allowlist always wins, whatever the risk
    m["why"] = why

    banned = m[m["why"].isna()]
    entries = pd.DataFrame({
        "account_id": banned["account_id"].astype(str).to_numpy(),
        "cluster_id": banned["cluster_id"].astype(str).to_numpy(),
        "cluster_risk": banned["cluster_risk"].astype(float).to_numpy(),
        "reasons": list(banned["reasons"]),
        "org_id": banned["org_id"].to_numpy(),
    }).sort_values(["cluster_risk", "cluster_id", "account_id"], ascending=[False, True, True],
                   ignore_index=True)
    sk = m[m["why"].notna()]
    skipped = pd.DataFrame({
        "account_id": sk["account_id"].astype(str).to_numpy(),
        "cluster_id": sk["cluster_id"].astype(str).to_numpy(),
        "cluster_risk": sk["cluster_risk"].astype(float).to_numpy(),
        "org_id": sk["org_id"].to_numpy(),
        "why": sk["why"].astype(str).to_numpy(),
    }).sort_values(["why", "cluster_risk", "account_id"], ascending=[True, False, True],
                   ignore_index=True)

    cl_out = _cluster_summary(cl, entries, skipped, evidence)
    return WavePlan(run_id=run_id, params=params, entries=entries, clusters=cl_out,
                    skipped=skipped, created_at=created_at)


def conformity(member_reasons: Sequence[Sequence[str]],
               cluster_reasons: Sequence[Sequence[str]]) -> np.ndarray:
    """Per member: the share of its cluster's reasons it shows itself (0-1).

    ``campaign_link`` counts on neither side (a raised cluster's members all carry it).  A
    member without reasons of its own (a run written before members had them) counts as
    showing all of them, so the rule never acts on what was not recorded.

    >>> conformity([["prompt_template"], []], [["prompt_template", "shared_payment",
    ...             "proxy_provider", "campaign_link"]] * 2).round(3).tolist()
    [0.333, 1.0]
    """
    out = np.ones(len(member_reasons))
    for i, (own, cl) in enumerate(zip(member_reasons, cluster_reasons)):
        kinds = set(cl) - {CAMPAIGN_LINK}
        if own and kinds:
            out[i] = len(kinds.intersection(own)) / len(kinds)
    return out


def own_domain_orgs(clusters: pd.DataFrame, share: float) -> set[str]:
    """Clusters that present themselves as one organisation on its own e-mail domain.

    ``share`` or more of the members on the cluster's top domain, and ``share`` or more
    of that domain's accounts in the population inside the cluster (the features
    ``email_domain_top_share`` and ``email_domain_exclusive``, as columns or in
    ``features``/``features_json``).  Runs scored before those features existed, and
    ``share`` 0, give none.
    """
    if share <= 0 or not len(clusters):
        return set()
    out = set()
    for row in clusters.to_dict("records"):
        f = {**_features(row), **row}
        top, excl = f.get("email_domain_top_share"), f.get("email_domain_exclusive")
        if top is None or excl is None or pd.isna(top) or pd.isna(excl):
            continue
        if presents_as_org(float(top), float(excl), share):
            out.add(str(row["cluster_id"]))
    return out


def _features(row: Mapping[str, Any]) -> dict[str, Any]:
    f = row.get("features")
    if isinstance(f, dict):
        return f
    raw = row.get("features_json")
    if isinstance(raw, str) and raw:
        try:
            parsed = json.loads(raw)
            return parsed if isinstance(parsed, dict) else {"value": parsed}
        except ValueError:
            return {"raw": raw}
    return {}


def _cluster_summary(
    cl: pd.DataFrame, entries: pd.DataFrame, skipped: pd.DataFrame, evidence: pd.DataFrame | None
) -> pd.DataFrame:
    n_banned = entries.groupby("cluster_id").size()
    n_skipped = skipped.groupby("cluster_id").size()
    out = pd.DataFrame({
        "cluster_id": cl["cluster_id"].astype(str).to_numpy(),
        "size": cl["size"].astype(int).to_numpy() if "size" in cl else 0,
        "risk": cl["risk"].astype(float).to_numpy(),
        "reasons": [sort_reasons(_as_list(r)) for r in cl["reasons"]],
        "features": [_features(r) for r in cl.to_dict("records")],
    })
    out["n_banned"] = out["cluster_id"].map(n_banned).fillna(0).astype(int)
    out["n_skipped"] = out["cluster_id"].map(n_skipped).fillna(0).astype(int)
    if evidence is not None and len(evidence):
        ev = evidence.set_index("cluster_id") if "cluster_id" in evidence else evidence
        for col in EVIDENCE_COLUMNS:
            if col in ev:
                out[col] = out["cluster_id"].map(ev[col]).fillna(0).astype(int)
    return out


# -- summaries -------------------------------------------------------------
def reason_counts(entries: pd.DataFrame) -> pd.Series:
    """Accounts per reason code, in the model's order."""
    if not len(entries):
        return pd.Series(dtype=int, name="accounts")
    counts = entries["reasons"].explode().value_counts()
    order = sort_reasons(counts.index)
    return counts.reindex(order).astype(int).rename("accounts")


#: Risk bins of the summary histogram.
RISK_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 1.0000001)


def risk_histogram(entries: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Banned accounts and clusters per cluster-risk bin (empty bins dropped)."""
    labels = [f"{lo:.2f}–{min(hi, 1.0):.2f}" for lo, hi in zip(RISK_BINS, RISK_BINS[1:])]
    acc = pd.cut(entries["cluster_risk"], RISK_BINS, right=False, labels=labels)
    banned_clusters = clusters[clusters["n_banned"] > 0] if "n_banned" in clusters else clusters
    clu = pd.cut(banned_clusters["risk"], RISK_BINS, right=False, labels=labels)
    out = pd.DataFrame({
        "accounts": acc.value_counts(sort=False).reindex(labels).fillna(0).astype(int),
        "clusters": clu.value_counts(sort=False).reindex(labels).fillna(0).astype(int),
    })
    out.index.name = "risk"
    return out[(out["accounts"] > 0) | (out["clusters"] > 0)]


def wave_sidecar(plan: WavePlan) -> dict[str, Any]:
    """The JSON sidecar of a wave: parameters, run, skipped accounts and per-cluster evidence."""
    skipped_by_why = plan.skipped.groupby("why").size().astype(int).to_dict()
    included_verified = (
        int(plan.entries["org_id"].notna().sum()) if "org_id" in plan.entries else 0)
    return {
        "wave_id": plan.wave_id or DRY_RUN_WAVE_ID,
        "committed": plan.committed,
        "run_id": plan.run_id,
        "created_at": plan.created_at.isoformat(),
        "parameters": plan.params.to_record(),
        "n_accounts": plan.n_accounts,
        "n_clusters": plan.n_clusters,
        "accounts_per_reason": {k: int(v) for k, v in plan.reason_counts().items()},
        "protected_skipped": {k: int(v) for k, v in skipped_by_why.items()},
        "verified_org_included": included_verified,
        "skipped": [
            {"account_id": r.account_id, "cluster_id": r.cluster_id,
             "cluster_risk": round(float(r.cluster_risk), 6), "org_id": _org(r.org_id),
             "why": r.why}
            for r in plan.skipped.itertuples(index=False)
        ],
        "clusters": cluster_evidence_records(plan.clusters),
    }


def cluster_evidence_records(clusters: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-cluster evidence as JSON-safe dicts (what ``evidence_json`` stores)."""
    recs = []
    for r in clusters.to_dict("records"):
        rec: dict[str, Any] = {
            "cluster_id": r["cluster_id"],
            "size": int(r["size"]),
            "risk": round(float(r["risk"]), 6),
            "reasons": list(r["reasons"]),
            "n_banned": int(r.get("n_banned", 0)),
            "n_skipped": int(r.get("n_skipped", 0)),
        }
        for col in EVIDENCE_COLUMNS:
            if col in r:
                rec[col] = int(r[col])
        rec["features"] = _json_safe(r.get("features") or {})
        recs.append(rec)
    return recs


def _json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


# -- files -----------------------------------------------------------------
def wave_csv_frame(entries: pd.DataFrame, wave_id: str) -> pd.DataFrame:
    """The CSV layout: ``wave_id, account_id, cluster_id, cluster_risk, reasons`` (``;``-joined)."""
    return pd.DataFrame({
        "wave_id": wave_id,
        "account_id": entries["account_id"].astype(str),
        "cluster_id": entries["cluster_id"].astype(str),
        "cluster_risk": entries["cluster_risk"].astype(float).round(6),
        "reasons": [";".join(r) for r in entries["reasons"]],
    }, columns=CSV_COLUMNS)


def wave_to_csv(plan: WavePlan, path: str | Path) -> Path:
    """Write the wave's CSV (``wave_id`` is ``dry-run`` for an uncommitted plan)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wave_csv_frame(plan.entries, plan.wave_id or DRY_RUN_WAVE_ID).to_csv(path, index=False)
    return path


def sidecar_path(csv_path: str | Path) -> Path:
    """``wave.csv`` → ``wave.json``."""
    return Path(csv_path).with_suffix(".json")


def write_wave_files(plan: WavePlan, csv_path: str | Path) -> tuple[Path, Path]:
    """Write the CSV and its JSON sidecar beside it; returns both paths."""
    csv = wave_to_csv(plan, csv_path)
    side = sidecar_path(csv)
    side.write_text(json.dumps(plan.sidecar(), indent=2, default=str), encoding="utf-8")
    return csv, side


def read_wave_csv(path: str | Path) -> pd.DataFrame:
    """Read a wave CSV back (reasons as lists), e.g. to compare with the store."""
    df = pd.read_csv(path, dtype={"wave_id": str, "account_id": str, "cluster_id": str})
    df["reasons"] = [_as_list(r) for r in df["reasons"].fillna("")]
    return df


# -- diff ------------------------------------------------------------------
def diff_waves(
    previous: pd.DataFrame | None, current: pd.DataFrame, *, previous_wave_id: str | None = None
) -> WaveDiff:
    """New, dropped and kept accounts between two waves' entries (by ``account_id``).

    ``new`` and ``kept`` carry the current wave's rows, ``dropped`` the
    previous wave's.  No previous wave: everything is new.

    >>> a = pd.DataFrame({"account_id": ["x", "y"], "cluster_id": ["c", "c"]})
    >>> b = pd.DataFrame({"account_id": ["y", "z"], "cluster_id": ["c", "d"]})
    >>> diff_waves(a, b).counts()
    {'new': 1, 'dropped': 1, 'kept': 1}
    """
    if previous is None:
        previous = current.iloc[0:0]
    prev_ids = set(previous["account_id"].astype(str))
    cur_ids = set(current["account_id"].astype(str))
    cur_in_prev = current["account_id"].astype(str).isin(prev_ids)
    return WaveDiff(
        new=current[~cur_in_prev].reset_index(drop=True),
        dropped=previous[~previous["account_id"].astype(str).isin(cur_ids)].reset_index(drop=True),
        kept=current[cur_in_prev].reset_index(drop=True),
        previous_wave_id=previous_wave_id,
    )
