"""Pure tests of the sign-up index and score (``graphlink.signup``): no database."""

from __future__ import annotations

import itertools

import pytest

from graphlink.signup import (
    BLOCK_AT,
    MAX_CLUSTERS_REPORTED,
    REVIEW_AT,
    Signup,
    build_index,
    decide,
    score_signup,
)


def index():  # type: ignore[no-untyped-def]
    return build_index(
        "run-1",
        clusters=[("c-1", 0.9, 4, ["shared_payment", "signup_burst"]), ("c-2", 0.5, 3, ["shared_ip"]),
                  ("c-9", 0.8, 2, None)],
        members=[("a1", "c-1", 0.9, ["shared_payment"], "free", "ring.example"),
                 ("a2", "c-1", 0.9, [], "free", "ring.example"),
                 ("a3", "c-1", 0.9, [], "pro", "ring.example"),
                 ("b1", "c-2", 0.5, [], "team", "gmail.example"),
                 ("x1", "c-unknown", 0.5, [], "team", None)],  # not a cluster of the run: ignored
        ips=[("10.0.0.1", "c-1"), ("10.0.0.1", "c-2"), ("10.0.0.2", "c-2")],
        instruments=[("pi-1", "c-1")],
        identifiers=[("device:d-1", "c-1"), ("phone_hash:p-1", "c-2")],
        flagged_ips=[("10.0.0.1", "SwiftProxy", True), ("10.9.9.9", None, True), ("10.8.8.8", "", False)],
        domain_totals=[("ring.example", 4), ("gmail.example", 1000)],
    )


def test_index_keeps_only_the_runs_clusters_and_flagged_ips() -> None:
    idx = index()
    assert set(idx.accounts) == {"a1", "a2", "a3", "b1"}
    assert idx.ip_clusters["10.0.0.1"] == ("c-1", "c-2")  # riskiest first
    assert set(idx.ip_flags) == {"10.0.0.1", "10.9.9.9"}
    assert idx.clusters["c-1"].dominant_plan == "free"
    assert [c.cluster_id for c in idx.ranked] == ["c-1", "c-9", "c-2"]
    # 3 of 4 ring.example accounts are clustered: a ring's domain; gmail.example is not.
    assert idx.domain_clusters == {"ring.example": ("c-1",)}


def test_unrelated_signup_is_allowed_with_no_reason() -> None:
    a = score_signup(index(), Signup(ip="192.0.2.1", payment_instrument="pi-x", device="d-x",
                                     email_domain="gmail.example", plan="free"))
    assert (a.risk, a.decision, a.reasons, a.clusters) == (0.0, "allow", [], [])


def test_ring_matches_give_reasons_and_clusters() -> None:
    a = score_signup(index(), Signup(ip="10.0.0.1", payment_instrument="pi-1", plan="free",
                                     email_domain="Ring.Example"))
    assert a.decision == "block" and a.risk >= BLOCK_AT
    assert a.reasons == ["ip_in_ring", "instrument_in_ring", "email_domain_in_ring",
                         "proxy_provider", "datacenter_ip", "entry_point_plan", "ring_burst"]
    assert [t.cluster.cluster_id for t in a.clusters] == ["c-1", "c-2"]
    assert a.clusters[0].matched_on == ("ip", "payment_instrument", "email_domain")


def test_identifier_kinds() -> None:
    idx = index()
    assert score_signup(idx, Signup(device="d-1")).reasons == ["device_in_ring", "ring_burst"]
    assert score_signup(idx, Signup(identifiers=(("device", "d-1"),))).reasons[0] == "device_in_ring"
    a = score_signup(idx, Signup(identifiers=(("phone_hash", "p-1"),)))
    assert a.reasons == ["identifier_in_ring"] and a.risk == pytest.approx(0.5 * 0.8)


def test_flags_alone_raise_risk_without_a_ring() -> None:
    a = score_signup(index(), Signup(ip="10.9.9.9"))
    assert a.reasons == ["datacenter_ip"] and 0 < a.risk < REVIEW_AT and a.clusters == []


@pytest.mark.parametrize("fields", list(itertools.combinations(
    ["ip", "payment_instrument", "device", "email_domain", "plan"], 2)))
def test_more_evidence_never_lowers_risk(fields: tuple[str, str]) -> None:
    values = {"ip": "10.0.0.1", "payment_instrument": "pi-1", "device": "d-1",
              "email_domain": "ring.example", "plan": "free"}
    idx = index()
    one = score_signup(idx, Signup(**{fields[0]: values[fields[0]]})).risk
    both = score_signup(idx, Signup(**{f: values[f] for f in fields})).risk
    assert 0.0 <= one <= both <= 1.0


def test_report_is_capped() -> None:
    n = MAX_CLUSTERS_REPORTED + 5
    idx = build_index("r", clusters=[(f"c-{i:03d}", 0.5, 2, []) for i in range(n)],
                      ips=[("10.0.0.1", f"c-{i:03d}") for i in range(n)])
    a = score_signup(idx, Signup(ip="10.0.0.1"))
    assert len(a.clusters) == MAX_CLUSTERS_REPORTED and a.risk > 0.99


def test_decide_thresholds() -> None:
    assert [decide(x) for x in (0.0, REVIEW_AT - 1e-9, REVIEW_AT, BLOCK_AT, 1.0)] == [
        "allow", "allow", "review", "block", "block"]
