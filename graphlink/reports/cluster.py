"""``graphlink report cluster``: one cluster as a self-contained HTML page.

What an investigator needs to accept or reject a ring at a glance: its risk and
reason codes, a drawing of what ties the accounts together (the shared cards,
IPs, identifiers, proxy providers and similarity links, coloured by kind), the
evidence as tables, and a timeline of sign-ups and IP use (rings sign up in
bursts and run their traffic through the same proxies at the same time).

Reading is one function (:func:`read_cluster`, named statements under
``cypher/internal/report/``); everything after it is pure DataFrame -> figure ->
HTML, so it is testable without a database and the same data always draws the
same picture (the layout is seeded).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from graphlink.errors import NotFound
from graphlink.reports import html as h
from graphlink.store import GraphStore

#: Shared things labelled per kind in the drawing (the most shared ones).
LABELS_PER_KIND = 12

EDGE_COLOURS: dict[str, str] = {
    "PAID_WITH": "rgba(214,39,40,0.45)",
    "USED_IP": "rgba(44,160,44,0.45)",
    "HAS_IDENTIFIER": "rgba(148,103,189,0.5)",
    "VIA_PROVIDER": "rgba(255,127,14,0.6)",
    "SIMILAR_TO": "rgba(31,119,180,0.35)",
}


@dataclass
class ClusterData:
    """Everything the report shows, as read from the store."""

    summary: dict[str, Any]
    accounts: pd.DataFrame
    links: pd.DataFrame
    similarity: pd.DataFrame
    ip_use: pd.DataFrame


def read_cluster(
    store: GraphStore, cluster_id: str, *, run_id: str = "", min_shared: int = 2
) -> ClusterData:
    """Read one cluster (of the current run unless ``run_id``); :class:`NotFound` if absent.

    ``min_shared``: draw only things used by at least that many members (what
    ties the ring together; an IP only one member used explains nothing).
    """
    rows = store.read("report/cluster_summary", cluster_id=cluster_id, run_id=run_id)
    if not rows:
        where = f"run {run_id}" if run_id else "the current detection run"
        raise NotFound(f"no cluster {cluster_id!r} in {where}")
    summary = rows[0]
    key = summary["cluster_key"]
    return ClusterData(
        summary=summary,
        accounts=store.read_df("report/cluster_accounts", cluster_key=key),
        links=store.read_df("report/cluster_links", cluster_key=key, min_shared=min_shared),
        similarity=store.read_df("report/cluster_similarity", cluster_key=key),
        ip_use=store.read_df("report/cluster_ip_use", cluster_key=key),
    )


# -- pure: graph ------------------------------------------------------------------------
def graph_elements(data: ClusterData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (``id, kind, label, hover, size``) and edges (``source, target, kind``)."""
    acc = data.accounts
    nodes = [
        {
            "id": f"Account:{r.account_id}",
            "kind": "Account",
            "label": r.account_id,
            "hover": (
                f"<b>{r.account_id}</b><br>plan {r.plan} · {r.country}<br>created "
                f"{h.text(r.created_at)}<br>risk {h.text(r.account_risk)}"
                + (f"<br>org {r.org_id}" if isinstance(r.org_id, str) else "")
            ),
            "size": 9 + 8 * float(r.account_risk or 0),
        }
        for r in acc.itertuples()
    ]
    edges: list[dict[str, str]] = []
    links = data.links
    if not links.empty:
        things = links.groupby(["kind", "target"], sort=True).agg(
            detail=("detail", "first"),
            provider=("proxy_provider", "first"),
            members=("account_id", "nunique"),
            total=("total_accounts", "first"),
        )
        for (kind, target), t in things.iterrows():
            nodes.append({
                "id": f"{kind}:{target}",
                "kind": kind,
                "label": target,
                "hover": f"<b>{kind} {target}</b><br>{t.detail or ''}<br>{t.members} members · "
                f"{t.total} accounts in all",
                "size": 8 + min(22, 2.5 * float(np.sqrt(t.members))),
            })
        edges += [
            {"source": f"Account:{a}", "target": f"{k}:{t}", "kind": rel}
            for a, k, t, rel in links[["account_id", "kind", "target", "rel"]].itertuples(
                index=False
            )
        ]
        providers = things.reset_index()
        providers = providers[(providers["kind"] == "IP") & providers["provider"].fillna("").ne("")]
        for name in sorted(set(providers["provider"])):
            nodes.append(
                {
                    "id": f"ProxyProvider:{name}",
                    "kind": "ProxyProvider",
                    "label": name,
                    "hover": f"<b>proxy provider {name}</b>",
                    "size": 20.0,
                }
            )
        edges += [
            {"source": f"IP:{ip}", "target": f"ProxyProvider:{p}", "kind": "VIA_PROVIDER"}
            for ip, p in providers[["target", "provider"]].itertuples(index=False)
        ]
    sim = data.similarity
    if not sim.empty:
        edges += [
            {"source": f"Account:{a}", "target": f"Account:{b}", "kind": "SIMILAR_TO"}
            for a, b in sim[["account_a", "account_b"]].drop_duplicates().itertuples(index=False)
        ]
    return (
        pd.DataFrame(nodes, columns=["id", "kind", "label", "hover", "size"]),
        pd.DataFrame(edges, columns=["source", "target", "kind"]),
    )


def layout(nodes: pd.DataFrame, edges: pd.DataFrame, *, seed: int = 7) -> pd.DataFrame:
    """``nodes`` with ``x``/``y``: Kamada-Kawai for small connected drawings,
    Fruchterman-Reingold otherwise (DrL past 1,500 nodes); seeded, so the same
    data always gives the same picture."""
    out = nodes.copy()
    if out.empty:
        return out.assign(x=[], y=[])
    index = {nid: i for i, nid in enumerate(out["id"])}
    pairs = [
        (index[s], index[t])
        for s, t in edges[["source", "target"]].itertuples(index=False)
        if s in index and t in index
    ]
    g = ig.Graph(n=len(out), edges=pairs)
    # Shared things hold a ring together; dense similarity links would pull every
    # account into one ball, so they attract less.
    kinds = [
        k
        for s, t, k in edges[["source", "target", "kind"]].itertuples(index=False)
        if s in index and t in index
    ]
    weights = [0.25 if k == "SIMILAR_TO" else 1.0 for k in kinds]
    start = np.random.default_rng(seed).uniform(-1, 1, size=(len(out), 2)).tolist()
    # igraph draws from its own generator during the layout too: seed it, then restore.
    ig.set_random_number_generator(random.Random(seed))
    try:
        if len(out) > 1500:
            coords = g.layout_drl(seed=start, weights=weights or None).coords
        elif len(out) > 300 or not g.is_connected():
            coords = g.layout_fruchterman_reingold(
                seed=start, niter=800, weights=weights or None
            ).coords
        else:  # small and connected: Kamada-Kawai spreads a dense ring more evenly
            coords = g.layout_kamada_kawai(seed=start, maxiter=50 * len(out)).coords
    finally:
        ig.set_random_number_generator(random)
    xy = np.asarray(coords, dtype=float).reshape(len(out), 2)
    return out.assign(x=xy[:, 0], y=xy[:, 1])


def graph_figure(nodes: pd.DataFrame, edges: pd.DataFrame, *, title: str = "") -> go.Figure:
    """The cluster drawn with plotly: one line trace per link kind, one marker trace per node
    kind."""
    placed = layout(nodes, edges)
    pos = {r.id: (r.x, r.y) for r in placed.itertuples()}
    fig = go.Figure()
    for kind, group in edges.groupby("kind", sort=True):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for s, t in group[["source", "target"]].itertuples(index=False):
            if s in pos and t in pos:
                xs += [pos[s][0], pos[t][0], None]
                ys += [pos[s][1], pos[t][1], None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=str(kind),
                hoverinfo="skip",
                line={
                    "width": 1.2,
                    "color": EDGE_COLOURS.get(str(kind), "#bbb"),
                    "dash": "dot" if kind == "SIMILAR_TO" else "solid",
                },
                legendgroup="links",
            )
        )
    for kind in h.KIND_COLOURS:
        group = placed[placed["kind"] == kind]
        if group.empty:
            continue
        # Label the most shared things of each kind; accounts only in small drawings
        # (hover shows everything).
        if kind == "Account":
            labels = group["label"] if len(placed) <= 40 else pd.Series("", index=group.index)
        else:
            top = group["size"].rank(method="first", ascending=False) <= LABELS_PER_KIND
            labels = group["label"].where(top, "")
        big = len(placed) > 150
        fig.add_trace(
            go.Scatter(
                x=group["x"],
                y=group["y"],
                mode="markers+text",
                name=f"{kind} ({len(group)})",
                text=labels,
                textposition="top center",
                textfont={"size": 9},
                hovertext=group["hover"],
                hoverinfo="text",
                marker={
                    "size": group["size"] * (0.7 if big else 1.0),
                    "color": h.KIND_COLOURS[kind],
                    "line": {"width": 1, "color": "#fff"},
                    "symbol": "circle" if kind == "Account" else "diamond",
                },
                meta={"node_kind": kind},
            )
        )
    fig.update_layout(
        title=title or None,
        height=int(min(1100, 560 + 1.5 * len(placed))),
        showlegend=True,
        plot_bgcolor="#fff",
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"orientation": "h", "y": -0.02},
    )
    return fig


# -- pure: timeline and evidence ----------------------------------------------------------
def timeline_figure(accounts: pd.DataFrame, ip_use: pd.DataFrame) -> go.Figure:
    """Sign-ups (diamonds) and IP use spans (bars, first_seen -> last_seen) per account."""
    order = accounts.assign(created=h.to_timestamps(accounts["created_at"]))
    order = order.sort_values(["created", "account_id"])
    ids = list(order["account_id"])
    if not ip_use.empty:
        use = ip_use.assign(
            start=h.to_timestamps(ip_use["first_seen"]),
            end=h.to_timestamps(ip_use["last_seen"]),
            provider=ip_use["proxy_provider"].fillna("").replace("", "no provider"),
        )
        use["end"] = use["end"].fillna(use["start"])
        use = use.dropna(subset=["start"])
        fig = px.timeline(
            use,
            x_start="start",
            x_end="end",
            y="account_id",
            color="provider",
            hover_data={"ip": True, "requests": True, "provider": True},
            category_orders={"account_id": ids},
        )
        fig.update_traces(opacity=0.6)
    else:
        fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=order["created"],
            y=order["account_id"],
            mode="markers",
            name="account created",
            marker={"symbol": "diamond", "size": 9, "color": "#1d2330"},
            hovertemplate="%{y} created %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(categoryorder="array", categoryarray=ids, autorange="reversed", title=None)
    fig.update_layout(
        height=max(260, min(1600, 22 * len(ids) + 120)),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.12},
    )
    return fig


def shared_things(links: pd.DataFrame) -> pd.DataFrame:
    """One row per shared instrument/IP/identifier: how many members use it, who."""
    if links.empty:
        return pd.DataFrame(
            columns=[
                "kind",
                "id",
                "detail",
                "proxy_provider",
                "members",
                "accounts_in_all",
                "member_sample",
            ]
        )
    g = links.groupby(["kind", "target"], sort=False)
    out = (
        g.agg(
            detail=("detail", "first"),
            proxy_provider=("proxy_provider", "first"),
            members=("account_id", "nunique"),
            accounts_in_all=("total_accounts", "first"),
            member_sample=("account_id", lambda s: sorted(set(s))[:12]),
        )
        .reset_index()
        .rename(columns={"target": "id"})
    )
    return out.sort_values(["members", "kind", "id"], ascending=[False, True, True])


def render(data: ClusterData, *, generated_at: datetime | None = None) -> str:
    """The report page for ``data``."""
    s = data.summary
    nodes, edges = graph_elements(data)
    risk = float(s["risk"] or 0)
    n_banned = int(data.accounts["in_ban_wave"].sum()) if not data.accounts.empty else 0
    n_org = int(data.accounts["org_id"].notna().sum()) if not data.accounts.empty else 0
    head = h.kpis(
        [
            ("risk", f"{risk:.3f}", h.risk_class(risk)),
            ("accounts", int(s["size"] or len(data.accounts)), ""),
            ("shared things drawn", int((nodes["kind"] != "Account").sum()), ""),
            ("similarity links", len(data.similarity), ""),
            ("in a ban wave", n_banned, ""),
            ("verified-org members", n_org, "risk-mid" if n_org else ""),
        ]
    )
    reasons = f"<p>Reasons: {h.chips(s.get('reasons'))}</p>"
    lineage = (
        f'<p class="muted">continues {h.esc(", ".join(s["continues"]))}</p>'
        if s.get("continues")
        else '<p class="muted">new in this run</p>'
    )
    body = "".join(
        [
            h.section("Risk", head + reasons + lineage),
            h.section(
                "What ties the accounts together",
                h.figure(graph_figure(nodes, edges), "cluster-graph")
                + '<p class="muted">Drawn: members and the instruments, IPs and identifiers at '
                "least "
                "two members share; hover for details; drag to zoom. Layout: igraph (Kamada-Kawai "
                "/ Fruchterman-Reingold).</p>",
            ),
            h.section(
                "Shared evidence",
                h.table(
                    shared_things(data.links), empty="no instrument, IP or identifier is shared"
                ),
            ),
            h.section("Similarity links", h.table(data.similarity, empty="no similarity links")),
            h.section(
                "Timeline: sign-ups and IP use",
                h.figure(timeline_figure(data.accounts, data.ip_use), "cluster-timeline"),
            ),
            h.section("Members", h.table(data.accounts)),
        ]
    )
    subtitle = (
        f"run {h.esc(s['run_id'])} ({h.esc(s['run_created_at'])}) · {h.esc(s.get('algorithm'))} "
        f"{h.esc(s.get('objective'))} resolution {h.esc(s.get('resolution'))} seed "
        f"{h.esc(s.get('seed'))}"
    )
    return h.page(
        f"Cluster {s['cluster_id']}", subtitle, body, generated_at=generated_at or datetime.now(UTC)
    )


def build_cluster_report(
    store: GraphStore, cluster_id: str, *, run_id: str = "", generated_at: datetime | None = None
) -> str:
    """Read a cluster and render its report (the CLI writes the string to a file).

    >>> html = build_cluster_report(store, "c-000001")  # doctest: +SKIP
    """
    return render(read_cluster(store, cluster_id, run_id=run_id), generated_at=generated_at)
