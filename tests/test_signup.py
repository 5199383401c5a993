"""Pure tests of the sign-up index and score (``graphlink.signup``): no database.

What they hold the score to: a thing counts as much as it is specific to a ring
(share of its users that are the ring's members), a hub adds nothing by
touching many clusters, a campaign's clusters count together, flags carry the
prior measured on the run's own population, decisions follow the thresholds.
"""

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

CGNAT_IP = "100.64.0.1"


def index():  # type: ignore[no-untyped-def]
    return build_index(
        "run-1",
        clusters=[("c-1", 0.95, 20, ["shared_payment", "signup_burst"]),
                  ("c-2", 0.5, 3, ["shared_ip"]), ("c-9", 0.8, 2, None)],
        members=[("a1", "c-1", 0.9, ["shared_payment"], "free", "ring.example"),
                 ("a2", "c-1", 0.9, [], "free", "ring.example"),
                 ("a3", "c-1", 0.9, [], "pro", "ring.example"),
                 ("b1", "c-2", 0.5, [], "team", "gmail.example"),
                 ("x1", "c-unknown", 0.5, [], "team", None)],  # not a cluster of the run: ignored
        # (thing, cluster, members of the cluster using it, accounts using it)
        ips=[("10.0.0.1", "c-1", 6, 7), ("10.0.0.1", "c-2", 1, 7), ("10.0.0.2", "c-2", 2, 2),
             (CGNAT_IP, "c-1", 5, 30_000), ("x", "c-unknown", 1, 1)],
        instruments=[("pi-1", "c-1", 20, 20), ("pi-fam", "c-2", 3, 3)],
        identifiers=[("device:d-1", "c-1", 3, 3), ("phone_hash:p-1", "c-2", 2, 2)],
        flagged_ips=[("10.0.0.1", "SwiftProxy", True, 7), ("10.9.9.9", None, True, 40),
                     ("10.8.8.8", "", False, 3), ("10.7.7.7", "SwiftProxy", True, 90)],
        domain_totals=[("ring.example", 4), ("gmail.example", 1000)],
    )


def test_index_keeps_only_the_runs_clusters_and_counts_users() -> None:
    idx = index()
    assert set(idx.accounts) == {"a1", "a2", "a3", "b1"}
    t = idx.ip_clusters["10.0.0.1"]
    assert (t.accounts, t.clusters, t.members) == (7, ("c-1", "c-2"), (6, 1))  # strongest first
    assert "x" not in idx.ip_clusters
    assert set(idx.ip_flags) == {"10.0.0.1", "10.9.9.9", "10.7.7.7"}
    assert idx.clusters["c-1"].dominant_plan == "free"
    assert [c.cluster_id for c in idx.ranked] == ["c-1", "c-9", "c-2"]
    # domains: members per cluster against every account with the domain
    assert idx.domain_clusters["ring.example"].accounts == 4
    assert idx.domain_clusters["gmail.example"].accounts == 1000


def test_unrelated_signup_is_allowed_with_no_reason() -> None:
    a = score_signup(index(), Signup(ip="192.0.2.1", payment_instrument="pi-x", device="d-x",
                                     email_domain="other.example", plan="free"))
    assert (a.risk, a.decision, a.reasons, a.clusters) == (0.0, "allow", [], [])


def test_cgnat_only_signup_is_allowed() -> None:
    # a carrier address of 30,000 accounts, 5 of them members of a 0.95-risk ring
    a = score_signup(index(), Signup(ip=CGNAT_IP, plan="free", email_domain="gmail.example"))
    assert a.decision == "allow" and a.risk < 0.01
    assert a.reasons == [] and a.clusters == []  # too common to name


def test_prepaid_card_shared_by_a_ring_blocks() -> None:
    a = score_signup(index(), Signup(payment_instrument="pi-1"))
    assert a.decision == "block" and a.risk == pytest.approx(0.95 * 20 / 21, abs=1e-4)
    assert a.reasons[0] == "instrument_in_ring"
    assert a.clusters[0].cluster.cluster_id == "c-1" and a.clusters[0].matched_on == (
        "payment_instrument",)


def test_things_of_one_ring_corroborate() -> None:
    idx = index()
    one = score_signup(idx, Signup(device="d-1")).risk
    both = score_signup(idx, Signup(device="d-1", ip="10.0.0.1")).risk
    assert one == pytest.approx(0.95 * 3 / 4, abs=1e-4) and both > one
    a = score_signup(idx, Signup(identifiers=(("phone_hash", "p-1"),)))
    assert a.reasons == ["identifier_in_ring"] and a.risk == pytest.approx(0.5 * 2 / 3, abs=1e-4)


def test_flags_carry_the_measured_prior_weighed_against_the_ips_own_users() -> None:
    idx = index()
    # SwiftProxy: 6 x 0.95 + 1 x 0.5 ring mass over 7 + 90 users; datacenter: nothing over 40
    assert idx.flag_base["SwiftProxy"] == pytest.approx((6 * 0.95 + 0.5) / 98)
    assert idx.flag_base["datacenter"] == 0.0
    a = score_signup(idx, Signup(ip="10.7.7.7"))
    assert a.reasons == ["proxy_provider", "datacenter_ip"] and a.clusters == []
    assert a.risk == pytest.approx(idx.flag_base["SwiftProxy"] / 91, abs=1e-4)
    assert a.decision == "allow"
    assert score_signup(idx, Signup(ip="10.9.9.9")).risk == 0.0


def test_reasons_and_context() -> None:
    a = score_signup(index(), Signup(ip="10.0.0.1", payment_instrument="pi-1", plan="free",
                                     email_domain="Ring.Example"))
    assert a.decision == "block"
    assert a.reasons == ["ip_in_ring", "instrument_in_ring", "email_domain_in_ring",
                         "proxy_provider", "datacenter_ip", "entry_point_plan", "ring_burst"]
    assert a.clusters[0].matched_on == ("ip", "payment_instrument", "email_domain")


def _hub(n_clusters: int, *, campaign: bool = False, members: int = 200,
         users: int = 30_000, risk: float = 0.95):  # type: ignore[no-untyped-def]
    ids = [f"c-{i:03d}" for i in range(n_clusters)]
    per = [
        members // n_clusters + (1 if i < members % n_clusters else 0) for i in range(n_clusters)
    ]
    return build_index(
        "r",
        clusters=[(c, risk, p, [], ids[0] if campaign else None) for c, p in zip(ids, per)],
        ips=[("10.0.0.1", c, p, users) for c, p in zip(ids, per)],
    )


@pytest.mark.parametrize("users", [30_000, 400, 210])
def test_evidence_does_not_grow_with_clusters_touched_through_one_hub(users: int) -> None:
    one = score_signup(_hub(1, users=users), Signup(ip="10.0.0.1")).risk
    for n in (2, 10, 50, 200):
        assert score_signup(_hub(n, users=users), Signup(ip="10.0.0.1")).risk <= one + 1e-9
        # ... and one campaign split into many clusters is still the same ring
        assert score_signup(
            _hub(n, users=users, campaign=True), Signup(ip="10.0.0.1")
        ).risk == pytest.approx(one, abs=1e-4)
    assert one == pytest.approx(0.95 * 200 / (users + 1), abs=1e-4)


def test_report_is_capped() -> None:
    n = MAX_CLUSTERS_REPORTED + 5
    idx = build_index(
        "r",
        clusters=[(f"c-{i:03d}", 0.5 + i / 100, 2, []) for i in range(n)],
        identifiers=[(f"referral_code:r{i}", f"c-{i:03d}", 2, 2) for i in range(n)],
    )
    a = score_signup(idx, Signup(identifiers=tuple(("referral_code", f"r{i}") for i in range(n))))
    assert len(a.clusters) == MAX_CLUSTERS_REPORTED
    assert a.clusters[0].cluster.cluster_id == f"c-{n - 1:03d}"  # the strongest kept
    assert a.risk == pytest.approx((0.5 + (n - 1) / 100) * 2 / 3, abs=1e-4)  # the strongest ring


@pytest.mark.parametrize(
    "fields",
    list(itertools.combinations(["ip", "payment_instrument", "device", "email_domain", "plan"], 2)),
)
def test_more_evidence_never_lowers_risk(fields: tuple[str, str]) -> None:
    values = {
        "ip": "10.0.0.1",
        "payment_instrument": "pi-1",
        "device": "d-1",
        "email_domain": "ring.example",
        "plan": "free",
    }
    idx = index()
    one = score_signup(idx, Signup(**{fields[0]: values[fields[0]]})).risk
    both = score_signup(idx, Signup(**{f: values[f] for f in fields})).risk
    assert 0.0 <= one <= both <= 1.0


def test_decide_thresholds() -> None:
    assert 0 < REVIEW_AT < BLOCK_AT <= 1
    assert [decide(x) for x in (0.0, REVIEW_AT - 1e-9, REVIEW_AT, BLOCK_AT, 1.0)] == [
        "allow",
        "allow",
        "review",
        "block",
        "block",
    ]


def test_an_address_alone_never_blocks() -> None:
    idx = build_index(
        "r",
        clusters=[("c-1", 0.95, 30, []), ("c-2", 0.9, 5, [])],
        ips=[("10.0.0.3", "c-1", 20, 20)],
        identifiers=[("device:d-1", "c-1", 3, 3), ("device:d-2", "c-2", 2, 4)],
    )
    a = score_signup(idx, Signup(ip="10.0.0.3"))
    assert a.risk >= BLOCK_AT and a.decision == "review"  # addresses are shared by strangers
    assert a.reasons == ["ip_in_ring", "address_only"]
    b = score_signup(idx, Signup(ip="10.0.0.3", device="d-1"))  # the ring's device ties it
    assert b.decision == "block" and "address_only" not in b.reasons
    # another ring's device does not make the first ring's address block
    c = score_signup(idx, Signup(ip="10.0.0.3", device="d-2"))
    assert c.decision == "review" and c.risk == a.risk


def test_a_tie_to_a_company_on_its_own_domain_reviews_rather_than_blocks() -> None:
    """The wave's own-domain rule, at sign-up: a cluster nearly all on one domain nobody
    else uses is one organisation, so a newcomer with its card (a new hire) is reviewed
    below the verified-org bar; the same cluster on webmail, or near-certain, blocks."""
    def idx(domain: str, total: int, risk: float):  # type: ignore[no-untyped-def]
        return build_index(
            "r", clusters=[("c-co", risk, 5, ["shared_payment"])],
            members=[(f"e{k}", "c-co", risk, [], "api", domain) for k in range(5)],
            instruments=[("pi-co", "c-co", 5, 5)], domain_totals=[(domain, total)])
    own = idx("acme.example", 5, 0.95)
    assert own.clusters["c-co"].protected_org
    a = score_signup(own, Signup(payment_instrument="pi-co", email_domain="acme.example"))
    assert a.risk >= BLOCK_AT and a.decision == "review"
    assert "own_domain_org" in a.reasons and "address_only" not in a.reasons
    webmail = idx("mail.example", 90_000, 0.95)
    assert not webmail.clusters["c-co"].protected_org
    assert score_signup(webmail, Signup(payment_instrument="pi-co")).decision == "block"
    certain = idx("acme.example", 5, 0.99)
    assert not certain.clusters["c-co"].protected_org
    assert score_signup(certain, Signup(payment_instrument="pi-co")).decision == "block"
