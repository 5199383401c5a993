"""HTML reports: built from the real Neo4j, opened in real headless Chromium.

Chromium checks that a page throws no console error, requests nothing from the
network (self-contained), and that plotly actually drew the cluster graph with
the planted ring's accounts and shared things.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from graphlink.errors import NotFound
from graphlink.reports import banwave as wave_report
from graphlink.reports import cluster as cluster_report
from graphlink.reports import screenshot
from graphlink.store import GraphStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
import planted_graph as pg  # noqa: E402
from conftest import wipe  # noqa: E402

CHROMIUM = screenshot.find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH (Debian: apt-get install chromium; `make setup` does it)",
)


@pytest.fixture(scope="module")
def planted(session_store: GraphStore) -> Iterator[GraphStore]:
    wipe(session_store)
    pg.plant(session_store)
    yield session_store


@pytest.fixture(scope="module")
def reports(planted: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    paths = {
        "cluster": out / "cluster.html",
        "banwave": out / "banwave.html",
        "first_wave": out / "wave1.html",
    }
    paths["cluster"].write_text(cluster_report.build_cluster_report(planted, "c-000001"))
    paths["banwave"].write_text(wave_report.build_banwave_report(planted, "wave-0002"))
    paths["first_wave"].write_text(wave_report.build_banwave_report(planted, "wave-0001"))
    return paths


# -- pure pieces -------------------------------------------------------------------------
def _tiny() -> cluster_report.ClusterData:
    accounts = pd.DataFrame({
        "account_id": ["a", "b", "c"], "created_at": pd.to_datetime(
            ["2026-11-01", "2026-11-02", "2026-11-02"], utc=True),
        "plan": ["free"] * 3, "country": ["SG"] * 3, "org_id": [None, None, "org-1"],
        "account_risk": [0.9, 0.8, 0.7], "in_ban_wave": [True, False, False],
    })
    links = pd.DataFrame({
        "account_id": ["a", "b", "c", "a", "b"], "rel": ["PAID_WITH"] * 3 + ["USED_IP"] * 2,
        "kind": ["PaymentInstrument"] * 3 + ["IP"] * 2,
        "target": ["card-1"] * 3 + ["10.0.0.1"] * 2, "detail": ["prepaid"] * 3 + ["datacenter"] * 2,
        "proxy_provider": [None] * 3 + ["P1"] * 2, "total_accounts": [3, 3, 3, 7, 7],
    })
    sim = pd.DataFrame({"account_a": ["a"], "account_b": ["c"], "signal": ["timing_sync"],
                        "score": [0.8]})
    return cluster_report.ClusterData({}, accounts, links, sim, pd.DataFrame())


def test_graph_elements_and_seeded_layout() -> None:
    nodes, edges = cluster_report.graph_elements(_tiny())
    assert sorted(nodes["id"]) == sorted(["Account:a", "Account:b", "Account:c",
                                          "PaymentInstrument:card-1", "IP:10.0.0.1",
                                          "ProxyProvider:P1"])
    assert edges["kind"].value_counts().to_dict() == {
        "PAID_WITH": 3, "USED_IP": 2, "VIA_PROVIDER": 1, "SIMILAR_TO": 1}
    one = cluster_report.layout(nodes, edges)
    two = cluster_report.layout(nodes, edges)
    assert one[["x", "y"]].equals(two[["x", "y"]])  # same data, same picture
    assert one[["x", "y"]].notna().all().all() and one["x"].nunique() == len(one)
    fig = cluster_report.graph_figure(nodes, edges)
    node_traces = {t.meta["node_kind"]: len(t.x) for t in fig.data if t.meta}
    assert node_traces == {"Account": 3, "PaymentInstrument": 1, "IP": 1, "ProxyProvider": 1}


def test_evidence_tables_and_wave_aggregates() -> None:
    shared = cluster_report.shared_things(_tiny().links)
    assert list(shared["id"]) == ["card-1", "10.0.0.1"]
    assert list(shared["members"]) == [3, 2]
    entries = pd.DataFrame({
        "account_id": ["a", "b", "c"], "cluster_id": ["c1", "c1", "c2"],
        "cluster_risk": [0.9, 0.9, 0.75], "reasons": [["shared_ip", "signup_burst"],
                                                       ["shared_ip"], ["shared_payment"]],
        "org_id": [None, "org-1", None],
    })
    clusters = wave_report.clusters_table(entries)
    assert clusters[["cluster_id", "accounts", "verified_org_accounts"]].values.tolist() == [
        ["c1", 2, 1], ["c2", 1, 0]]
    assert wave_report.reason_counts(entries).values.tolist() == [
        ["shared_ip", 2], ["shared_payment", 1], ["signup_burst", 1]]


# -- built from Neo4j --------------------------------------------------------------------------
def test_cluster_report_content(reports: dict[str, Path]) -> None:
    page = reports["cluster"].read_text()
    assert page.startswith("<!DOCTYPE html>")
    for account in [*pg.RING, pg.PROTECTED]:
        assert f">{account}<" in page
    assert pg.PREPAID in page and pg.PROVIDER in page and "prompt_template" in page
    assert "0.93" in page and "run-1/c-000001" in page  # risk and lineage
    # nothing to fetch (Chromium checks too)
    assert "<script src=" not in page and "<link " not in page


def test_banwave_report_content(reports: dict[str, Path]) -> None:
    page = reports["banwave"].read_text()
    assert "Ban wave wave-0002" in page and "previous wave-0001" in page
    assert "org-acme" in page  # the verified-org account is called out
    assert page.count(">added<") == 4  # r06, r07, r08, v01 are new against wave-0001
    first = reports["first_wave"].read_text()
    assert "first wave: nothing to compare with" in first


def test_missing_cluster_and_wave_are_not_found(planted: GraphStore) -> None:
    with pytest.raises(NotFound, match="c-999999"):
        cluster_report.build_cluster_report(planted, "c-999999")
    with pytest.raises(NotFound, match="wave-9999"):
        wave_report.build_banwave_report(planted, "wave-9999")
    assert wave_report.read_banwave(planted, "latest").summary["wave_id"] == "wave-0002"
    older = cluster_report.read_cluster(planted, "c-000001", run_id="run-1")
    assert sorted(older.accounts["account_id"]) == pg.RING[:5]


def test_cli_writes_reports(
    planted: GraphStore, env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    from graphlink.cli import app

    out = tmp_path / "sub" / "c.html"
    result = CliRunner().invoke(app, ["report", "cluster", "c-000001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1_000_000 and "Cluster c-000001" in out.read_text()
    out2 = tmp_path / "w.html"
    result = CliRunner().invoke(app, ["report", "banwave", "wave-0002", "-o", str(out2)])
    assert result.exit_code == 0, result.output
    assert "Ban wave wave-0002" in out2.read_text()


# -- in a real browser ---------------------------------------------------------------------
@needs_chromium
def test_cluster_report_renders_in_chromium(reports: dict[str, Path], tmp_path: Path) -> None:
    png = tmp_path / "cluster-report.png"
    check = screenshot.render(reports["cluster"], png)
    assert check.console_errors == []
    assert check.blocked_requests == []  # self-contained: no request left the file
    graph = next(p for p in check.plots if p["id"] == "cluster-graph")
    nodes = {t["kind"]: t["points"] for t in graph["traces"] if t["kind"]}
    assert nodes == {
        "Account": 9,
        "PaymentInstrument": 1,
        "IP": 4,
        "Identifier": 1,
        "ProxyProvider": 1,
    }
    assert graph["svg_points"] >= 16  # the markers are really in the SVG
    timeline = next(p for p in check.plots if p["id"] == "cluster-timeline")
    assert sum(t["points"] for t in timeline["traces"]) > 9
    assert png.stat().st_size > 20_000


@needs_chromium
def test_banwave_report_renders_in_chromium(reports: dict[str, Path], tmp_path: Path) -> None:
    check = screenshot.render(reports["banwave"], tmp_path / "banwave-report.png")
    assert check.console_errors == [] and check.blocked_requests == []
    ids = {p["id"] for p in check.plots}
    assert ids == {"wave-risk", "wave-reasons"}
    hist = next(p for p in check.plots if p["id"] == "wave-risk")
    assert hist["traces"][0]["points"] == 9 and hist["svg_points"] >= 1


@needs_chromium
def test_browser_check_sees_errors_and_network(tmp_path: Path) -> None:
    """The check itself can fail: a CDN script and a throwing script are both caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html><head><script src="https://cdn.plot.ly/plotly-2.0.0.min.js"></script>'
        "</head><body><script>undefinedFunction()</script></body></html>"
    )
    check = screenshot.render(bad)
    assert any("cdn.plot.ly" in u for u in check.blocked_requests)
    assert any("undefinedFunction" in e for e in check.console_errors)


def test_drawing_of_a_few_hundred_nodes_stays_readable() -> None:
    """300 accounts around 40 shared things: laid out fast, few labels, sized to fit."""
    import time

    rng = np.random.default_rng(3)
    n_acc, n_things = 300, 40
    accounts = pd.DataFrame(
        {
            "account_id": [f"a{i:03d}" for i in range(n_acc)],
            "created_at": pd.to_datetime(["2026-11-01"] * n_acc, utc=True),
            "plan": "free",
            "country": "SG",
            "org_id": None,
            "account_risk": 0.9,
            "in_ban_wave": False,
        }
    )
    owner = rng.integers(0, n_acc, size=900)
    thing = rng.integers(0, n_things, size=900)
    links = pd.DataFrame(
        {
            "account_id": [f"a{i:03d}" for i in owner],
            "rel": "USED_IP",
            "kind": "IP",
            "target": [f"10.0.0.{t}" for t in thing],
            "detail": "datacenter",
            "proxy_provider": "P",
            "total_accounts": 30,
        }
    ).drop_duplicates(["account_id", "target"])
    data = cluster_report.ClusterData(
        {},
        accounts,
        links,
        pd.DataFrame(columns=["account_a", "account_b", "signal", "score"]),
        pd.DataFrame(),
    )
    nodes, edges = cluster_report.graph_elements(data)
    t = time.perf_counter()
    fig = cluster_report.graph_figure(nodes, edges)
    assert time.perf_counter() - t < 20
    texts = {t.meta["node_kind"]: [x for x in t.text if x] for t in fig.data if t.meta}
    assert len(texts["IP"]) == cluster_report.LABELS_PER_KIND and texts["Account"] == []
    assert fig.layout.height > 640
