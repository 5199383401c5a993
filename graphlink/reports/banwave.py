"""``graphlink report banwave``: one ban wave as a self-contained HTML page.

For the reviewer who signs a wave off: how many accounts and clusters, how
risky (histogram), why (reason codes), which verified-org accounts it touches,
and what changed since the previous wave (accounts added and dropped), and
the review queue: clusters of the wave's run just below its bar, where an
investigator's decision teaches the risk model most (``graphlink review``).
Reading is :func:`read_banwave`; the rest is pure DataFrame -> figure -> HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from graphlink.errors import NotFound
from graphlink.reports import html as h
from graphlink.store import GraphStore


@dataclass
class BanWaveData:
    summary: dict[str, Any]
    entries: pd.DataFrame
    diff: pd.DataFrame
    #: ``graphlink.decisions.review_queue`` of the wave's run at its bar.
    review: pd.DataFrame = field(default_factory=pd.DataFrame)


def resolve_wave_id(store: GraphStore, wave_id: str) -> str:
    """``latest`` -> the newest wave's id; anything else unchanged."""
    if wave_id != "latest":
        return wave_id
    rows = store.read("report/latest_wave")
    if not rows:
        raise NotFound("no ban wave has been committed yet (graphlink banwave --commit)")
    return str(rows[0]["wave_id"])


def read_banwave(store: GraphStore, wave_id: str) -> BanWaveData:
    """Read a ban wave (or ``latest``), its entries and its diff against the previous wave."""
    wave_id = resolve_wave_id(store, wave_id)
    rows = store.read("report/banwave_summary", wave_id=wave_id)
    if not rows:
        raise NotFound(f"no ban wave {wave_id!r}")
    return BanWaveData(
        summary=rows[0],
        entries=store.read_df("report/banwave_entries", wave_id=wave_id),
        diff=store.read_df("report/banwave_diff", wave_id=wave_id),
        review=_review(store, rows[0]),
    )


def _review(store: GraphStore, summary: dict[str, Any]) -> pd.DataFrame:
    from graphlink.decisions import read_review_queue

    if not summary.get("run_id") or summary.get("min_risk") is None:
        return pd.DataFrame()
    try:
        rq = read_review_queue(store, run_id=summary["run_id"], bar=float(summary["min_risk"]))
    except NotFound:  # the wave's run is gone
        return pd.DataFrame()
    return rq.queue


def review_table(queue: pd.DataFrame, *, top: int = 4) -> pd.DataFrame:
    """The review queue as report rows: strongest contributions spelled out, decisions shown."""
    cols = ["cluster_id", "size", "risk", "below bar by", "reasons", "top contributions (log-odds)",
            "decided"]
    if queue.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame({
        "cluster_id": queue["cluster_id"], "size": queue["size"], "risk": queue["risk"],
        "below bar by": queue["gap"], "reasons": queue["reasons"],
        "top contributions (log-odds)": queue["contributions"].map(
            lambda c: ", ".join(f"{k} {v:+.2f}" for k, v in list(c.items())[:top])),
        "decided": [f"{lab} ({rev})" if isinstance(lab, str) else ""
                    for lab, rev in zip(queue["label"], queue["reviewer"])],
    })[cols]


def clusters_table(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per cluster in the wave: accounts, risk, reasons, verified-org accounts."""
    if entries.empty:
        return pd.DataFrame(columns=["cluster_id", "accounts", "cluster_risk", "reasons",
                                     "verified_org_accounts"])
    g = entries.groupby("cluster_id", sort=False)
    out = g.agg(
        accounts=("account_id", "nunique"),
        cluster_risk=("cluster_risk", "max"),
        reasons=("reasons", lambda s: sorted({r for rs in s for r in (rs or [])})),
        verified_org_accounts=("org_id", lambda s: int(s.notna().sum())),
    ).reset_index()
    return out.sort_values(["cluster_risk", "accounts"], ascending=False)


def reason_counts(entries: pd.DataFrame) -> pd.DataFrame:
    """Accounts per reason code (an account counts once per code it carries)."""
    if entries.empty:
        return pd.DataFrame(columns=["reason", "accounts"])
    exploded = entries[["account_id", "reasons"]].explode("reasons").dropna()
    out = exploded.groupby("reasons")["account_id"].nunique().reset_index()
    out.columns = ["reason", "accounts"]
    return out.sort_values(["accounts", "reason"], ascending=[False, True])


def risk_histogram(entries: pd.DataFrame) -> go.Figure:
    """Accounts by cluster risk (0..1 in 0.05 bins)."""
    risk = entries.get("cluster_risk", pd.Series(dtype=float)).astype(float)
    fig = px.histogram(pd.DataFrame({"cluster risk": risk}), x="cluster risk",
                       range_x=[0, 1], nbins=20)
    fig.update_traces(xbins={"start": 0, "end": 1.0001, "size": 0.05}, marker_color="#c0392b")
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis_title="accounts", bargap=0.05)
    return fig


def reasons_figure(counts: pd.DataFrame) -> go.Figure:
    fig = px.bar(counts, x="accounts", y="reason", orientation="h")
    fig.update_traces(marker_color="#1f77b4")
    fig.update_layout(height=max(220, 26 * len(counts) + 60),
                      margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis={"autorange": "reversed", "title": None})
    return fig


def render(data: BanWaveData, *, generated_at: datetime | None = None) -> str:
    s, entries, diff = data.summary, data.entries, data.diff
    added = int((diff["change"] == "added").sum()) if not diff.empty else None
    dropped = int((diff["change"] == "dropped").sum()) if not diff.empty else None
    protected = entries[entries["org_id"].notna()] if not entries.empty else entries
    head = h.kpis([
        ("accounts", len(entries), ""),
        ("clusters", entries["cluster_id"].nunique() if not entries.empty else 0, ""),
        ("min risk", s.get("min_risk"), ""),
        ("protected skipped", s.get("protected_skipped"), ""),
        ("verified-org included", len(protected), "risk-mid" if len(protected) else ""),
        ("added vs previous", "" if added is None else f"+{added}", ""),
        ("dropped vs previous", "" if dropped is None else (f"-{dropped}" if dropped else "0"), ""),
    ])
    prev = s.get("previous_wave_id")
    diff_body = (
        h.table(diff, empty="no change") if prev
        else '<p class="muted">first wave: nothing to compare with</p>'
    )
    body = "".join([
        h.section("Summary", head),
        h.section("Risk of included accounts", h.figure(risk_histogram(entries), "wave-risk")),
        h.section("Reasons", h.figure(reasons_figure(reason_counts(entries)), "wave-reasons")),
        h.section("Clusters", h.table(clusters_table(entries))),
        h.section("Verified-org accounts included (second look)",
                  h.table(protected, empty="none: no verified-org account is in this wave")),
        h.section(f"Changes against {prev or 'the previous wave'}", diff_body),
        h.section("Review queue: clusters just below the bar, riskiest first "
                  "(graphlink label cluster ID confirm|reject)",
                  h.table(review_table(data.review),
                          empty="none: no cluster of this run is just below the bar")),
        h.section("All entries", h.table(entries)),
    ])
    subtitle = (f"created {h.esc(s.get('created_at'))} · detection run {h.esc(s.get('run_id'))}"
                + (f" · previous {h.esc(prev)}" if prev else ""))
    return h.page(f"Ban wave {s['wave_id']}", subtitle, body,
                  generated_at=generated_at or datetime.now(UTC))


def build_banwave_report(
    store: GraphStore, wave_id: str, *, generated_at: datetime | None = None
) -> str:
    """Read a ban wave and render its report.

    >>> html = build_banwave_report(store, "wave-0002")  # doctest: +SKIP
    """
    return render(read_banwave(store, wave_id), generated_at=generated_at)
