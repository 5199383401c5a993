"""The held-out-newcomer replay (``graphlink.signup_eval``) and ``graphlink evaluate --signups``.

Pure (no Neo4j): hold-out sampling, what a sign-up form carries, the operating
point, and the command end to end on a small generated snapshot.  That the
replay's index equals the API's is tested through Neo4j in test_signup_api.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from graphlink import signup_eval as se
from graphlink import synth
from graphlink.cli import app
from graphlink.model import Links
from graphlink.signup import BLOCK_AT, Signup

T = pd.Timestamp("2026-01-10", tz="UTC")


@pytest.fixture(scope="module")
def scenario() -> synth.Scenario:
    return synth.generate(3_000, seed=2)


def test_holdout_is_stratified_and_removed_everywhere(scenario: synth.Scenario) -> None:
    held = se.sample_holdout(scenario.truth, holdout_frac=0.05, benign_per_segment=7, seed=4)
    t = scenario.truth
    benign = held[held["segment"] != "ring"]
    assert (benign.groupby("segment").size() == 7).all()
    assert set(benign["segment"]) == set(t.loc[t["segment"] != "ring", "segment"])
    ring = held[held["segment"] == "ring"]
    per = t[t["segment"] == "ring"].groupby("campaign").size()
    got = ring.groupby("campaign").size().reindex(per.index, fill_value=0)
    assert (got == np.maximum(1, np.round(0.05 * per)).astype(int)).all()
    assert held["account_id"].is_unique
    again = se.sample_holdout(scenario.truth, holdout_frac=0.05, benign_per_segment=7, seed=4)
    pd.testing.assert_frame_equal(held, again)  # same seed, same sample

    rest, mine = se.split_links(scenario.links(), pd.Index(held["account_id"]))
    ids = set(held["account_id"])
    for f, cols in ((rest.accounts, ["account_id"]), (rest.ips, ["account_id"]),
                    (rest.payments, ["account_id"]), (rest.identifiers, ["account_id"]),
                    (rest.similarity, ["account_a", "account_b"])):
        for c in cols:
            assert not f[c].astype(str).isin(ids).any()
    assert set(mine.accounts["account_id"]) == ids
    assert len(rest.ips) + len(mine.ips) == len(scenario.ip_observations)


def test_signup_form_carries_top_ip_first_instrument_and_identifiers() -> None:
    acc = pd.DataFrame({"account_id": ["a"], "created_at": [T], "email_domain": ["Mail.Example"],
                        "plan": ["free"]})
    pay = pd.DataFrame({"account_id": ["a", "a"], "instrument_id": ["pi-late", "pi-first"],
                        "kind": "card", "first_seen": [T + pd.Timedelta(days=3), T]})
    ips = pd.DataFrame({"account_id": ["a", "a"], "ip": ["10.0.0.1", "10.0.0.2"],
                        "requests": [5, 50]})
    idf = pd.DataFrame({"account_id": ["a"] * 3, "kind": ["device", "phone_hash", "device"],
                        "value": ["d1", "p1", "d2"],
                        "first_seen": [T, T, T + pd.Timedelta(days=1)]})
    s = se.signups_of(Links(acc, pay, ips, idf, pd.DataFrame()))["a"]
    assert s == Signup(email_domain="mail.example", ip="10.0.0.2", payment_instrument="pi-first",
                       device="d1", identifiers=(("phone_hash", "p1"), ("device", "d2")),
                       plan="free")


def test_operating_point_meets_its_budget() -> None:
    rng = np.random.default_rng(0)
    rows = [{"account_id": f"b{i}", "segment": seg, "campaign": None, "stratum": seg,
             "risk": float(rng.beta(1, 30)), "decision": "", "naive": "allow"}
            for seg in ("ordinary", "vpn_user") for i in range(500)]
    rows += [{"account_id": f"r{i}", "segment": "ring", "campaign": "x", "stratum": "ring:x",
              "risk": float(rng.beta(8, 2)), "decision": "", "naive": "block"} for i in range(50)]
    rep = se.Replay(pd.DataFrame(rows), {"ordinary": 0.9, "vpn_user": 0.1}, "r", {})
    op = rep.operating_point(block_budget=0.01, review_budget=0.05)
    assert rep.benign_rate(op["block_at"]) <= 0.01 + 1e-12 and op["review_at"] <= op["block_at"]
    assert rep.benign_rate(op["review_at"]) <= 0.06
    # the lowest such threshold: a hair lower breaks the budget
    assert rep.benign_rate(op["block_at"] - 2e-4) > 0.01


def test_replay_on_a_generated_scenario(scenario: synth.Scenario) -> None:
    rep = se.replay(scenario.links(), scenario.truth, holdout_frac=0.05, benign_per_segment=40,
                    seed=1)
    tab = rep.table(by_campaign=False).set_index("stratum")
    assert (tab[["allow", "review", "block"]].sum(axis=1) == tab["n"]).all()
    assert tab.loc["ring", "n"] >= 3 and tab.loc["ordinary", "n"] == 40
    s = rep.summary()
    assert s["ring_caught"] >= 0.6  # a small world: few rings, but most newcomers are caught
    assert tab.loc["cgnat", "block"] == 0 and tab.loc["ordinary", "block"] == 0
    assert rep.newcomers.loc[rep.newcomers["decision"] == "block", "risk"].min() >= BLOCK_AT
    # at the module's thresholds the summary is exactly what the API decided
    d = rep.newcomers
    ring = d[d["segment"] == "ring"]
    assert s["ring_blocked"] == pytest.approx((ring["decision"] == "block").mean())
    assert s["ring_caught"] == pytest.approx((ring["decision"] != "allow").mean())
    b = d[d["segment"] != "ring"]
    for dec, key in (("block", "benign_blocked"), ("review", "benign_review")):
        want = sum(w * (b.loc[b["segment"] == seg, "decision"] == dec).mean()
                   for seg, w in rep.weights.items())
        assert s[key] == pytest.approx(want)


def test_evaluate_signups_command(scenario: synth.Scenario, tmp_path: Path) -> None:
    synth.write_snapshot(scenario, tmp_path / "snap")
    synth.write_truth(scenario, tmp_path / "truth.csv")
    out = tmp_path / "signups.json"
    r = CliRunner().invoke(app, ["evaluate", "--signups", str(tmp_path / "snap"), "--truth",
                                 str(tmp_path / "truth.csv"), "--benign-per-segment", "25",
                                 "--holdout-frac", "0.05", "--seed", "3", "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "held-out newcomers" in r.output and "naive block" in r.output
    assert "benign, cgnat" in r.output and "operating point" in r.output
    doc = json.loads(out.read_text())
    rows = {row["stratum"]: row for row in doc["table"]}
    assert rows["cgnat"]["n"] == 25 and any(k.startswith("ring:") for k in rows)
    assert doc["params"]["seed"] == 3 and 0 <= doc["summary"]["ring_caught"] <= 1
