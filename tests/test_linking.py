"""Linking: links -> weighted account graph (pure, no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphlink.detect import DetectionConfig, build_account_graph
from graphlink.detect import linking as L
from graphlink.model import Links

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def _links(accounts, payments=(), ips=(), identifiers=(), similarity=(), orgs=None) -> Links:
    acc = pd.DataFrame({"account_id": accounts, "created_at": T0, "plan": "pro",
                        "org_id": [(orgs or {}).get(a) for a in accounts]})
    pay = pd.DataFrame(list(payments), columns=["account_id", "instrument_id", "kind", "bin"])
    ip = pd.DataFrame(list(ips), columns=["account_id", "ip", "requests", "proxy_provider",
                                          "is_datacenter"])
    idf = pd.DataFrame(list(identifiers), columns=["account_id", "kind", "value"])
    sim = pd.DataFrame(list(similarity), columns=["account_a", "account_b", "score", "signal"])
    return Links(acc, pay, ip, idf, sim)


def _edge(g, a: str, b: str) -> tuple[float, int]:
    ids = list(g.account_ids)
    i, j = sorted((ids.index(a), ids.index(b)))
    hit = np.flatnonzero((g.src == i) & (g.dst == j))
    assert len(hit) == 1, f"no single edge {a}-{b}"
    return float(g.weight[hit[0]]), int(g.bits[hit[0]])


def test_rare_ip_weighs_more_than_a_crowded_one():
    crowd = [f"c{i}" for i in range(30)]
    ips = [("a", "1.1.1.1", 1, None, False), ("b", "1.1.1.1", 1, None, False)]
    ips += [(c, "2.2.2.2", 1, None, False) for c in crowd]
    g = build_account_graph(_links(["a", "b"] + crowd, ips=ips))
    w_pair, bits = _edge(g, "a", "b")
    w_crowd, _ = _edge(g, "c0", "c1")
    assert bits == L.IP
    assert w_pair == pytest.approx(DetectionConfig().w_ip)
    assert w_crowd < w_pair / 5


def test_weights_sum_over_kinds_and_bits_record_each_kind():
    g = build_account_graph(_links(
        ["a", "b"],
        payments=[("a", "p1", "prepaid", "4999"), ("b", "p1", "prepaid", "4999")],
        ips=[("a", "9.9.9.9", 5, "proxyco", True), ("b", "9.9.9.9", 5, "proxyco", True)],
        identifiers=[("a", "device", "d1"), ("b", "device", "d1")],
        similarity=[("a", "b", 0.5, "prompt_template")],
    ))
    cfg = DetectionConfig()
    w, bits = _edge(g, "a", "b")
    expected = (cfg.w_payment * cfg.prepaid_boost + cfg.w_ip * cfg.proxy_boost
                + cfg.identifier_weight("device") + cfg.w_similarity * 0.5)
    assert g.n_edges == 1
    assert w == pytest.approx(expected)
    for bit in (L.PAYMENT, L.PREPAID, L.IP, L.PROXY, L.DATACENTER, L.DEVICE, L.SIMILAR,
                L.PROMPT_TEMPLATE):
        assert bits & bit
    assert not bits & L.IDENTIFIER
    assert L.reasons_of_bits(bits)[:2] == ["shared_payment", "prepaid_card_shared"]
    assert bool(g.nodes.set_index("account_id").loc["a", "uses_proxy"])


def test_huge_shared_ip_is_linked_sparsely_not_as_a_clique():
    n = 5000
    accts = [f"m{i:05d}" for i in range(n)]
    links = _links(accts, ips=[(a, "100.64.0.1", 1, None, False) for a in accts])
    cfg = DetectionConfig(min_edge_weight=0.0)
    g = build_account_graph(links, cfg)
    assert g.n_edges <= n * cfg.sparse_degree          # a clique would be 12.5 million
    assert g.n_edges >= n                               # ... but everyone stays linked
    assert g.stats["things_capped_ip"] == 1
    deg = np.bincount(np.r_[g.src, g.dst], minlength=n)
    assert deg.min() >= 2 and deg.max() <= 2 * cfg.sparse_degree
    # With the default floor, links this weak (1/5000 of an IP each) are not kept at all.
    assert build_account_graph(links).n_edges == 0


def test_links_are_independent_of_row_order():
    rng = np.random.default_rng(0)
    accts = [f"a{i:03d}" for i in range(300)]
    ips = [(a, f"10.0.0.{int(rng.integers(0, 3))}", 1, None, False) for a in accts]
    links = _links(accts, ips=ips)
    shuffled = _links(accts[::-1], ips=[ips[i] for i in rng.permutation(len(ips))])
    cfg = DetectionConfig(max_clique=10, min_edge_weight=0.0)   # circulants, not cliques
    g1, g2 = build_account_graph(links, cfg), build_account_graph(shuffled, cfg)
    assert g1.n_edges > 0
    np.testing.assert_array_equal(g1.src, g2.src)
    np.testing.assert_array_equal(g1.dst, g2.dst)
    np.testing.assert_allclose(g1.weight, g2.weight)


def test_thing_above_max_sharers_is_dropped():
    accts = [f"m{i}" for i in range(300)]
    cfg = DetectionConfig(max_sharers=200)
    g = build_account_graph(_links(accts, ips=[(a, "1.0.0.1", 1, None, False) for a in accts]), cfg)
    assert g.n_edges == 0 and g.stats["things_dropped_ip"] == 1


def test_corporate_card_of_one_verified_org_is_discounted():
    accts = ["a", "b", "x", "y"]
    g = build_account_graph(_links(
        accts, orgs={"a": "org-1", "b": "org-1"},
        payments=[("a", "corp", "card", None), ("b", "corp", "card", None),
                  ("x", "shared", "card", None), ("y", "shared", "card", None)],
    ))
    w_org, _ = _edge(g, "a", "b")
    w_strangers, _ = _edge(g, "x", "y")
    assert w_org == pytest.approx(w_strangers * DetectionConfig().same_org_discount)


def test_account_index_is_sorted_and_links_to_unknown_accounts_are_ignored():
    g = build_account_graph(_links(
        ["b", "a"], payments=[("a", "p", "card", None), ("b", "p", "card", None),
                              ("ghost", "p", "card", None)]))
    assert list(g.account_ids) == ["a", "b"]
    assert g.n_edges == 1
