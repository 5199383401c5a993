"""Score a ban wave (or any set of flagged accounts) against planted truth (pure).

Truth is the generator's table (``graphlink.synth.write_truth``): one row per
account with ``account_id, campaign, segment, group`` and, in truth files
written since campaigns have archetypes, ``archetype``; ring accounts have
``segment == "ring"`` and their ``campaign`` (and ``archetype``), benign
accounts one of :data:`BENIGN_SEGMENTS` (or :data:`EXTRA_SEGMENTS`) and, for
campuses, companies, families, cohorts and startups, the ``group`` they
belong to.  Older truth files without ``archetype`` still load; their
``recall_per_archetype`` is empty.

Figures (all account-level unless said):

* precision, recall, F1 of flagged vs ring accounts (an account not in the
  truth counts as a false ban);
* recall per campaign (its min and median over campaigns, and how many
  campaigns reach 0.9), and per archetype (the campaign's tactic) when the
  truth says;
* false bans per benign segment: the hard negatives graphlink must spare;
* whole groups banned: campus / company / family groups (≥ 2 accounts) every
  member of which is flagged.  Must be 0: a ring is never a campus;
* cluster purity: over flagged accounts, the share that belong to the majority
  class of their flagged cluster.  Classes: a ring account's campaign; a
  benign account's group (family, campus, company, carrier, VPN provider) or,
  without one, the account alone, so a cluster gluing unrelated users together
  is impure.  1.0 = every flagged cluster is exactly one campaign (or group).

>>> truth = pd.DataFrame({"account_id": ["r1", "r2", "b1"], "campaign": ["x", "x", None],
...                       "segment": ["ring", "ring", "ordinary"], "group": [None, None, None]})
>>> m = evaluate_flags(pd.DataFrame({"account_id": ["r1", "b1"], "cluster_id": ["c", "c"]}), truth)
>>> (m.precision, m.recall, m.purity)
(0.5, 0.5, 0.5)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RING = "ring"
BENIGN_SEGMENTS: tuple[str, ...] = (
    "ordinary", "campus", "cgnat", "company", "family", "vpn_user", "heavy_user",
)
#: Benign segments of newer scenarios (course/hackathon cohorts, small API startups);
#: reported only when the truth has them, so older truth files give the same figures.
EXTRA_SEGMENTS: tuple[str, ...] = ("cohort", "startup")
#: Groups that must never be banned whole.
GROUP_SEGMENTS: tuple[str, ...] = ("campus", "company", "family")
#: Groups of :data:`EXTRA_SEGMENTS` that must never be banned whole either (when present).
EXTRA_GROUP_SEGMENTS: tuple[str, ...] = ("cohort", "startup")
#: Truth segment of a flagged account missing from the truth table.
UNKNOWN = "unknown"
#: A campaign counts as caught at this recall.
CAMPAIGN_CAUGHT = 0.9


@dataclass(frozen=True)
class Metrics:
    """One method's figures (see the module docstring)."""

    method: str
    n_flagged: int
    n_ring: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    purity: float
    n_clusters: int
    recall_per_campaign: dict[str, float] = field(default_factory=dict)
    #: ring recall per campaign archetype (empty when the truth has no ``archetype`` column)
    recall_per_archetype: dict[str, float] = field(default_factory=dict)
    false_bans_per_segment: dict[str, int] = field(default_factory=dict)
    whole_groups_banned: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def campaigns_caught(self) -> int:
        return sum(r >= CAMPAIGN_CAUGHT for r in self.recall_per_campaign.values())

    @property
    def min_campaign_recall(self) -> float:
        return min(self.recall_per_campaign.values()) if self.recall_per_campaign else float("nan")

    @property
    def median_campaign_recall(self) -> float:
        vals = list(self.recall_per_campaign.values())
        return float(np.median(vals)) if vals else float("nan")

    @property
    def min_archetype_recall(self) -> float:
        vals = self.recall_per_archetype.values()
        return min(vals) if vals else float("nan")

    @property
    def groups_banned_whole(self) -> int:
        return int(sum(self.whole_groups_banned.values()))

    @property
    def core_groups_banned_whole(self) -> int:
        """Campuses, companies and families banned whole (:data:`GROUP_SEGMENTS`): the
        groups the quality target says no wave may ban whole."""
        return int(sum(self.whole_groups_banned.get(s, 0) for s in GROUP_SEGMENTS))

    def to_record(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(campaigns_caught=self.campaigns_caught,
                 min_campaign_recall=self.min_campaign_recall,
                 median_campaign_recall=self.median_campaign_recall,
                 min_archetype_recall=self.min_archetype_recall)
        return d


def read_truth(path: str | Path) -> pd.DataFrame:
    """Read a truth CSV (``account_id, campaign, segment, group[, archetype]``); ids as strings."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"account_id", "segment"} - set(df.columns)
    if missing:
        from graphlink.errors import InputError

        raise InputError(f"{path}: truth file lacks column(s) {', '.join(sorted(missing))}")
    for col in ("campaign", "group"):
        if col not in df:
            df[col] = ""
    return normalise_truth(df)


def normalise_truth(truth: pd.DataFrame) -> pd.DataFrame:
    """Empty strings as missing, ids as strings, one row per account."""
    t = truth.copy()
    t["account_id"] = t["account_id"].astype(str)
    for col in ("campaign", "group", *(("archetype",) if "archetype" in t else ())):
        if col not in t:
            t[col] = None
        t[col] = t[col].where(t[col].notna() & (t[col].astype(str) != ""), None)
    return t.drop_duplicates("account_id")


def _safe_div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def evaluate_flags(
    flagged: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    method: str = "graphlink",
    seconds: float | None = None,
) -> Metrics:
    """Score flagged accounts (``account_id, cluster_id``) against the truth table."""
    t = normalise_truth(truth)
    f = flagged[["account_id", "cluster_id"]].copy()
    f["account_id"] = f["account_id"].astype(str)
    f = f.drop_duplicates("account_id")
    j = f.merge(t[["account_id", "campaign", "segment", "group"]], on="account_id", how="left")
    j["segment"] = j["segment"].fillna(UNKNOWN)
    is_ring = (j["segment"] == RING).to_numpy()

    ring = t[t["segment"] == RING]
    tp = int(is_ring.sum())
    fp = int(len(j) - tp)
    fn = int(len(ring) - tp)
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, len(ring))
    no_tp = 0.0 if len(ring) else float("nan")
    f1 = _safe_div(2 * precision * recall, precision + recall) if tp else no_tp

    flagged_ids = set(j["account_id"])
    ring_flagged = ring["account_id"].isin(flagged_ids)
    per_campaign = ring_flagged.groupby(ring["campaign"].fillna("")).mean()
    recall_per_campaign = {str(k): float(v) for k, v in per_campaign.items()}
    recall_per_archetype: dict[str, float] = {}
    if "archetype" in ring and ring["archetype"].notna().any():
        per_arch = ring_flagged.groupby(ring["archetype"].fillna("")).mean()
        recall_per_archetype = {str(k): float(v) for k, v in sorted(per_arch.items())}

    present = set(t["segment"])
    fp_seg = j.loc[~is_ring, "segment"].value_counts()
    benign_segments = [*BENIGN_SEGMENTS, *(s for s in EXTRA_SEGMENTS if s in present)]
    false_bans = {s: int(fp_seg.get(s, 0)) for s in benign_segments}
    for s, n in fp_seg.items():
        if s not in false_bans:
            false_bans[str(s)] = int(n)

    whole: dict[str, int] = {}
    group_segments = [*GROUP_SEGMENTS, *(s for s in EXTRA_GROUP_SEGMENTS if s in present)]
    grouped = t[t["segment"].isin(group_segments) & t["group"].notna()]
    if len(grouped):
        g = grouped.assign(hit=grouped["account_id"].isin(flagged_ids))
        agg = g.groupby(["segment", "group"])["hit"].agg(["size", "all"])
        agg = agg[agg["size"] >= 2]
        banned = agg[agg["all"]].reset_index().groupby("segment").size()
        whole = {s: int(banned.get(s, 0)) for s in group_segments}
    else:
        whole = {s: 0 for s in group_segments}

    # Classes: a ring's campaign; a benign account's group (its family, campus,
    # company, carrier, VPN provider), or the account itself when it has none.
    benign_class = np.where(
        j["group"].notna(),
        "group:" + j["segment"].astype(str) + ":" + j["group"].fillna("").astype(str),
        "self:" + j["account_id"],
    )
    label = np.where(is_ring, "ring:" + j["campaign"].fillna("").astype(str), benign_class)
    if len(j):
        lab = pd.DataFrame({"cluster_id": j["cluster_id"].astype(str).to_numpy(), "label": label})
        majority = lab.groupby(["cluster_id", "label"]).size().groupby(level=0).max()
        purity = float(majority.sum() / len(lab))
        n_clusters = int(lab["cluster_id"].nunique())
    else:
        purity, n_clusters = float("nan"), 0

    return Metrics(
        method=method,
        n_flagged=len(j),
        n_ring=len(ring),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=f1,
        purity=purity,
        n_clusters=n_clusters,
        recall_per_campaign=recall_per_campaign,
        recall_per_archetype=recall_per_archetype,
        false_bans_per_segment=false_bans,
        whole_groups_banned=whole,
        seconds=seconds,
    )


def _segments(results: list[Metrics]) -> tuple[list[str], list[str]]:
    """(benign segments, group segments) to report: the base ones and any extra one present."""
    fp = {k for m in results for k in m.false_bans_per_segment}
    wh = {k for m in results for k in m.whole_groups_banned}
    return (
        [*BENIGN_SEGMENTS, *(s for s in EXTRA_SEGMENTS if s in fp)],
        [*GROUP_SEGMENTS, *(s for s in EXTRA_GROUP_SEGMENTS if s in wh)],
    )


def _archetypes(results: list[Metrics]) -> list[str]:
    return sorted({a for m in results for a in m.recall_per_archetype})


def metrics_frame(results: list[Metrics]) -> pd.DataFrame:
    """One row per method, the columns of the evaluation table (for printing or CSV).

    Columns for the extra benign segments and ``recall_<archetype>`` appear only when the
    truth had them.
    """
    segments, group_segments = _segments(results)
    archetypes = _archetypes(results)
    rows = []
    for m in results:
        row: dict[str, Any] = {
            "method": m.method,
            "flagged": m.n_flagged,
            "precision": m.precision,
            "recall": m.recall,
            "f1": m.f1,
            "purity": m.purity,
            "clusters": m.n_clusters,
            "campaigns_caught": f"{m.campaigns_caught}/{len(m.recall_per_campaign)}",
            "min_campaign_recall": m.min_campaign_recall,
        }
        for s in segments:
            row[f"fp_{s}"] = m.false_bans_per_segment.get(s, 0)
        row["fp_unknown"] = m.false_bans_per_segment.get(UNKNOWN, 0)
        row["whole_groups"] = "/".join(str(m.whole_groups_banned.get(s, 0)) for s in group_segments)
        if archetypes:
            row["min_archetype_recall"] = m.min_archetype_recall
            for a in archetypes:
                row[f"recall_{a}"] = m.recall_per_archetype.get(a, float("nan"))
        row["seconds"] = m.seconds
        rows.append(row)
    return pd.DataFrame(rows)


#: Short column names of the evaluation table (segment -> header).
_SEGMENT_HEADS = {
    "ordinary": "ordin.",
    "campus": "campus",
    "cgnat": "cgnat",
    "company": "compy",
    "family": "family",
    "vpn_user": "vpn",
    "heavy_user": "heavy",
    "cohort": "cohort",
    "startup": "startup",
}
#: Width the evaluation table needs to print on one line per method.
TABLE_WIDTH = 190


def _num(x: float | None, fmt: str = "{:.4f}") -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else fmt.format(x)


def render_table(results: list[Metrics], *, title: str = "evaluation") -> Any:
    """A rich table: rows = methods, columns = metrics (print it at least :data:`TABLE_WIDTH` wide).

    When the truth named each campaign's archetype, the recall per archetype follows as a
    second table (:func:`render_archetype_table`) in the same printable group.
    """
    from rich import box
    from rich.console import Group
    from rich.table import Table

    segments, group_segments = _segments(results)
    whole_names = "/".join(group_segments)
    t = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption="P/R/F1: account-level precision/recall/F1 vs planted ring accounts; "
        "camp.: campaigns with recall >= 0.9 (min: worst campaign's recall); "
        f"false bans per benign segment; whole: {whole_names} groups banned whole",
        caption_justify="left",
    )
    heads = [
        "method",
        "flagged",
        "P",
        "R",
        "F1",
        "purity",
        "camp.",
        "min",
        *[_SEGMENT_HEADS.get(s, s) for s in segments],
        "whole",
        "s",
    ]
    for h in heads:
        t.add_column(h, justify="left" if h == "method" else "right", no_wrap=True)

    for m in results:
        whole = "/".join(str(m.whole_groups_banned.get(s, 0)) for s in group_segments)
        t.add_row(
            m.method,
            f"{m.n_flagged:,}",
            _num(m.precision),
            _num(m.recall),
            _num(m.f1),
            _num(m.purity, "{:.3f}"),
            f"{m.campaigns_caught}/{len(m.recall_per_campaign)}",
            _num(m.min_campaign_recall, "{:.2f}"),
            *[f"{m.false_bans_per_segment.get(s, 0):,}" for s in segments],
            whole if m.groups_banned_whole == 0 else f"[bold red]{whole}[/]",
            _num(m.seconds, "{:.1f}"),
        )
    if not _archetypes(results):
        return t
    return Group(t, render_archetype_table(results))


def render_archetype_table(results: list[Metrics], *, title: str = "recall per archetype") -> Any:
    """A rich table: rows = methods, columns = campaign archetypes, cells = ring recall."""
    from rich import box
    from rich.table import Table

    archetypes = _archetypes(results)
    t = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption="share of each archetype's ring accounts flagged (min: worst archetype)",
        caption_justify="left",
    )
    t.add_column("method", no_wrap=True)
    for a in archetypes:
        t.add_column(a, justify="right", no_wrap=True)
    t.add_column("min", justify="right", no_wrap=True)
    for m in results:
        cells = [m.recall_per_archetype.get(a) for a in archetypes]
        t.add_row(
            m.method,
            *[
                _num(x, "{:.3f}") if x is None or x >= 0.95 else f"[bold red]{x:.3f}[/]"
                for x in cells
            ],
            _num(m.min_archetype_recall, "{:.3f}"),
        )
    return t


def compare_with_baselines(
    flagged: pd.DataFrame,
    links: Any,
    truth: pd.DataFrame,
    *,
    method: str = "graphlink",
    seconds: float | None = None,
    **baseline_options: Any,
) -> list[Metrics]:
    """Score ``flagged`` and every naive baseline run on the same ``links`` (graphlink first).

    ``baseline_options`` go to :func:`graphlink.baselines.run_baselines`
    (``hub_cap``, ``min_size``, ``proxy_share``, ``louvain``, ...).
    """
    from graphlink import baselines

    out = [evaluate_flags(flagged, truth, method=method, seconds=seconds)]
    for r in baselines.run_baselines(links, **baseline_options):
        out.append(evaluate_flags(r.flagged, truth, method=r.method, seconds=r.seconds))
    return out
