"""Ban waves against a real Neo4j: selection, protection, commit, CSV, diff, dry run.

Each test writes its own small detection graph (following docs/graph-model.md)
with parameterised Cypher:

* cluster ``c-000001`` (risk 0.95): ``a01..a06`` + verified-org ``v01``; they
  share prepaid card ``pi-1`` and proxy IP 203.0.113.10 (provider SwiftProxy);
  ``a01`` carries its own reasons, the others fall back to the cluster's;
* cluster ``c-000002`` (risk 0.99): ``b01..b03`` + verified-org ``v02`` (above
  the 0.98 verified-org bar, so banned) sharing device ``dev-b``;
* cluster ``c-000003`` (risk 0.40): ``l01..l03``, below every bar;
* cluster ``c-000004`` (risk 0.90) with no reasons anywhere: ``n01, n02`` are
  skipped, never banned without a reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphlink import banwave_store as bws
from graphlink.banwave import (
    SKIP_ALLOWLIST,
    SKIP_NO_REASON,
    SKIP_OWN_DOMAIN_ORG,
    SKIP_VERIFIED_ORG,
    SKIP_WEAK_TIE,
    WaveParams,
    diff_waves,
    read_wave_csv,
    select_wave,
    wave_csv_frame,
)
from graphlink.errors import InputError, NotFound
from graphlink.store import GraphStore

T0 = datetime(2026, 11, 1, tzinfo=UTC)
RING_A = [f"a0{i}" for i in range(1, 7)]
RING_B = ["b01", "b02", "b03"]
LOW = ["l01", "l02", "l03"]
NOREASON = ["n01", "n02"]
ORGS = {"v01": "org-acme", "v02": "org-beta"}

_ACCOUNTS = """
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a.created_at = row.created_at, a.org_id = row.org_id, a.plan = 'free', a.status = 'active'
WITH a, row WHERE row.org_id IS NOT NULL
MERGE (o:Org {org_id: row.org_id})
MERGE (a)-[:IN_ORG]->(o)
"""
_LINKS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
FOREACH (_ IN CASE WHEN row.kind = 'card' THEN [1] ELSE [] END |
  MERGE (p:PaymentInstrument {instrument_id: row.value}) SET p.kind = 'prepaid'
  MERGE (a)-[:PAID_WITH {first_seen: row.t}]->(p))
FOREACH (_ IN CASE WHEN row.kind = 'ip' THEN [1] ELSE [] END |
  MERGE (i:IP {ip: row.value}) SET i.is_datacenter = true, i.proxy_provider = 'SwiftProxy'
  MERGE (pp:ProxyProvider {name: 'SwiftProxy'})
  MERGE (i)-[:VIA_PROVIDER]->(pp)
  MERGE (a)-[:USED_IP {first_seen: row.t, last_seen: row.t, requests: 10}]->(i))
FOREACH (_ IN CASE WHEN row.kind = 'device' THEN [1] ELSE [] END |
  MERGE (x:Identifier {key: 'device:' + row.value}) SET x.kind = 'device', x.value = row.value
  MERGE (a)-[:HAS_IDENTIFIER {first_seen: row.t}]->(x))
"""
_RUN = """
MERGE (r:DetectionRun {run_id: $run_id})
SET r.created_at = $created_at, r.status = $status, r.algorithm = 'leiden', r.objective = 'CPM'
"""
_CLUSTERS = """
UNWIND $rows AS row
MATCH (r:DetectionRun {run_id: $run_id})
MERGE (c:Cluster {cluster_key: $run_id + '/' + row.cluster_id})
SET c.cluster_id = row.cluster_id, c.run_id = $run_id, c.size = size(row.members),
    c.risk = row.risk, c.reasons = row.reasons, c.features_json = row.features_json
MERGE (c)-[:IN_RUN]->(r)
WITH c, row
UNWIND row.members AS m
MATCH (a:Account {account_id: m.account_id})
MERGE (a)-[mo:MEMBER_OF]->(c)
SET mo.run_id = $run_id, mo.account_risk = row.risk, mo.reasons = m.reasons
"""


def _clusters(ring_a: list[str] = RING_A) -> list[dict]:
    def members(ids: list[str], own: dict[str, list[str]] | None = None) -> list[dict]:
        return [{"account_id": a, "reasons": (own or {}).get(a, [])} for a in ids]

    return [
        # a01's own reasons are two of its cluster's four (a member showing less than
        # WaveParams.min_conformity of them would be skipped as atypical_member)
        dict(cluster_id="c-000001", risk=0.95,
             reasons=["shared_payment", "prepaid_card_shared", "proxy_provider", "datacenter_ip"],
             features_json=json.dumps({"density": 0.8}),
             members=members([*ring_a, "v01"], {"a01": ["shared_payment", "datacenter_ip"]})),
        dict(cluster_id="c-000002", risk=0.99, reasons=["shared_device"], features_json="{}",
             members=members([*RING_B, "v02"])),
        dict(cluster_id="c-000003", risk=0.40, reasons=["shared_ip"], features_json="{}",
             members=members(LOW)),
        dict(cluster_id="c-000004", risk=0.90, reasons=[], features_json="{}",
             members=members(NOREASON)),
    ]


def plant_detection(store: GraphStore, *, run_id: str = "run-1", created_at: datetime = T0,
                    clusters: list[dict] | None = None, status: str = "complete") -> None:
    everyone = [*RING_A, "a07", "v01", *RING_B, "v02", *LOW, *NOREASON]
    store.query(_ACCOUNTS, {"rows": [
        {"account_id": a, "created_at": T0, "org_id": ORGS.get(a)} for a in everyone]},
        name="test/accounts", write=True)
    links = [{"account_id": a, "kind": "card", "value": "pi-1", "t": T0}
             for a in [*RING_A, "a07", "v01"]]
    links += [{"account_id": a, "kind": "ip", "value": "203.0.113.10", "t": T0}
              for a in [*RING_A, "a07", "v01"]]
    links += [{"account_id": a, "kind": "device", "value": "dev-b", "t": T0}
              for a in [*RING_B, "v02"]]
    links += [{"account_id": a, "kind": "device", "value": "dev-l", "t": T0} for a in LOW]
    links += [{"account_id": a, "kind": "device", "value": "dev-n", "t": T0} for a in NOREASON]
    store.query(_LINKS, {"rows": links}, name="test/links", write=True)
    store.query(_RUN, {"run_id": run_id, "created_at": created_at, "status": "running"},
                name="test/run", write=True)
    store.query(_CLUSTERS, {"run_id": run_id, "rows": clusters or _clusters()},
                name="test/clusters", write=True)
    store.query(_RUN, {"run_id": run_id, "created_at": created_at, "status": status},
                name="test/run", write=True)


def _graph_counts(store: GraphStore) -> tuple[int, int]:
    r = store.query("MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, "
                    "count(r) AS r", name="test/counts")[0]
    return r["n"], r["r"]


# -- pure selection ----------------------------------------------------------
def test_a_cluster_on_its_own_domain_gets_the_verified_org_bar() -> None:
    """As the store hands clusters over (features in ``features_json``): a cluster whose
    members are on one domain nobody else uses is skipped below 0.98, banned above it; a
    cluster on a shared domain (webmail, a campus's) is not touched by the rule."""
    def feats(top: float, excl: float) -> str:
        return json.dumps({"email_domain_top_share": top, "email_domain_exclusive": excl})
    clusters = pd.DataFrame({
        "cluster_id": ["own-lo", "own-hi", "webmail", "mixed"], "size": [2] * 4,
        "risk": [0.95, 0.99, 0.95, 0.95], "reasons": [["shared_payment"]] * 4,
        "features_json": [feats(1.0, 1.0), feats(0.9, 0.85), feats(1.0, 0.01),
                          feats(0.6, 1.0)]})
    members = pd.DataFrame({"account_id": [f"{c}-{k}" for c in clusters["cluster_id"]
                                           for k in range(2)],
                            "cluster_id": [c for c in clusters["cluster_id"] for _ in range(2)]})
    plan = select_wave(clusters, members, None, WaveParams())
    assert sorted(plan.entries["cluster_id"].unique()) == ["mixed", "own-hi", "webmail"]
    assert set(plan.skipped["why"]) == {SKIP_OWN_DOMAIN_ORG}
    assert sorted(plan.skipped["account_id"]) == ["own-lo-0", "own-lo-1"]
    off = select_wave(clusters, members, None, WaveParams(own_domain_share=0.0))
    assert len(off.entries) == 8 and off.skipped.empty
    # Runs scored before the feature existed: no cluster is marked.
    old = select_wave(clusters.drop(columns="features_json"), members, None, WaveParams())
    assert len(old.entries) == 8
    with pytest.raises(ValueError, match="own_domain_share"):
        WaveParams(own_domain_share=1.5)


def test_select_wave_pure_rules() -> None:
    clusters = pd.DataFrame({
        "cluster_id": ["c-1", "c-2", "c-3"], "size": [3, 2, 2], "risk": [0.9, 0.99, 0.5],
        "reasons": [["shared_ip", "shared_payment"], [], ["shared_ip"]]})
    members = pd.DataFrame({
        "account_id": ["x1", "x2", "x3", "y1", "y2", "z1", "z2"],
        "cluster_id": ["c-1", "c-1", "c-1", "c-2", "c-2", "c-3", "c-3"],
        "reasons": [["timing_sync"], [], [], ["shared_device"], [], [], []]})
    accounts = pd.DataFrame({"account_id": ["x3", "y1"], "org_id": ["org-1", "org-2"]})
    # x1's own reason is none of its cluster's: atypical (tested on its own, rule off here)
    plan = select_wave(clusters, members, accounts,
                       WaveParams(min_risk=0.8, allowlist=frozenset({"x2"}), min_conformity=0))
    got = dict(zip(plan.entries["account_id"], plan.entries["reasons"]))
    # y1: verified org but its cluster (0.99) crosses the 0.98 bar; own reasons win.
    # x1: own reason only; y2: no reason anywhere -> skipped; z*: below min_risk.
    assert got == {"y1": ["shared_device"], "x1": ["timing_sync"]}
    skipped = dict(zip(plan.skipped["account_id"], plan.skipped["why"]))
    assert skipped == {"x2": SKIP_ALLOWLIST, "x3": SKIP_VERIFIED_ORG, "y2": SKIP_NO_REASON}
    assert plan.sidecar()["verified_org_included"] == 1
    # Fallback to the cluster's reasons, in the model's order.
    plan2 = select_wave(clusters, members, None, WaveParams(min_risk=0.8, min_conformity=0))
    got2 = dict(zip(plan2.entries["account_id"], plan2.entries["reasons"]))
    assert got2["x2"] == ["shared_payment", "shared_ip"]


def test_weak_tie_members_are_skipped_not_banned() -> None:
    """A member hanging on one weak link (low own tie) is skipped for review; the
    allowlist still wins; ``min_tie=0`` turns the rule off; the tie read back from the
    two stored risks is the one scoring used."""
    from graphlink.detect.scoring import account_risk_of, tie_of

    ties = np.array([1.0, 0.9, 0.25, 0.1, 0.0])
    assert np.allclose(tie_of(account_risk_of(np.full(5, 0.95), ties), np.full(5, 0.95)), ties)
    clusters = pd.DataFrame({"cluster_id": ["c-1"], "size": [5], "risk": [0.95],
                             "reasons": [["shared_payment"]]})
    members = pd.DataFrame({"account_id": ["core1", "core2", "mid", "hanger", "allowed"],
                            "cluster_id": "c-1",
                            "account_risk": account_risk_of(np.full(5, 0.95), ties)})
    params = WaveParams(min_risk=0.9, allowlist=frozenset({"allowed"}))
    plan = select_wave(clusters, members, None, params)
    assert set(plan.entries["account_id"]) == {"core1", "core2", "mid"}
    assert dict(zip(plan.skipped["account_id"], plan.skipped["why"])) == {
        "hanger": SKIP_WEAK_TIE, "allowed": SKIP_ALLOWLIST}
    off = select_wave(clusters, members, None, WaveParams(min_risk=0.9, min_tie=0.0))
    assert set(off.entries["account_id"]) == set(members["account_id"])
    with pytest.raises(ValueError, match="min_tie"):
        WaveParams(min_tie=1.5)


def test_diff_waves_pure() -> None:
    a = pd.DataFrame({"account_id": ["p", "q", "r"], "cluster_id": "c"})
    b = pd.DataFrame({"account_id": ["q", "r", "s", "t"], "cluster_id": "c"})
    d = diff_waves(a, b)
    assert set(d.new["account_id"]) == {"s", "t"}
    assert set(d.dropped["account_id"]) == {"p"}
    assert set(d.kept["account_id"]) == {"q", "r"}
    assert diff_waves(None, b).counts() == {"new": 4, "dropped": 0, "kept": 0}


# -- against Neo4j -----------------------------------------------------------
def test_no_run_is_a_clear_error(store: GraphStore) -> None:
    with pytest.raises(NotFound, match="graphlink detect"):
        bws.plan_wave(store, WaveParams())


def test_plan_protects_and_explains(store: GraphStore) -> None:
    plant_detection(store)
    # A newer but still running run must be ignored.
    plant_detection(
        store,
        run_id="run-x",
        created_at=T0 + timedelta(days=1),
        status="running",
        clusters=[
            dict(
                cluster_id="c-000009",
                risk=1.0,
                reasons=["shared_ip"],
                features_json="{}",
                members=[{"account_id": "l01", "reasons": []}],
            )
        ],
    )
    params = WaveParams(min_risk=0.8, allowlist=frozenset({"a06", "b03"}))
    plan = bws.plan_wave(store, params)
    assert plan.run_id == "run-1"
    banned = set(plan.entries["account_id"])
    assert banned == {"a01", "a02", "a03", "a04", "a05", "b01", "b02", "v02"}
    skipped = dict(zip(plan.skipped["account_id"], plan.skipped["why"]))
    assert skipped == {
        "a06": SKIP_ALLOWLIST,
        "b03": SKIP_ALLOWLIST,
        "v01": SKIP_VERIFIED_ORG,
        "n01": SKIP_NO_REASON,
        "n02": SKIP_NO_REASON,
    }
    reasons = dict(zip(plan.entries["account_id"], plan.entries["reasons"]))
    assert reasons["a01"] == ["shared_payment", "datacenter_ip"]
    assert reasons["a02"] == ["shared_payment", "prepaid_card_shared", "proxy_provider",
                              "datacenter_ip"]
    assert all(len(r) >= 1 for r in plan.entries["reasons"])
    ev = plan.clusters.set_index("cluster_id")
    assert ev.loc["c-000001", "shared_instruments"] == 1
    assert ev.loc["c-000001", "shared_ips"] == 1
    assert ev.loc["c-000001", "proxy_providers"] == 1
    assert ev.loc["c-000001", "accounts_via_proxy"] == 7
    assert ev.loc["c-000002", "shared_identifiers"] == 1
    assert ev.loc["c-000001", "features"] == {"density": 0.8}

    # The verified-org bar and its switch.
    strict = bws.plan_wave(store, WaveParams(min_risk=0.8, verified_org_min_risk=1.0))
    assert "v02" not in set(strict.entries["account_id"])
    # The allowlist wins even where the org bar is crossed.
    allow = bws.plan_wave(store, WaveParams(min_risk=0.8, allowlist=frozenset({"v02"})))
    assert "v02" not in set(allow.entries["account_id"])
    open_ = bws.plan_wave(store, WaveParams(min_risk=0.8, protect_verified_orgs=False))
    assert "v01" in set(open_.entries["account_id"])


def test_dry_run_writes_nothing(store: GraphStore, env_for_cli: dict, tmp_path: Path) -> None:
    plant_detection(store)
    before = _graph_counts(store)
    bws.plan_wave(store, WaveParams(min_risk=0.5))
    out = tmp_path / "dry.csv"
    r = _cli(env_for_cli, "banwave", "--min-risk", "0.8", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "DRY RUN" in r.stdout
    assert _graph_counts(store) == before
    assert bws.list_waves(store).empty
    df = read_wave_csv(out)
    assert list(df.columns) == ["wave_id", "account_id", "cluster_id", "cluster_risk", "reasons"]
    assert set(df["wave_id"]) == {"dry-run"} and len(df) == 10
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["committed"] is False and side["run_id"] == "run-1"
    assert {c["cluster_id"] for c in side["clusters"]} == {"c-000001", "c-000002", "c-000004"}


def test_commit_csv_matches_store_and_evidence_exists(
    store: GraphStore, env_for_cli: dict, tmp_path: Path
) -> None:
    plant_detection(store)
    allow = tmp_path / "allow.txt"
    allow.write_text("# never ban these\na06\n\n")
    out = tmp_path / "wave.csv"
    r = _cli(
        env_for_cli,
        "banwave",
        "--min-risk",
        "0.8",
        "--allowlist",
        str(allow),
        "--out",
        str(out),
        "--commit",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "wave-0001" in r.stdout and "a06" in r.stdout and "allowlist" in r.stdout
    csv = read_wave_csv(out)
    assert set(csv["wave_id"]) == {"wave-0001"}
    wave = bws.read_wave(store, "wave-0001")
    stored = wave_csv_frame(wave.entries, "wave-0001")
    key = ["account_id"]
    a = csv.sort_values(key).reset_index(drop=True)
    b = stored.sort_values(key).reset_index(drop=True)
    b["reasons"] = [r.split(";") for r in b["reasons"]]
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert wave.n_accounts == len(csv) == 9
    assert wave.protected_skipped == 2  # a06 (allowlist) + v01 (verified org)
    assert wave.params["min_risk"] == 0.8 and wave.params["allowlist"] == 1
    assert {s["account_id"] for s in wave.evidence["skipped"]} == {"a06", "v01", "n01", "n02"}
    assert not ({"a06", "v01"} & set(csv["account_id"]))
    assert all(len(x) >= 1 for x in csv["reasons"])
    # Every banned account's evidence exists in the graph.
    assert bws.unsupported_entries(store, "wave-0001").empty
    # ... and the check does find an account whose links are gone.
    store.query(
        "MATCH (:Account {account_id: 'a02'})-[r:PAID_WITH|USED_IP]->() DELETE r",
        name="test/cut",
        write=True,
    )
    assert bws.unsupported_entries(store, "wave-0001")["account_id"].tolist() == ["a02"]


def test_two_waves_diff_and_previous(store: GraphStore) -> None:
    plant_detection(store)
    w1 = bws.commit_wave(store, bws.plan_wave(store, WaveParams(min_risk=0.8)))
    assert w1 == "wave-0001"
    # Next run: a01 left ring A, a07 joined it; ring B dropped to 0.5 (below min_risk).
    clusters = _clusters(ring_a=["a02", "a03", "a04", "a05", "a06", "a07"])
    clusters[1]["risk"] = 0.5
    plant_detection(store, run_id="run-2", created_at=T0 + timedelta(days=2), clusters=clusters)
    plan2 = bws.plan_wave(store, WaveParams(min_risk=0.8))
    assert plan2.run_id == "run-2"
    preview = bws.diff_with_latest(store, plan2)
    w2 = bws.commit_wave(store, plan2)
    assert w2 == "wave-0002"
    d = bws.wave_diff(store, w2)
    assert d.previous_wave_id == "wave-0001"
    assert set(d.new["account_id"]) == {"a07"}
    assert set(d.dropped["account_id"]) == {"a01", "b01", "b02", "b03", "v02"}
    assert set(d.kept["account_id"]) == {"a02", "a03", "a04", "a05", "a06"}
    assert preview.counts() == d.counts()
    waves = bws.list_waves(store)
    assert waves["wave_id"].tolist() == ["wave-0002", "wave-0001"]
    assert waves["previous_wave_id"].tolist()[0] == "wave-0001"
    assert bws.latest_wave_id(store) == "wave-0002"
    with pytest.raises(InputError):
        bws.commit_wave(store, plan2.with_wave_id(w2))


def test_commit_refuses_unknown_accounts_and_stays_invisible(store: GraphStore) -> None:
    plant_detection(store)
    plan = bws.plan_wave(store, WaveParams(min_risk=0.8))
    ghost = pd.concat(
        [
            plan.entries,
            pd.DataFrame(
                [
                    {
                        "account_id": "ghost",
                        "cluster_id": "c-000001",
                        "cluster_risk": 0.95,
                        "reasons": ["shared_ip"],
                        "org_id": None,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    bad = type(plan)(plan.run_id, plan.params, ghost, plan.clusters, plan.skipped, plan.created_at)
    with pytest.raises(Exception, match="left uncommitted"):
        bws.commit_wave(store, bad)
    assert bws.list_waves(store).empty
    with pytest.raises(NotFound):
        bws.read_wave(store, "wave-0001")
    # The next good commit gets a fresh id and no PREVIOUS to the failed one.
    w = bws.commit_wave(store, plan)
    assert w == "wave-0002" and bws.read_wave(store, w).previous_wave_id is None


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "graphlink", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "COLUMNS": "200"},
        timeout=120,
    )


def test_evaluate_cli_scores_latest_wave(
    store: GraphStore, env_for_cli: dict, tmp_path: Path
) -> None:
    plant_detection(store)
    bws.commit_wave(store, bws.plan_wave(store, WaveParams(min_risk=0.8)))
    truth = tmp_path / "truth.csv"
    rows = [(a, "hydra-a", "ring", "") for a in [*RING_A, "a07"]]
    rows += [(b, "hydra-b", "ring", "") for b in RING_B]
    rows += [("v01", "", "company", "k1"), ("v02", "", "company", "k1")]
    rows += [(x, "", "ordinary", "") for x in LOW] + [(x, "", "family", "f1") for x in NOREASON]
    pd.DataFrame(rows, columns=["account_id", "campaign", "segment", "group"]).to_csv(
        truth, index=False
    )
    out = tmp_path / "figures.json"
    r = _cli(env_for_cli, "evaluate", "--truth", str(truth), "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "wave-0001" in r.stdout and "components" in r.stdout
    figs = {m["method"]: m for m in json.loads(out.read_text())}
    g = figs["graphlink"]
    # Banned: a01..a06, b01..b03 (ring) and v02 (company, above the verified-org bar); a07 missed.
    assert (g["tp"], g["fp"], g["fn"]) == (9, 1, 1)
    assert g["precision"] == pytest.approx(0.9) and g["recall"] == pytest.approx(0.9)
    assert g["false_bans_per_segment"]["company"] == 1
    assert g["whole_groups_banned"] == {"campus": 0, "company": 0, "family": 0}
    assert {"components", "components-uncapped", "leiden-modularity"} <= set(figs)
