"""Risk that generalizes: tactics no default was tuned on are caught, look-alikes are not.

Hand-made frames (``tests/detect_frames.py``), not the generator the shipped
model was fitted on: an unlisted plan, unlisted BINs, datacenter IPs no feed
names, a signal the old model did not count.  And operator data (BIN table,
entry plans) refines reason codes but changes no outcome.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphlink.banwave import WaveParams, select_wave
from graphlink.detect import DetectionConfig, detect_links
from graphlink.detect.riskmodel import RiskModel, default_model
from graphlink.detect.training import FAMILY_COLUMNS, MODEL_FEATURES, with_ring_variants

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detect_frames import add_campus_lab, add_dc_group, make_links


@pytest.fixture(scope="module")
def world():
    links, truth = make_links(n_benign=3000, ring_sizes=(60,), seed=3)
    links, truth = add_dc_group(links, truth)
    links, truth = add_campus_lab(links, truth)
    return links, truth


def _wave_groups(
    links, truth, config: DetectionConfig, model: RiskModel | None = None
) -> pd.Series:
    res = detect_links(links, config, seed=11, model=model)
    wave = select_wave(res.clusters, res.members, links.accounts, WaveParams())
    groups = truth.set_index("account_id")["group"]
    return wave.entries["account_id"].map(groups).value_counts()


def test_small_synchronized_datacenter_group_on_unlisted_plan_and_bins_is_banned(world):
    links, truth = world
    banned = _wave_groups(links, truth, DetectionConfig())
    assert banned.get("ring-dc", 0) == 36, banned.to_dict()


def test_campus_lab_with_templates_and_shared_nat_is_not_banned(world):
    links, truth = world
    banned = _wave_groups(links, truth, DetectionConfig())
    assert banned.get("campus-lab", 0) == 0 and banned.get("campus", 0) == 0, banned.to_dict()
    assert set(banned.index) <= {"ring-0", "ring-dc"}, banned.to_dict()


def test_a_group_on_its_own_domain_gets_the_verified_org_bar(world):
    """The same synchronized datacenter group, every member on one e-mail domain nobody
    else uses (a small company on the API plan looks like this): its cluster is marked as
    one organisation and gets the verified-org bar; the ring on webmail and a domain of
    its own for two thirds of its members is not marked."""
    links, truth = add_dc_group(*world, prefix="acme", seed=8,
                                email_domain="acme.test", group="own-domain")
    res = detect_links(links, DetectionConfig(), seed=11)
    groups = truth.set_index("account_id")["group"]
    cl = res.clusters.set_index("cluster_id")
    top = res.members.assign(g=res.members["account_id"].map(groups)).groupby("g")["cluster_id"]
    own_c, ring_c = top.agg(lambda s: s.mode()[0])[["own-domain", "ring-dc"]]
    assert cl.loc[own_c, "email_domain_exclusive"] == 1.0
    assert cl.loc[own_c, "email_domain_top_share"] == 1.0
    assert cl.loc[ring_c, "email_domain_top_share"] < 0.8

    def banned(**kw: float) -> pd.Series:
        w = select_wave(res.clusters, res.members, links.accounts, WaveParams(**kw))
        return w.entries["account_id"].map(groups).value_counts(), w.skipped
    # Near-certain is still banned, as for a verified org; below the bar it is reviewed.
    strict, skipped = banned(verified_org_min_risk=1.0)
    assert strict.get("own-domain", 0) == 0 and strict.get("ring-dc", 0) == 36, strict.to_dict()
    why = skipped.set_index("account_id")["why"]
    assert (why[why.index.map(groups) == "own-domain"] == "own_domain_org").sum() >= 30
    off, _ = banned(verified_org_min_risk=1.0, own_domain_share=0.0)
    assert off.get("own-domain", 0) >= 30 and off.get("ring-dc", 0) == 36, off.to_dict()


def test_bin_table_and_entry_plans_change_no_outcome(world):
    """Operator data adds reason codes, never needed to reach a decision."""
    links, truth = world
    plain = _wave_groups(links, truth, DetectionConfig())
    informed = DetectionConfig(
        prepaid_bins=("423916", "987654", "876543"),
        entry_plans=("edu", "startup", "free", "qx-api"),
    )
    assert plain.to_dict() == _wave_groups(links, truth, informed).to_dict()
    res = detect_links(links, informed, seed=11)
    top = res.clusters[res.clusters["flagged"]]
    assert top["reasons"].map(lambda r: "prepaid_card_shared" in r).any()


@pytest.mark.parametrize("tactic", [
    "aged accounts", "fake verified org",
    pytest.param("both", marks=pytest.mark.xfail(strict=True, reason=(
        "known gap: two tactics at once score 0.63; variants with two tactics taken away "
        "lowered held-out recall (bench_model_choice mean 0.574 vs 0.622)"))),
])
def test_a_group_lacking_a_sign_up_burst_or_hiding_in_an_org_is_still_banned(tactic):
    """The tactics held-out archetypes use against a model fitted on complete rings:
    accounts created over two years (no sign-up burst), or all inside one org."""
    aged = tactic in ("aged accounts", "both")
    org = "org-fake" if tactic in ("fake verified org", "both") else None
    links, truth = add_dc_group(*make_links(n_benign=3000, ring_sizes=(), seed=4),
                                created_over_days=730 if aged else 3, org_id=org)
    res = detect_links(links, DetectionConfig(), seed=11)
    mem = res.members.merge(truth, on="account_id")
    ring = mem[mem["group"] == "ring-dc"]
    assert (ring["cluster_risk"] >= 0.9).mean() >= 0.9, ring["cluster_risk"].describe()
    wave = select_wave(res.clusters, res.members, links.accounts, WaveParams())
    banned = wave.entries["account_id"].map(truth.set_index("account_id")["group"])
    assert (banned == "ring-dc").sum() >= 0.9 * len(ring)
    assert not set(banned) - {"ring-dc"}, banned.value_counts()


def test_ring_variants_take_one_family_away_and_keep_each_rings_weight():
    cols = ["shared_payment_share", "personal_share", "device_or_identifier_share",
            "personal_surprise", "device_share", "identifier_share", "infra_share",
            "infra_traffic_share", "infra_surprise", "similarity_share", "similarity_surprise",
            "signal_mix", "burst_share", "burst_surprise", "plan_surprise", "org_share"]
    table = pd.DataFrame([dict.fromkeys(cols, 1.0) | {"y": 1, "org_share": 0.0},
                          dict.fromkeys(cols, 1.0) | {"y": 0},
                          dict.fromkeys(cols, 0.0) | {"y": 1, "similarity_share": 0.8}])
    out, w = with_ring_variants(table, np.array([10.0, 5.0, 4.0]))
    assert out.iloc[:3][table.columns].equals(table) and list(w[:3]) == [10.0, 5.0, 4.0]
    var = out.iloc[3:].assign(w=w[3:])
    # ring 0 shows all six families: six variants and one in an org, sharing its weight 10
    assert np.isclose(var["w"].sum(), 10.0 + 4.0)
    full = var[var["device_share"] + var["burst_share"] + var["plan_surprise"] > 0]
    for family, family_cols in FAMILY_COLUMNS.items():
        gone = full[(full[list(family_cols)] == 0).all(axis=1)]
        assert len(gone) == 1, family
        assert gone["evidence_families"].iloc[0] < 7
    assert (var["org_share"] >= 0.9).sum() == 2  # one org variant per ring
    assert not (var["y"] == 0).any()  # benign clusters are never varied


def test_a_small_ring_is_as_risky_as_a_big_one():
    """Size is not what makes a ring risky: 35 members score like 350."""
    m = default_model()
    assert "log10_size" not in m.features
    small_links, small_truth = add_dc_group(
        *make_links(n_benign=3000, ring_sizes=(), seed=4), size=35
    )
    big_links, big_truth = add_dc_group(*make_links(n_benign=3000, ring_sizes=(), seed=4), size=350)
    r_small = detect_links(small_links, DetectionConfig(), seed=11).clusters["risk"].max()
    r_big = detect_links(big_links, DetectionConfig(), seed=11).clusters["risk"].max()
    assert r_small >= 0.9 and r_big >= 0.9
    assert abs(np.log(r_small / (1 - r_small + 1e-12)) - np.log(r_big / (1 - r_big + 1e-12))) < 5


def test_default_model_is_fitted_on_many_archetypes_and_uses_no_named_tactic():
    m = default_model()
    assert set(m.features) <= set(MODEL_FEATURES)
    assert len(m.trained_on.get("archetypes", [])) >= 8
    # no operator data, no size or raw volume, no share of one *kind* of thing (named proxy
    # vs datacenter, device vs identifier, one behaviour signal): those taught trees the
    # generator's tactics
    kind_specific = ("prepaid_share", "proxy_share", "entry_plan_share", "log10_size",
                     "log10_size_capped", "median_requests", "datacenter_share", "device_share",
                     "identifier_share", "prompt_template_share", "timing_sync_share",
                     "model_pivot_share", "plan_top_share", "country_top_share",
                     "email_domain_top_share")
    for banned_feature in kind_specific:
        assert banned_feature not in m.inputs
    plain = default_model(has_similarity=False)
    assert not set(plain.inputs) & {"similarity_share", "similarity_surprise", "signal_mix"}
    assert plain.trained_on["archetypes"] == m.trained_on["archetypes"]
    assert m.threshold == 0.9


def test_campaign_lift_raises_unsure_siblings_of_a_flagged_cluster_only():
    """A campaign's weaker group strongly linked to a flagged sibling is raised to the bar;
    a benign group under the floor, a weak link, or a link to a merely raised cluster is not."""
    from graphlink.detect.scoring import campaign_lift

    cfg = DetectionConfig().with_(campaign_floor=0.3, campaign_link_weight=1.0)
    risk = np.array([0.95, 0.50, 0.10, 0.60, 0.60, 0.40])
    # edges as (cluster of src, cluster of dst, weight); -1: an account outside every cluster
    edges = [(0, 1, 0.7), (1, 0, 0.5),   # c1 - c0: 1.2 over two links -> raised
             (2, 0, 5.0),                # c2 is under the floor whatever its link
             (3, 1, 9.0),                # c3 links to c1 only, which was not flagged
             (4, 0, 0.5),                # c4's link is too weak
             (5, -1, 9.0), (5, 5, 9.0)]  # c5: outside and internal links only
    cs, cd, w = (np.array(x) for x in zip(*edges))
    new, link = campaign_lift(risk, cs, cd, w.astype(float), len(risk), cfg)
    assert new.tolist() == [0.95, 0.9, 0.10, 0.60, 0.60, 0.40]
    assert link[1] == pytest.approx(1.2) and link[4] == pytest.approx(0.5)
    assert link[0] == link[2] == link[3] == link[5] == 0.0
    # A zero link bar still needs a link: only unsure clusters touching a flagged one rise.
    any_link = cfg.with_(campaign_link_weight=0.0)
    assert campaign_lift(risk, cs, cd, w.astype(float), len(risk), any_link)[0].tolist() == \
        [0.95, 0.9, 0.10, 0.60, 0.9, 0.40]
    off = DetectionConfig().with_(campaign_floor=1.0)
    assert campaign_lift(risk, cs, cd, w.astype(float), len(risk), off)[0].tolist() == risk.tolist()


def test_detection_lifts_a_campaigns_unsure_group_and_says_so():
    """On a generated world (seed 7, 20k) one ring group scores under the bar next to a
    flagged sibling: detection raises it to the bar, keeps its own score as ``model_risk``,
    and every member carries ``campaign_link``; with the lift off it stays under the bar."""
    from graphlink.detect.source import links_from_scenario
    from graphlink.synth import generate

    sc = generate(20_000, seed=7)
    links = links_from_scenario(sc)
    cfg = DetectionConfig()
    on = detect_links(links, cfg, seed=42)
    raised = on.clusters[on.clusters["reasons"].map(lambda r: "campaign_link" in r)]
    assert len(raised) >= 1
    assert (raised["risk"] == cfg.risk_threshold).all()
    assert raised["model_risk"].between(cfg.campaign_floor, cfg.risk_threshold,
                                        inclusive="left").all()
    assert (raised["campaign_link_weight"] >= cfg.campaign_link_weight).all()
    carried = on.members.loc[on.members["reasons"].map(lambda r: "campaign_link" in r),
                             "cluster_id"]
    assert set(carried) == set(raised["cluster_id"])
    ring = set(sc.truth.loc[sc.truth["segment"] == "ring", "account_id"])
    lifted_members = on.members[on.members["cluster_id"].isin(raised["cluster_id"])]
    assert lifted_members["account_id"].isin(ring).mean() > 0.9

    off = detect_links(links, cfg.with_(campaign_floor=1.0), seed=42)
    assert not off.clusters["reasons"].map(lambda r: "campaign_link" in r).any()
    same = off.members[off.members["account_id"].isin(lifted_members["account_id"])]
    assert (same["cluster_risk"] < cfg.risk_threshold).all()


def test_members_of_a_raised_cluster_need_a_stronger_tie():
    """A raised cluster was not certain on its own, so a member hanging on it by a weak
    tie (0.3: banned in a cluster flagged on its own) is skipped as weak_tie."""
    clusters = pd.DataFrame({"cluster_id": ["c-own", "c-raised"], "size": [2, 2],
                             "risk": [0.9, 0.9],
                             "reasons": [["shared_payment"], ["shared_payment", "campaign_link"]]})
    # account_risk = cluster_risk * (0.5 + 0.5 * tie): tie 1.0 -> 0.9, tie 0.3 -> 0.585
    members = pd.DataFrame({"account_id": ["a1", "a2", "b1", "b2"],
                            "cluster_id": ["c-own", "c-own", "c-raised", "c-raised"],
                            "account_risk": [0.9, 0.585, 0.9, 0.585],
                            "reasons": [["shared_payment"]] * 4})
    plan = select_wave(clusters, members, None, WaveParams())
    assert sorted(plan.entries["account_id"]) == ["a1", "a2", "b1"]
    assert plan.skipped.set_index("account_id").loc["b2", "why"] == "weak_tie"
    loose = select_wave(clusters, members, None, WaveParams(min_tie_linked=0.2))
    assert sorted(loose.entries["account_id"]) == ["a1", "a2", "b1", "b2"]


def test_a_household_hanging_on_one_bridge_is_attached_not_part_of_the_ring():
    """A family (own card and device links) whose only link to the ring is one shared
    template is attached; the ring's own card-sharing team, linked to the rest of the ring
    by its infrastructure, is not; neither is a group that makes up half its cluster."""
    from graphlink.detect import linking as L
    from graphlink.detect.scoring import attached_households

    card, device, ip = L.PAYMENT, L.DEVICE, L.IP | L.PROXY
    edges = []
    ring = list(range(12))
    edges += [(a, b, 0.4, ip) for i, a in enumerate(ring) for b in ring[i + 1:]]
    edges += [(0, 1, 1.0, card), (1, 2, 1.0, card)]                    # the ring's card team
    family = [12, 13, 14, 15]
    edges += [(a, b, 2.0, card | device) for i, a in enumerate(family) for b in family[i + 1:]]
    edges += [(12, 5, 1.4, L.SIMILAR | L.PROMPT_TEMPLATE)]             # the one bridge
    src, dst, w, bits = (np.array(x) for x in zip(*edges))
    node_c = np.zeros(16, np.int64)
    got = attached_households(16, src, dst, w.astype(float), bits, node_c, 0.3)
    assert got.tolist() == [False] * 12 + [True] * 4
    # one bridge as heavy as the family's own links: part of the cluster
    heavy = np.where((src == 12) & (dst == 5), 12.0, w.astype(float))
    assert not attached_households(16, src, dst, heavy, bits, node_c, 0.3).any()
    # the family alone with four ring accounts is half its cluster: not a minority household
    small = np.isin(src, [*family, 0, 1, 2, 5]) & np.isin(dst, [*family, 0, 1, 2, 5])
    sub_c = np.where(np.isin(np.arange(16), [*family, 0, 1, 2, 5]), 0, -1)
    assert not attached_households(16, src[small], dst[small], w[small].astype(float),
                                   bits[small], sub_c, 0.3).any()
    assert not attached_households(16, src, dst, w.astype(float), bits, node_c, 0.0).any()
    # a household is a handful of people: capped below the family's four, it is not one
    capped = attached_households(16, src, dst, w.astype(float), bits, node_c, 0.3, max_size=3)
    assert not capped.any()
    at_four = attached_households(16, src, dst, w.astype(float), bits, node_c, 0.3, max_size=4)
    assert at_four.tolist() == got.tolist()


def test_a_household_behind_a_public_exit_is_attached_a_ring_team_is_not():
    """A two-person family (card and home address) that shares a VPN exit with a few ring
    members and with strangers outside the cluster is attached, however heavy that exit's
    links into the ring are; the ring's card team, whose addresses lead to the rest of the
    ring, is not; a family tied to the ring by a template pair as well is not."""
    from graphlink.detect import linking as L
    from graphlink.detect.scoring import attached_households

    card, ip = L.PAYMENT, L.IP | L.PROXY
    ring, family, strangers = list(range(12)), [12, 13], list(range(14, 24))
    edges = [(a, b, 0.4, ip) for i, a in enumerate(ring) for b in ring[i + 1:]]
    edges += [(0, 1, 1.0, card), (1, 2, 1.0, card)]                    # the ring's card team
    edges += [(12, 13, 1.3, card | L.IP)]                              # the family
    edges += [(f, r, 0.1, ip) for f in family for r in ring[:5]]       # the exit, into the ring
    edges += [(f, x, 0.1, ip) for f in family for x in strangers]      # ... and to strangers
    src, dst, w, bits = (np.array(x) for x in zip(*edges))
    w = w.astype(float)
    node_c = np.where(np.arange(24) < 14, 0, -1)                       # strangers: no cluster
    # bridge 1.0 against 1.3 inside: the bridge rule alone keeps the family in the ring
    assert not attached_households(24, src, dst, w, bits, node_c, 0.3).any()
    got = attached_households(24, src, dst, w, bits, node_c, 0.3, exit_ratio=1.0)
    assert got.tolist()[:14] == [False] * 12 + [True] * 2
    alone = attached_households(24, src, dst, w, bits, node_c, 0.0, exit_ratio=1.0)
    assert alone.tolist() == got.tolist()                      # the bridge rule off: same
    # fewer strangers than ring members behind the exit: it is the ring's address
    few = ~(np.isin(src, family) & np.isin(dst, strangers[4:]))
    assert not attached_households(24, src[few], dst[few], w[few], bits[few], node_c, 0.3,
                                   exit_ratio=1.0).any()
    # a template pair into the ring as well: more than an address, not attached
    src2, dst2 = np.append(src, 12), np.append(dst, 7)
    w2, bits2 = np.append(w, 0.2), np.append(bits, L.SIMILAR | L.PROMPT_TEMPLATE)
    assert not attached_households(24, src2, dst2, w2, bits2, node_c, 0.3, exit_ratio=1.0).any()


def test_detection_skips_the_households_leiden_left_inside_a_ring():
    """Generated world (seed 3, 20k): with the household rule off the wave bans benign
    households Leiden kept inside ring clusters (members tied by their own family links);
    with it on they are skipped as weak_tie and not one ring account is lost."""
    from graphlink.detect.source import links_from_scenario
    from graphlink.synth import generate

    sc = generate(20_000, seed=3)
    links = links_from_scenario(sc)
    seg = sc.truth.set_index("account_id")["segment"]
    waves = {}
    for hb in (0.0, DetectionConfig().household_bridge):
        off_too = {} if hb else {"household_exit_ratio": 0.0}   # both household rules off
        res = detect_links(links, DetectionConfig().with_(household_bridge=hb, **off_too),
                           seed=42)
        waves[hb] = select_wave(res.clusters, res.members, links.accounts, WaveParams())
    off, on = waves[0.0], waves[DetectionConfig().household_bridge]
    benign_off = off.entries[off.entries["account_id"].map(seg) != "ring"]
    assert len(benign_off) >= 3, benign_off
    assert (on.entries["account_id"].map(seg) == "ring").all()
    banned_ring = [set(w.entries["account_id"][w.entries["account_id"].map(seg) == "ring"])
                   for w in (on, off)]
    assert banned_ring[0] == banned_ring[1]
    skipped = on.skipped.set_index("account_id")
    assert (skipped.loc[benign_off["account_id"], "why"] == "weak_tie").all()


def test_an_outsider_tied_like_a_member_joins_after_scoring():
    """An account Leiden left alone whose links into one cluster weigh half its median
    member's (and at least one card link's) joins that cluster with its own reasons; one
    hanging on a single light link does not; a cluster raised by campaign_link (its
    median given as NaN) takes nobody; 0 turns it off."""
    from types import SimpleNamespace

    from graphlink.detect import linking as L
    from graphlink.detect.scoring import reasons_from_masks, strongly_tied_outsiders

    card, ip = L.PAYMENT, L.IP | L.PROXY
    ring = [0, 1, 2, 3]
    edges = [(a, b, 1.0, card) for i, a in enumerate(ring) for b in ring[i + 1:]]  # median 3.0
    edges += [(4, r, 0.5, ip) for r in ring]                       # outsider: 2.0 into the ring
    edges += [(5, 0, 0.3, ip)]                                      # a stranger on one exit
    src, dst, w, bits = (np.array(x) for x in zip(*edges))
    g = SimpleNamespace(src=src, dst=dst, weight=w.astype(float), bits=bits)
    node_c = np.array([0, 0, 0, 0, -1, -1])
    med = np.array([3.0])
    acc, c, wt, mask = strongly_tied_outsiders(g, node_c, med, 0.5)  # type: ignore[arg-type]
    assert acc.tolist() == [4] and c.tolist() == [0] and wt.tolist() == [2.0]
    assert set(reasons_from_masks(mask)[0]) >= {"shared_ip", "proxy_provider"}
    assert strongly_tied_outsiders(g, node_c, med, 0.75)[0].tolist() == []  # type: ignore[arg-type]
    assert strongly_tied_outsiders(g, node_c, np.array([np.nan]), 0.5)[0].tolist() == []  # type: ignore[arg-type]
    assert strongly_tied_outsiders(g, node_c, med, 0.0)[0].tolist() == []  # type: ignore[arg-type]
    # a cluster of weakly tied members: half its median is below one card link's weight
    assert strongly_tied_outsiders(g, node_c, np.array([0.5]), 0.5)[0].tolist() == [4]  # type: ignore[arg-type]
    light = np.where(src == 4, 0.2, w.astype(float))                # outsider: 0.8 in all
    g2 = SimpleNamespace(src=src, dst=dst, weight=light, bits=bits)
    assert strongly_tied_outsiders(g2, node_c, np.array([0.5]), 0.5)[0].tolist() == []  # type: ignore[arg-type]


@pytest.mark.parametrize("with_pairs", [True, False], ids=["pairs", "no pairs"])
def test_a_ring_on_a_domain_of_its_own_buys_no_discount(with_pairs):
    """The synchronized datacenter group of the frames, two thirds of its members on a
    domain nobody else uses, is banned with and without behaviour pairs, as it is on
    webmail: neither model reads "members on one unusual domain" as evidence against
    (a ring can register a domain; a term that did fell to 0.757 here without pairs)."""
    from dataclasses import replace

    from graphlink.detect.training import OWN_DOMAIN_TERM

    model = default_model(has_similarity=with_pairs)
    assert OWN_DOMAIN_TERM not in model.features
    for domain in (None, "mail.test"):  # None: two thirds on dc-mail.test
        links, truth = make_links(n_benign=3000, ring_sizes=(60,), seed=3)
        links, truth = add_dc_group(links, truth, email_domain=domain)
        links, truth = add_campus_lab(links, truth)
        if not with_pairs:
            links = replace(links, similarity=links.similarity.iloc[:0])
        banned = _wave_groups(links, truth, DetectionConfig(), model=model)
        assert banned.get("ring-dc", 0) == 36, (domain, banned.to_dict())
        assert set(banned.index) <= {"ring-0", "ring-dc"}, banned.to_dict()


def test_a_member_showing_little_of_its_clusters_evidence_is_skipped_as_atypical():
    """Ring members show card, proxy, burst and templates together; an ordinary user in the
    cluster for one prompt template it shares with a member shows one of the cluster's five
    reasons, and is skipped for review; ``campaign_link`` counts on neither side; a member
    with no recorded reasons (an old run) is never skipped by the rule; 0 turns it off."""
    from graphlink.banwave import SKIP_ATYPICAL, conformity

    ring_reasons = ["shared_payment", "proxy_provider", "signup_burst", "prompt_template",
                    "timing_sync"]
    clusters = pd.DataFrame({"cluster_id": ["c-1", "c-2"], "size": [6, 2], "risk": [0.95, 0.95],
                             "reasons": [ring_reasons + ["campaign_link"], ["shared_payment"]]})
    members = pd.DataFrame({
        "account_id": ["r1", "r2", "r3", "u1", "old", "t1", "t2"],
        "cluster_id": ["c-1"] * 5 + ["c-2"] * 2,
        "account_risk": [0.95] * 7,
        "reasons": [ring_reasons, ring_reasons[:3], ring_reasons[1:3],   # 5/5, 3/5, 2/5
                    ["prompt_template", "campaign_link"],                 # 1/5
                    [], ["shared_payment"], ["shared_payment"]],
    })
    got = conformity(list(members["reasons"]), [list(clusters.set_index("cluster_id").loc[c,
                     "reasons"]) for c in members["cluster_id"]])
    assert got.round(2).tolist() == [1.0, 0.6, 0.4, 0.2, 1.0, 1.0, 1.0]
    plan = select_wave(clusters, members, None, WaveParams(min_conformity=0.3))
    assert sorted(plan.entries["account_id"]) == ["old", "r1", "r2", "r3", "t1", "t2"]
    assert plan.skipped.set_index("account_id").loc["u1", "why"] == SKIP_ATYPICAL
    off = select_wave(clusters, members, None, WaveParams(min_conformity=0.0))
    assert "u1" in set(off.entries["account_id"])
    with pytest.raises(ValueError, match="min_conformity"):
        WaveParams(min_conformity=1.2)


def test_a_ring_missing_from_the_behaviour_pairs_keeps_its_infrastructure_risk(world):
    """Infrastructure floor: the upstream pairs cover everyone but the synchronized
    datacenter group.  Its cluster scores at least what the snapshot with no pairs at all
    gives it (the model without similarity features): absent pairs are "not observed",
    never acquittal.  The campus lab, which does have pairs, stays out of the wave; with
    the floor off, the same cluster scores lower than without any pairs."""
    from dataclasses import replace

    links, truth = world
    dc = set(truth.loc[truth["group"] == "ring-dc", "account_id"])
    s = links.similarity
    partial = replace(links, similarity=s[~(s["account_a"].isin(dc) | s["account_b"].isin(dc))])
    none = replace(links, similarity=s.iloc[:0])

    def dc_risk(lk, config: DetectionConfig) -> tuple[float, pd.DataFrame]:
        res = detect_links(lk, config, seed=11)
        mem = res.members[res.members["account_id"].isin(dc)]
        assert len(mem) == len(dc)
        return float(mem["cluster_risk"].min()), res.clusters

    on = DetectionConfig().with_(infrastructure_floor=True)
    alone, _ = dc_risk(none, on)
    floored, clusters = dc_risk(partial, on)
    unfloored, _ = dc_risk(partial, DetectionConfig())  # off by default
    assert floored >= alone - 1e-9 and floored >= unfloored
    assert unfloored < alone  # what the floor is for, in this world
    assert clusters["infrastructure_risk"].notna().all()
    banned = _wave_groups(partial, truth, on)
    assert banned.get("ring-dc", 0) == 36, banned.to_dict()
    assert set(banned.index) <= {"ring-0", "ring-dc"}, banned.to_dict()


def test_the_floor_acts_only_at_the_bar_and_spares_an_own_domain_org():
    """The floor's two gates, with constant models: a floor under the flag bar changes no
    risk (the sign-up check reads risks below the bar too); a floor over it raises every
    cluster except the one presenting as one organisation on its own domain."""
    import math

    def constant(p: float) -> RiskModel:
        return RiskModel(version=f"const-{p}", features=("density",), mean=(0.0,), scale=(1.0,),
                         coef=(0.0,), intercept=math.log(p / (1 - p)))

    links, truth = make_links(n_benign=3000, ring_sizes=(60,), seed=3)
    links, truth = add_dc_group(links, truth, email_domain="mail.test")  # 2/3 on dc-mail.test
    dc = set(truth.loc[truth["group"] == "ring-dc", "account_id"])
    domain = links.accounts["account_id"].isin(dc)
    links.accounts.loc[domain, "email_domain"] = "dc-mail.test"  # every member: one org
    low, cfg = constant(0.3), DetectionConfig()
    below = detect_links(links, cfg, seed=11, model=low, floor_model=constant(0.85)).clusters
    assert np.allclose(below["model_risk"], 0.3) and below["infrastructure_risk"].gt(0.8).all()
    above = detect_links(links, cfg, seed=11, model=low, floor_model=constant(0.95)).clusters
    org = above["email_domain_top_share"].ge(0.8) & above["email_domain_exclusive"].ge(0.8)
    assert org.sum() >= 1
    assert np.allclose(above.loc[org, "model_risk"], 0.3)
    assert np.allclose(above.loc[~org, "model_risk"], 0.95)
