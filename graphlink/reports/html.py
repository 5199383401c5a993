"""Shared pieces of the self-contained HTML reports.

Reports are read offline, attached to tickets and opened years later, so a
page must carry everything it needs: plotly.js is inlined once in ``<head>``
(no CDN, no MathJax), CSS is inline, and every value from the database is
HTML-escaped.  Functions here are pure: DataFrames and figures in, strings out.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go

#: Colour of each node kind in graph drawings (and of reason chips).
KIND_COLOURS: dict[str, str] = {
    "Account": "#1f77b4",
    "PaymentInstrument": "#d62728",
    "IP": "#2ca02c",
    "Identifier": "#9467bd",
    "ProxyProvider": "#ff7f0e",
}

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px} header .sub{color:#b8c0cc;font-size:13px;margin-top:4px}
main{padding:18px 28px;max-width:1400px}
section{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:14px 18px;
margin:0 0 18px}
section h2{font-size:16px;margin:0 0 10px}
.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:10px 16px;min-width:120px}
.kpi .v{font-size:22px;font-weight:600} .kpi .l{font-size:12px;color:#5b6473}
.risk-high{color:#c0392b} .risk-mid{color:#d68910} .risk-low{color:#1e8449}
.chip{display:inline-block;background:#eef1f5;border-radius:10px;padding:2px 9px;margin:2px;
font-size:12px}
table.data{border-collapse:collapse;width:100%;font-size:12.5px}
table.data th{background:#eef1f5;text-align:left;padding:5px 7px;position:sticky;top:0}
table.data td{border-top:1px solid #eceef2;padding:4px 7px;vertical-align:top}
.scroll{max-height:460px;overflow:auto}
.muted{color:#5b6473;font-size:12px}
footer{color:#5b6473;font-size:12px;padding:0 28px 24px}
"""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the Python package (inlined, ~4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def esc(value: Any) -> str:
    return html.escape(text(value))


def text(value: Any) -> str:
    """Human text of a cell: temporals as ``YYYY-MM-DD HH:MM``, lists joined."""
    if value is None:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return ""
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v) for v in value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def to_timestamps(values: Iterable[Any]) -> pd.Series:
    """Neo4j temporals (or anything pandas reads) as a tz-aware UTC datetime Series."""
    native = [v.to_native() if hasattr(v, "to_native") else v for v in values]
    return pd.Series(pd.to_datetime(native, utc=True, errors="coerce"))


def risk_class(risk: float | None) -> str:
    if risk is None or pd.isna(risk):
        return ""
    return "risk-high" if risk >= 0.8 else "risk-mid" if risk >= 0.5 else "risk-low"


def chips(codes: Sequence[str] | None) -> str:
    return "".join(f'<span class="chip">{esc(c)}</span>' for c in (codes or []))


def kpis(items: Sequence[tuple[str, Any, str]]) -> str:
    """Key figures: ``(label, value, css class)`` boxes."""
    boxes = "".join(
        f'<div class="kpi"><div class="v {cls}">{esc(v)}</div><div '
        f'class="l">{esc(label)}</div></div>'
        for label, v, cls in items
    )
    return f'<div class="kpis">{boxes}</div>'


def table(df: pd.DataFrame, *, columns: Sequence[str] | None = None, empty: str = "none") -> str:
    """An escaped HTML table (lists joined, temporals formatted); scrolls when long."""
    if df.empty:
        return f'<p class="muted">{esc(empty)}</p>'
    cols = list(columns or df.columns)
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(row[c])}</td>" for c in cols) + "</tr>"
        for row in df[cols].to_dict(orient="records")
    )
    return (
        f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def figure(fig: go.Figure, div_id: str) -> str:
    """A figure's div + script; plotly.js itself comes once from :func:`page`."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=_PLOTLY_CONFIG,
    )


def section(title: str, body: str) -> str:
    return f"<section><h2>{esc(title)}</h2>{body}</section>"


def page(title: str, subtitle: str, body: str, *, generated_at: datetime) -> str:
    """A complete, self-contained HTML document."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style>"
        f'<script type="text/javascript">{plotly_js()}</script>'
        "</head><body>"
        f'<header><h1>{esc(title)}</h1><div class="sub">{subtitle}</div></header>'
        f"<main>{body}</main>"
        f"<footer>generated by graphlink at {esc(generated_at.strftime('%Y-%m-%d %H:%M UTC'))}"
        " &middot; self-contained: works offline</footer>"
        "</body></html>\n"
    )
