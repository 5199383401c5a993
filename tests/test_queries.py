"""Saved investigator queries: documented, typed, index-backed, and right on a planted graph.

The planted graph (``tests/planted_graph.py``) has known answers: ring
``r01..r08`` + verified-org ``v01`` share a prepaid card and SwiftProxy IPs, a
second ring ``s01..s04`` is bridged to it by one IP, a new signup ``n01`` uses a
ring proxy IP, two detection runs (the second merging two clusters), a running
third run that must be ignored, and two ban waves.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphlink import browser_guide, cypher_files, queries
from graphlink.errors import InputError, NotFound
from graphlink.reports.screenshot import find_chromium
from graphlink.store import GraphStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
import planted_graph as pg  # noqa: E402
from conftest import fresh_statistics, wipe  # noqa: E402

REQUIRED = {
    "cluster_members", "account_neighbourhood", "linking_path", "proxy_provider_accounts",
    "shared_payment_instruments", "new_signups_near_risky_clusters", "cluster_history",
    "banwave_entry_evidence", "protected_in_banwave", "bridge_ips", "top_risky_clusters",
    "account_profile",
}

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH (Debian: apt-get install chromium; `make setup` does it)",
)

#: Parameters that make each query answer on the planted graph.
PARAMS: dict[str, dict[str, str]] = {
    "account_neighbourhood": {"account_id": "r01"},
    "account_profile": {"account_id": "r01"},
    "banwave_changes": {"wave_id": "wave-0002"},
    "banwave_entry_evidence": {"wave_id": "wave-0002", "account_id": "r01"},
    "bridge_ips": {},
    "cluster_history": {"cluster_id": "c-000001"},
    "cluster_members": {"cluster_id": "c-000001"},
    "identifier_accounts": {"kind": "device", "value": "dev-ring-1"},
    "ip_accounts": {"ip": "203.0.113.10"},
    "linking_path": {"account_a": "r01", "account_b": "r08", "include_similarity": "false"},
    "new_signups_near_risky_clusters": {"since": "2026-11-19"},
    "protected_in_banwave": {"wave_id": "wave-0002"},
    "proxy_provider_accounts": {"provider": pg.PROVIDER},
    "shared_payment_instruments": {},
    "similar_accounts": {"account_id": "r02"},
    "top_risky_clusters": {},
}

# -- documentation and parameters (no database) ---------------------------------------
def test_at_least_the_required_queries_exist() -> None:
    names = set(queries.saved())
    assert REQUIRED <= names, f"missing: {sorted(REQUIRED - names)}"
    assert set(PARAMS) == names, "every saved query needs a case in PARAMS (and so a test)"


@pytest.mark.parametrize("name", sorted(cypher_files.saved_queries()))
def test_query_file_is_documented_and_params_match(name: str) -> None:
    cf = cypher_files.saved_queries()[name]
    q = queries.from_file(cf)
    assert cf.header.get("name") == name, "// name: must equal the file name"
    assert q.description and len(q.description) < 200 and q.description.endswith((".", ")"))
    assert set(cf.declared_params) == set(cf.used_params), (
        f"{name}: declared {sorted(cf.declared_params)} but uses {sorted(cf.used_params)}"
    )
    assert [p.name for p in q.params] == list(cf.declared_params)
    assert q.example.startswith(f"graphlink query {name}"), "// example: shows a CLI call"
    assert q.anchor, "// anchor: names the index the plan starts from (or none (why))"
    assert q.anchors or "(" in q.anchor, "an unanchored query says why"
    # the example's parameters are exactly enough to run it
    example_params = queries.parse_assignments(q.example.split(" --param ")[1:])
    queries.bind(q.params, example_params, query=name)


def test_param_spec_parsing_with_types_and_defaults() -> None:
    spec = queries.parse_params('$account_id: string, $k: int = 2, $on: bool = true, '
                                '$since: datetime = 2026-01-01, $s: string = "", $x: float = 0.5')
    assert [(p.name, p.type, p.required) for p in spec] == [
        ("account_id", "string", True), ("k", "int", False), ("on", "bool", False),
        ("since", "datetime", False), ("s", "string", False), ("x", "float", False),
    ]
    assert spec[1].default == 2 and spec[2].default is True and spec[4].default == ""
    assert spec[3].default == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="unknown type"):
        queries.parse_params("$a: widget")


def test_bind_coerces_fills_defaults_and_names_missing_params() -> None:
    spec = queries.parse_params("$account_id: string, $k: int = 2, $on: bool = false, $t: datetime")
    got = queries.bind(spec, {"account_id": "a-1", "k": "4", "on": "yes", "t": "2026-11-02T10:00"})
    assert got == {"account_id": "a-1", "k": 4, "on": True,
                   "t": datetime(2026, 11, 2, 10, tzinfo=UTC)}
    with pytest.raises(InputError, match=r"needs parameter \$t \(datetime\)"):
        queries.bind(spec, {"account_id": "a-1"}, query="q")
    with pytest.raises(InputError, match=r"must be a int"):
        queries.bind(spec, {"account_id": "a", "k": "two", "t": "now"})
    with pytest.raises(InputError, match=r"has no parameter \$kk"):
        queries.bind(spec, {"account_id": "a", "kk": "2", "t": "now"})
    week_ago = queries.coerce("now-7d", "datetime")
    assert abs((datetime.now(UTC) - week_ago) - timedelta(days=7)) < timedelta(seconds=5)
    with pytest.raises(NotFound, match="did you mean cluster_members"):
        queries.get("cluster_membres")


# -- every query against the planted graph ----------------------------------------------
@pytest.fixture(scope="module")
def planted(session_store: GraphStore) -> Iterator[GraphStore]:
    wipe(session_store)
    pg.plant(session_store)
    fresh_statistics(session_store)
    yield session_store


def run(store: GraphStore, name: str, **override: str) -> list[dict[str, object]]:
    return queries.records(queries.run(store, name, {**PARAMS[name], **override}))


def test_cluster_members_returns_the_planted_ring_of_the_current_run(planted: GraphStore) -> None:
    rows = run(planted, "cluster_members")
    assert {r["account_id"] for r in rows} == {*pg.RING, pg.PROTECTED}
    assert {r["run_id"] for r in rows} == {"run-2"}  # run-3 is still running: ignored
    r01 = next(r for r in rows if r["account_id"] == "r01")
    assert f"PaymentInstrument:{pg.PREPAID} (8)" in r01["shares"]
    assert r01["similarity_signals"] == ["prompt_template"]
    older = run(planted, "cluster_members", run_id="run-1")
    assert {r["account_id"] for r in older} == set(pg.RING[:5])


def test_neighbourhood_grows_with_k_and_skips_hubs(planted: GraphStore) -> None:
    k2 = run(planted, "account_neighbourhood")
    accounts2 = {r["id"] for r in k2 if r["kind"] == "Account"}
    assert {*pg.RING[1:], pg.PROTECTED, pg.NEW_RISKY} <= accounts2
    assert not set(pg.RING2) & accounts2
    assert max(r["hops"] for r in k2) <= 2
    k4 = run(planted, "account_neighbourhood", k="4")
    accounts4 = {r["id"] for r in k4 if r["kind"] == "Account"}
    assert "s01" in accounts4  # r05 -> bridge IP -> s01 is 4 hops from r01 via the card
    narrow = run(planted, "account_neighbourhood", k="4", max_fanout="5")
    assert "s01" not in {r["id"] for r in narrow}  # the card (9 accounts) is not expanded


def test_linking_path_goes_through_the_shared_card(planted: GraphStore) -> None:
    rows = run(planted, "linking_path")
    assert [r["id"] for r in rows] == ["r01", pg.PREPAID, "r08"]
    assert rows[0]["next_link"] == "PAID_WITH" and rows[1]["detail"] == "prepaid"
    with_similarity = run(planted, "linking_path", account_b="r02", include_similarity="true")
    assert [r["next_link"] for r in with_similarity][0] == "SIMILAR_TO"
    assert run(planted, "linking_path", account_b="b01") == []  # not linked within 8 hops


def test_proxy_provider_accounts(planted: GraphStore) -> None:
    rows = run(planted, "proxy_provider_accounts")
    assert {r["account_id"] for r in rows} == {*pg.RING, pg.PROTECTED, pg.NEW_RISKY}
    n01 = next(r for r in rows if r["account_id"] == pg.NEW_RISKY)
    assert n01["cluster_id"] is None and n01["requests"] == 400
    assert run(planted, "proxy_provider_accounts", provider="NoSuchProxy") == []


def test_shared_payment_instruments(planted: GraphStore) -> None:
    rows = run(planted, "shared_payment_instruments")
    assert [r["instrument_id"] for r in rows] == [pg.PREPAID, "pi-shared-2", "pi-family"]
    assert rows[0]["n_accounts"] == 9
    prepaid = run(planted, "shared_payment_instruments", kind="prepaid", min_accounts="5")
    assert [r["instrument_id"] for r in prepaid] == [pg.PREPAID]
    assert run(planted, "shared_payment_instruments", min_accounts="10") == []


def test_new_signups_near_risky_clusters(planted: GraphStore) -> None:
    rows = run(planted, "new_signups_near_risky_clusters")
    assert [(r["account_id"], r["cluster_id"]) for r in rows] == [(pg.NEW_RISKY, "c-000001")]
    assert rows[0]["via"] == ["IP:203.0.113.10"]
    assert run(planted, "new_signups_near_risky_clusters", min_risk="0.95") == []
    assert run(planted, "new_signups_near_risky_clusters", since="2026-11-21") == []


def test_cluster_history_shows_the_merge(planted: GraphStore) -> None:
    rows = run(planted, "cluster_history")
    events = [(r["run_id"], r["cluster_id"], r["event"]) for r in rows]
    assert events == [
        ("run-1", "c-000001", "new"),
        ("run-1", "c-000003", "new"),
        ("run-2", "c-000001", "merged"),
    ]
    assert rows[0]["continued_by"] == ["run-2/c-000001"]


def test_banwave_entry_evidence(planted: GraphStore) -> None:
    rows = run(planted, "banwave_entry_evidence")
    evidence = {(r["evidence_kind"], r["evidence"]): r for r in rows}
    assert evidence[("PaymentInstrument", pg.PREPAID)]["shared_with"] == 8
    assert evidence[("IP", "203.0.113.10")]["detail"] == pg.PROVIDER
    assert ("Identifier", "device:dev-ring-1") in evidence
    assert ("SIMILAR_TO", "prompt_template") in evidence
    assert {r["cluster_risk"] for r in rows} == {0.93}
    assert run(planted, "banwave_entry_evidence", account_id="b01") == []


def test_protected_in_banwave(planted: GraphStore) -> None:
    rows = run(planted, "protected_in_banwave")
    assert [(r["account_id"], r["org_id"]) for r in rows] == [(pg.PROTECTED, "org-acme")]
    assert run(planted, "protected_in_banwave", wave_id="wave-0001") == []


def test_bridge_ips(planted: GraphStore) -> None:
    rows = run(planted, "bridge_ips")
    assert [(r["ip"], sorted(r["clusters"])) for r in rows] == [
        (pg.BRIDGE_IP, ["c-000001", "c-000002"])]
    assert sorted(rows[0]["accounts"]) == ["r05", "s01"]


def test_top_risky_clusters(planted: GraphStore) -> None:
    rows = run(planted, "top_risky_clusters")
    assert [(r["cluster_id"], r["risk"]) for r in rows] == [("c-000001", 0.93), ("c-000002", 0.55)]
    assert rows[0]["members_in_ban_waves"] == 9 and rows[0]["verified_org_members"] == 1
    assert [r["cluster_id"] for r in run(planted, "top_risky_clusters", min_risk="0.9")] == [
        "c-000001"]


def test_account_profile(planted: GraphStore) -> None:
    (row,) = run(planted, "account_profile")
    assert row["payment_instruments"] == [f"{pg.PREPAID} prepaid (9 accounts)"]
    assert len(row["ips"]) == 2 and all(pg.PROVIDER in ip for ip in row["ips"])
    assert row["identifiers"] == ["device:dev-ring-1 (3 accounts)"]
    assert row["clusters"] == [  # newest run first, with its status
        "run-3/c-000001 risk 0.1 (running)",
        "run-2/c-000001 risk 0.93 (complete)",
        "run-1/c-000001 risk 0.8 (complete)",
    ]
    assert row["ban_waves"] == ["wave-0001 c-000001", "wave-0002 c-000001"]
    assert run(planted, "account_profile", account_id="nobody") == []


def test_identifier_ip_and_similarity_lookups(planted: GraphStore) -> None:
    assert [r["account_id"] for r in run(planted, "identifier_accounts")] == pg.RING[:3]
    ip_rows = run(planted, "ip_accounts", ip=pg.BRIDGE_IP)
    assert {(r["account_id"], r["cluster_id"]) for r in ip_rows} == {
        ("r05", "c-000001"), ("s01", "c-000002")}
    assert [r["account_id"] for r in run(planted, "similar_accounts")] == ["r03", "r01"]
    assert run(planted, "similar_accounts", signal="timing_sync") == []


def test_banwave_changes(planted: GraphStore) -> None:
    rows = run(planted, "banwave_changes")
    assert {(r["change"], r["account_id"]) for r in rows} == {
        ("added", a) for a in [*pg.RING[5:], pg.PROTECTED]}
    assert {r["previous_wave"] for r in rows} == {"wave-0001"}


# -- plans: anchored queries start from an index --------------------------------------------


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_plan_starts_from_the_declared_anchor(planted: GraphStore, name: str) -> None:
    q = queries.get(name)
    ops = queries.explain(planted, name, PARAMS[name])
    leaves = [op for op in ops if "Seek" in op or "Scan" in op]
    assert queries.plan_problems(ops, q.anchors) == [], leaves


def test_every_anchored_query_pins_its_anchor_with_a_hint() -> None:
    """The planner may pick another start on small or skewed graphs (CI saw
    ``ip_accounts`` expand from the run subquery once); a ``USING INDEX`` hint on a
    declared anchor makes the plan the same on every graph."""
    import re

    for name, q in queries.saved().items():
        hinted = {f"{label}({prop})" for label, prop in
                  re.findall(r"USING INDEX \w+:(\w+)\((\w+)\)", q.body)}
        assert not q.anchors or hinted & set(q.anchors), (name, q.anchors, hinted)


def test_plan_check_can_fail(planted: GraphStore) -> None:
    ops = queries.explain(planted, "shared_payment_instruments", {})
    assert queries.plan_problems(ops, ("PaymentInstrument(instrument_id)",)) == [
        "no index seek on PaymentInstrument(instrument_id)"]
    scan = ["NodeByLabelScan@neo4j a:Account"]
    assert queries.plan_problems(scan, ()) == scan


# -- CLI ----------------------------------------------------------------------------------
def _cli() -> object:
    from graphlink.cli import app

    return app


def test_cli_list_shows_every_query() -> None:
    result = CliRunner().invoke(_cli(), ["query", "--list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for name, q in queries.saved().items():
        assert name in result.output
    assert "Members of a cluster" in result.output


def test_cli_formats(planted: GraphStore, env_for_cli: dict[str, str]) -> None:
    runner = CliRunner()
    out = runner.invoke(_cli(), ["query", "linking_path", "-p", "account_a=r01", "-p",
                                 "account_b=r08", "-p", "include_similarity=false",
                                 "--format", "csv"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0] == "step,kind,id,detail,next_link,signal,hops"
    assert lines[2].startswith(f"1,PaymentInstrument,{pg.PREPAID},prepaid,PAID_WITH")
    out = runner.invoke(_cli(), ["query", "cluster_members", "--param", "cluster_id=c-000001",
                                 "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["account_id"] for r in rows} == {*pg.RING, pg.PROTECTED}
    assert rows[0]["created_at"].startswith("2026-11-01T")
    out = runner.invoke(_cli(), ["query", "top_risky_clusters"], env={"COLUMNS": "250"})
    assert out.exit_code == 0 and "c-000001" in out.output and "0.93" in out.output


def test_cli_missing_parameter_says_which(env_for_cli: dict[str, str]) -> None:
    exe = Path(sys.executable).parent / "graphlink"
    proc = subprocess.run(
        [str(exe), "query", "linking_path", "--param", "account_a=r01"],
        capture_output=True, text=True, env={**os.environ, **env_for_cli, "COLUMNS": "200"},
        timeout=60,
    )
    assert proc.returncode == 2
    assert "needs parameter $account_b" in proc.stdout + proc.stderr


# -- Neo4j Browser guide ----------------------------------------------------------------------
def test_committed_browser_guide_is_up_to_date() -> None:
    assert browser_guide.GUIDE_FILE.read_text() == browser_guide.current_guide(), (
        "cypher/browser-guide.html is stale: run `graphlink browser-guide --out "
        "cypher/browser-guide.html`")


def test_guide_has_a_runnable_slide_per_query() -> None:
    page = browser_guide.current_guide()
    saved = queries.saved()
    assert page.count("<slide ") == len(saved) + 1  # + the index slide
    for name, q in saved.items():
        assert f'<slide class="row-fluid" id="{name}">' in page
        assert f'<pre class="pre-scrollable code runnable">{html.escape(q.body)}</pre>' in page


def test_guide_params_blocks_are_valid_cypher_and_run(planted: GraphStore) -> None:
    """Each slide's ``:params`` map evaluates in Neo4j and runs its query."""
    for name, q in queries.saved().items():
        if not q.params:
            continue
        command = browser_guide.params_command(q)
        assert command.startswith(":params {")
        (row,) = planted.query("RETURN " + command.removeprefix(":params ") + " AS p",
                               name=f"tests/guide/{name}")
        assert set(row["p"]) == {p.name for p in q.params}
        planted.query(q.body, row["p"], name=f"queries/{name}")  # no error, right types


@needs_chromium
def test_guide_plays_in_the_neo4j_browser(planted: GraphStore, neo4j_server: object) -> None:
    """Real Neo4j Browser (served by the test server): :play the guide, run one slide."""
    if neo4j_server is None:
        pytest.skip("external test Neo4j: its Browser is not ours to drive")
    from playwright.sync_api import sync_playwright

    from graphlink.neo4j_local import free_port

    port = free_port()
    server = browser_guide.serve(port, background=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(neo4j_server.browser_url)  # type: ignore[attr-defined]
            page.wait_for_selector("[data-testid=boltaddress]", timeout=60_000)
            page.select_option("[data-testid=bolt-scheme-select]", "bolt://")
            page.fill("[data-testid=boltaddress]", f"127.0.0.1:{neo4j_server.bolt_port}")  # type: ignore[attr-defined]
            page.fill("[data-testid=username]", "neo4j")
            page.fill("[data-testid=password]", neo4j_server.password())  # type: ignore[attr-defined]
            page.click("[data-testid=connect]")
            page.wait_for_selector("text=neo4j$", timeout=30_000)
            page.locator("[data-testid=activeEditor] textarea").first.focus()
            page.keyboard.type(browser_guide.play_command(port))
            page.keyboard.press("Enter")
            guide = page.locator("[data-testid=frame]:has([data-testid=carousel])")
            guide.locator("h3:has-text('graphlink saved queries')").wait_for(timeout=30_000)
            target = sorted(queries.saved()).index("cluster_members") + 1
            for _ in range(target):
                guide.locator("[data-testid=nextSlide]").click()
            guide.locator("h3:has-text('cluster_members')").wait_for()
            blocks = guide.locator("pre.runnable:visible")
            assert blocks.count() == 2
            for i in range(2):  # the :params block, then the query
                blocks.nth(i).click()
                page.click("[data-testid=editor-Run]")
                page.wait_for_timeout(1500)
            result = page.locator("[data-testid=frame]").first
            result.locator("text=Started streaming 9 records").wait_for(timeout=30_000)
            text = result.inner_text()
            assert '"r01"' in text and '"run-2"' in text and '"v01"' in text
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name, indexes", [
    ("api/index_flagged_ips", ["IP(is_datacenter)", "IP(proxy_provider)"]),
    ("api/index_domain_totals", ["Account(email_domain)"]),
])
def test_snapshot_reads_go_through_their_indexes(planted: GraphStore, name: str,
                                                 indexes: list[str]) -> None:
    """The API snapshot's flagged-IP and domain-total reads use the schema's indexes
    (at 10M accounts a label scan of every IP or account cost 24 s and 9 s), chosen by
    the planner, not by a hint that would fail on a store whose schema predates them."""
    from graphlink import cypher_files

    body = cypher_files.internal(name)
    assert "USING INDEX" not in body
    ops = queries.plan_of(planted, body, {"run_id": "run-x"}, label=name)
    for index in indexes:
        assert any("Index" in op and index in op for op in ops), (index, ops)
    assert not any(op.startswith(("NodeByLabelScan", "AllNodesScan")) for op in ops), ops
