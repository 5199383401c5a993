"""The scenario generator: spec rules, determinism, truth, hard negatives, file formats."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from graphlink.synth import (
    ARCHETYPES,
    FORMATS,
    SEGMENTS,
    TABLES,
    Scenario,
    SynthParams,
    default_ring_accounts,
    generate,
    write_snapshot,
    write_truth,
)
from graphlink.synth.write import as_text

N = 4_000
#: Ring accounts of the shared fixture: enough for one campaign of every archetype.
N_RING = 450


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return generate(N, ring_accounts=N_RING, seed=11)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def test_counts_and_default_ring_size(sc: Scenario) -> None:
    assert default_ring_accounts(N) == 96 and generate(N, seed=11).n_ring == 96
    assert sc.n_ring == N_RING
    assert len(sc.accounts) == N + sc.n_ring
    seg = sc.truth.segment.value_counts()
    assert seg["ring"] == sc.n_ring
    assert seg.drop("ring").sum() == N
    assert default_ring_accounts(1_000_000) == 24_000
    assert default_ring_accounts(10_000_000) == 24_000
    assert default_ring_accounts(100) == 60


def test_explicit_ring_accounts() -> None:
    s = generate(1_000, ring_accounts=250, seed=3)
    assert (s.truth.segment == "ring").sum() == 250
    assert len(s.accounts) == 1_250
    none = generate(1_000, ring_accounts=0, seed=3)
    assert (none.truth.segment == "ring").sum() == 0
    assert none.truth.campaign.eq("").all()


def test_columns_match_spec(sc: Scenario) -> None:
    assert list(sc.accounts.columns) == [
        "account_id",
        "created_at",
        "email_domain",
        "country",
        "plan",
        "org_id",
        "status",
    ]
    assert list(sc.payment_instruments.columns) == [
        "account_id",
        "instrument_id",
        "kind",
        "bin",
        "issuer_country",
        "first_seen",
    ]
    assert list(sc.ip_observations.columns) == [
        "account_id",
        "ip",
        "first_seen",
        "last_seen",
        "requests",
        "asn",
        "proxy_provider",
        "is_datacenter",
    ]
    assert list(sc.identifiers.columns) == ["account_id", "kind", "value", "first_seen"]
    assert list(sc.behaviour_similarity.columns) == ["account_a", "account_b", "score", "signal"]
    assert list(sc.truth.columns) == ["account_id", "campaign", "segment", "group", "archetype"]
    assert str(sc.accounts.created_at.dtype) == "datetime64[ms, UTC]"


def test_spec_rules_hold(sc: Scenario) -> None:
    acc = sc.accounts
    assert acc.account_id.is_unique
    known = set(acc.account_id)
    for name, cols in (
        ("payment_instruments", ["account_id"]),
        ("ip_observations", ["account_id"]),
        ("identifiers", ["account_id"]),
        ("behaviour_similarity", ["account_a", "account_b"]),
    ):
        df = sc.frame(name)
        assert len(df) > 0, name
        for c in cols:
            assert set(df[c]) <= known, f"{name}.{c} refers to unknown accounts"

    pay = sc.payment_instruments
    assert pay.instrument_id.str.fullmatch(r"pi_[0-9a-f]{16}").all()
    for col in (
        pay.instrument_id,
        pay.bin.dropna(),
        sc.identifiers.value,
    ):  # the spec checks whole values
        whole = col.str.replace(r"[ -]", "", regex=True)
        pans = whole[whole.str.fullmatch(r"\d{13,19}")]
        assert not any(_luhn_ok(d) for d in pans)
    assert _luhn_ok("4111111111111111") and not _luhn_ok("4111111111111112")
    assert set(pay.kind) <= {"card", "bank", "wallet", "crypto", "other"}
    bins = pay.bin.dropna()
    assert bins.str.fullmatch(r"\d{6}|\d{8}").all()
    assert not pay.duplicated(["account_id", "instrument_id"]).any()

    ips = sc.ip_observations
    normalised = ips.ip.map(lambda x: str(ipaddress.ip_address(x)))
    assert (normalised == ips.ip).all(), "IPs are written in canonical form"
    assert ips.ip.str.contains(":").any() and (~ips.ip.str.contains(":")).any(), "IPv4 and IPv6"
    assert all(ipaddress.ip_address(x).is_global for x in ips.ip.unique())
    assert (ips.last_seen >= ips.first_seen).all()
    assert (ips.requests >= 0).all()
    assert not ips.duplicated(["account_id", "ip"]).any()

    ids = sc.identifiers
    assert set(ids.kind) == {
        "device", "phone_hash", "oauth_subject", "referral_code", "api_key_prefix"
    }
    assert not ids.duplicated(["account_id", "kind", "value"]).any()

    sim = sc.behaviour_similarity
    assert ((sim.score > 0) & (sim.score <= 1)).all()
    assert (sim.account_a != sim.account_b).all()
    lo = np.minimum(sim.account_a, sim.account_b)
    hi = np.maximum(sim.account_a, sim.account_b)
    assert not pd.DataFrame({"lo": lo, "hi": hi, "s": sim.signal}).duplicated().any()
    assert set(sim.signal) == {"prompt_template", "timing_sync", "model_pivot"}


def test_truth_covers_every_account(sc: Scenario) -> None:
    t = sc.truth
    assert list(t.account_id) == list(sc.accounts.account_id)
    assert set(t.segment) == set(SEGMENTS), "every hard-negative segment present"
    ring = t.segment == "ring"
    assert t.campaign[ring].str.fullmatch(r"hydra-\d{2}").all()
    assert t.campaign[~ring].eq("").all()
    assert t.group[ring].str.fullmatch(r"hydra-\d{2}/r\d+").all()
    assert set(t.archetype[ring]) == set(ARCHETYPES), "every archetype planted"
    assert t.archetype[~ring].eq("").all()
    grouped = t.segment.isin(["campus", "cgnat", "company", "family", "vpn_user", "cohort", "startup"])
    assert t.group[grouped].ne("").all()
    assert t.group[t.segment.isin(["ordinary", "heavy_user"])].eq("").all()


def test_deterministic_and_seed_dependent(tmp_path: Path) -> None:
    a, b, c = generate(1_500, seed=5), generate(1_500, seed=5), generate(1_500, seed=6)
    for name in TABLES:
        assert a.tables[name].equals(b.tables[name]), name
    assert a.truth_table.equals(b.truth_table)
    assert not a.tables["ip_observations"].equals(c.tables["ip_observations"])
    for fmt in FORMATS:
        pa_, pb = (
            write_snapshot(a, tmp_path / f"a-{fmt}", fmt=fmt),
            write_snapshot(b, tmp_path / f"b-{fmt}", fmt=fmt),
        )
        for name in TABLES:
            assert (
                pa_[name].read_bytes() == pb[name].read_bytes()
            ), f"{name}.{fmt} differs between runs"


@pytest.mark.parametrize("fmt", FORMATS)
def test_files_reread_equal(sc: Scenario, fmt: str, tmp_path: Path) -> None:
    paths = write_snapshot(sc, tmp_path, fmt=fmt)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.{fmt}" for t in TABLES)
    for name in TABLES:
        expected = sc.tables[name]
        if fmt == "parquet":
            assert pq.read_table(paths[name]).equals(expected), name
            continue
        text = as_text(expected)
        types = {f.name: f.type for f in text.schema}
        back = pcsv.read_csv(
            paths[name],
            convert_options=pcsv.ConvertOptions(
                column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False
            ),
        )
        assert back.equals(text), name
    # timestamps on disk are ISO-8601 UTC
    if fmt != "parquet":
        head = pd.read_csv(paths["accounts"], nrows=5, dtype=str)
        assert head.created_at.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()


def test_switching_format_removes_the_old_files(sc: Scenario, tmp_path: Path) -> None:
    write_snapshot(sc, tmp_path, fmt="csv")
    write_snapshot(sc, tmp_path, fmt="parquet")
    assert not list(tmp_path.glob("*.csv"))


def test_write_truth(sc: Scenario, tmp_path: Path) -> None:
    path = write_truth(sc, tmp_path / "truth.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == ["account_id", "campaign", "segment", "group", "archetype"]
    pd.testing.assert_frame_equal(back, sc.truth.astype(object), check_dtype=False)


# --- the scenario is hard in the ways the brief asks -----------------------------------------


def _with_truth(sc: Scenario, name: str) -> pd.DataFrame:
    return sc.frame(name).merge(sc.truth, on="account_id")


def _arch(df: pd.DataFrame, archetype: str) -> pd.DataFrame:
    return df[(df.segment == "ring") & (df.archetype == archetype)]


def test_reseller_rings_share_infrastructure(sc: Scenario) -> None:
    pay = _arch(_with_truth(sc, "payment_instruments"), "reseller_pool")
    per_card = pay.groupby("instrument_id").account_id.nunique()
    assert per_card.max() >= 10, "a prepaid card shared by tens of ring accounts"
    shared = per_card[per_card >= 10].index
    bins = pay[pay.instrument_id.isin(shared)].drop_duplicates("instrument_id").bin
    assert bins.isin(sc.names.prepaid_bins).any(), "bought prepaid cards (the world's BINs)"
    ips = _arch(_with_truth(sc, "ip_observations"), "reseller_pool")
    assert ips.proxy_provider.notna().mean() > 0.4, "one reseller's named pool"
    acc = _arch(sc.accounts.merge(sc.truth, on="account_id"), "reseller_pool")
    entry = {sc.names.plan(r) for r in ("edu", "startup", "free", "lite")}
    assert acc.plan.isin(entry).mean() > 0.6
    sim = _arch(
        sc.behaviour_similarity.merge(sc.truth, left_on="account_a", right_on="account_id"),
        "reseller_pool",
    )
    assert sim.score.median() > 0.7
    assert sim.score.min() < 0.4, "rings mix in mundane behaviour"


def test_hard_negatives(sc: Scenario) -> None:
    ips = _with_truth(sc, "ip_observations")
    seg_of_ip = ips.groupby("ip").segment.agg(set)
    assert seg_of_ip.map(
        lambda s: {"ring", "vpn_user"} <= s
    ).any(), "VPN users share exits with rings"
    assert (
        seg_of_ip.map(lambda s: "ring" in s and len(s) > 1).sum() >= 3
    ), "ring IPs are not ring-only"
    campus = ips[ips.segment == "campus"].groupby("ip").account_id.nunique()
    assert campus.max() >= 20, "a campus NAT address carries many students"
    cgnat = ips[ips.segment == "cgnat"].groupby("ip").account_id.nunique()
    assert cgnat.max() >= 20
    pay = _with_truth(sc, "payment_instruments")
    corp = pay[pay.segment == "company"].groupby("instrument_id").account_id.nunique()
    assert corp.max() >= 3
    acc = sc.accounts.merge(sc.truth, on="account_id")
    company = acc[acc.segment == "company"]
    assert company.org_id.notna().mean() > 0.8
    assert company.plan.isin(["team", "enterprise", sc.names.plan("startup")]).mean() > 0.8
    assert acc[~acc.segment.isin(["company", "ring"])].org_id.isna().all()
    ring = acc[acc.segment == "ring"]
    shells = (ring.plan != sc.names.plan("startup")) & (ring.archetype != "fake_verified_org")
    assert ring[shells].org_id.isna().all(), "only startup shells and fake orgs are verified"
    sim = sc.behaviour_similarity.merge(sc.truth, left_on="account_a", right_on="account_id")
    campus_pairs = sim[(sim.segment == "campus") & (sim.signal == "prompt_template")]
    assert len(campus_pairs) > 10 and 0.3 < campus_pairs.score.median() < 0.7
    # (this small fixture is ring-heavy: 450 ring accounts, synchronized cliques among them)
    assert (sim.segment != "ring").mean() > 0.1, "a solid share of benign pairs"
    paired = set(sim.segment)
    assert {"campus", "company", "family", "cohort", "startup", "heavy_user"} <= paired


@pytest.mark.parametrize("seed", [2, 3])
def test_every_archetype_at_20k_benign(seed: int) -> None:
    s = generate(20_000, seed=seed)  # 480 ring accounts
    t = s.truth[s.truth.segment == "ring"]
    assert set(t.archetype) == set(ARCHETYPES)
    assert t.campaign.nunique() >= len(ARCHETYPES) and t.group.nunique() >= 20
    assert t.groupby("campaign").size().min() >= 30, "every campaign of a realistic size"
    assert t.groupby("campaign").archetype.nunique().eq(1).all()
    heads = t[t.archetype == "many_heads"]
    assert heads.groupby("campaign").group.nunique().between(8, 15).all()
    assert heads.group.value_counts().min() >= 5


def test_params_validated() -> None:
    with pytest.raises(ValueError):
        SynthParams(ring_size_min=50, ring_size_max=10)
    with pytest.raises(ValueError):
        SynthParams(campus_share=0.6, cgnat_share=0.6)
    with pytest.raises(ValueError):
        generate(-1)


def test_params_change_the_scenario() -> None:
    loose = generate(
        2_000, seed=4, params=SynthParams(shared_instrument_rate=0.0, camouflage_rate=0.0)
    )
    pay = loose.payment_instruments.merge(loose.truth, on="account_id")
    ring = pay[pay.segment == "ring"]
    assert (
        ring.groupby("instrument_id").account_id.nunique().max() <= 2
    )  # only the weak sub-ring links


def test_cli_writes_snapshot_and_truth(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from graphlink.cli import app

    res = CliRunner().invoke(
        app,
        [
            "synth",
            "--out",
            str(tmp_path / "snap"),
            "--truth",
            str(tmp_path / "t.csv"),
            "--accounts",
            "800",
            "--seed",
            "2",
            "--format",
            "csv.gz",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "snap" / "accounts.csv.gz").exists()
    truth = pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False)
    assert len(truth) == 860 and (truth.segment == "ring").sum() == 60
    assert "ip_observations" in res.output


def test_rings_pivot_within_a_day_of_the_release(sc: Scenario) -> None:
    from graphlink.synth import MODEL_RELEASE

    release = pd.Timestamp(MODEL_RELEASE, unit="s", tz="UTC")
    ips = _with_truth(sc, "ip_observations")
    in_day = ips.first_seen.between(release, release + pd.Timedelta(hours=24))
    by_seg = in_day.groupby(ips.segment).mean()
    assert by_seg["ring"] > 0.2
    assert by_seg["ordinary"] < 0.1
    assert by_seg["heavy_user"] > 0.1, "early adopters pivot too"
    acc = sc.accounts.merge(sc.truth, on="account_id")

    def burst_share(seg: str) -> float:
        """Share of the segment's accounts with 5+ accounts of their group/segment within 6 h."""
        sub = acc[acc.segment == seg]
        keys = sub.group if seg == "ring" else sub.segment
        hits = 0
        for _, t in sub.created_at.groupby(keys):
            x = np.sort(t.dt.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64))
            near = np.searchsorted(x, x + 6 * 3600, "right") - np.searchsorted(x, x - 6 * 3600)
            hits += int((near > 5).sum())
        return hits / len(sub)

    assert burst_share("ring") > 0.25, "sign-ups come in bursts"
    assert burst_share("family") < 0.05 and burst_share("ordinary") < 0.05


def test_research_labs_look_like_rings(sc: Scenario) -> None:
    ips = _with_truth(sc, "ip_observations")
    lab_servers = (
        ips[(ips.segment == "campus") & ips.is_datacenter].groupby("ip").account_id.nunique()
    )
    assert lab_servers.max() >= 5, "lab servers: datacenter addresses shared by students"
    pay = _with_truth(sc, "payment_instruments")
    lab_cards = pay[pay.segment == "campus"].groupby("instrument_id").account_id.nunique()
    assert lab_cards.max() >= 3
    sim = sc.behaviour_similarity.merge(sc.truth, left_on="account_a", right_on="account_id")
    campus = sim[sim.segment == "campus"]
    assert (campus.signal == "model_pivot").any() and (campus.score > 0.8).sum() >= 20


def test_ring_accounts_appear_in_pairs_unevenly(sc: Scenario) -> None:
    sim = sc.behaviour_similarity
    t = sc.truth
    ring = t.account_id[t.archetype.isin(["reseller_pool", "no_shared_card", "aged_accounts"])]
    deg = pd.concat([sim.account_a, sim.account_b]).value_counts().reindex(ring, fill_value=0)
    assert deg.mean() > 3
    assert (deg <= 1).mean() > 0.05, "some ring accounts are (nearly) silent"
    assert deg.max() > 4 * deg.median(), "template hubs"
    even = generate(N, ring_accounts=N_RING, seed=11, params=SynthParams(ring_activity_sigma=0.0))
    sim = even.behaviour_similarity
    deg_even = pd.concat([sim.account_a, sim.account_b]).value_counts().reindex(ring, fill_value=0)
    assert (deg_even <= 1).mean() < (deg <= 1).mean()


def test_proxy_intel_coverage() -> None:
    blind = generate(
        2_000, seed=8, params=SynthParams(proxy_intel_coverage=0.0, resi_proxy_intel_coverage=0.0)
    )
    assert blind.ip_observations.proxy_provider.isna().all()
    full = generate(
        2_000, seed=8, params=SynthParams(proxy_intel_coverage=1.0, resi_proxy_intel_coverage=1.0)
    )
    named = full.ip_observations.merge(full.truth, on="account_id")
    ring = named[named.segment == "ring"]
    assert ring.proxy_provider.notna().mean() > blind.ip_observations.proxy_provider.notna().mean()
    default = generate(2_000, seed=8).ip_observations
    assert 0 < default.proxy_provider.notna().sum() < named.proxy_provider.notna().sum()


def test_subrings_joined_by_a_weak_link_campaigns_apart() -> None:
    import networkx as nx

    s = generate(30_000, seed=9)  # 720 ring accounts
    t = s.truth.set_index("account_id")
    ring = t[t.segment == "ring"]
    ids = s.identifiers
    things = pd.concat(
        [
            s.payment_instruments.rename(columns={"instrument_id": "thing"})[
                ["account_id", "thing"]
            ],
            ids.assign(thing=ids.kind + ":" + ids.value)[["account_id", "thing"]],
        ]
    )
    things["sub"] = ring.group.reindex(things.account_id).to_numpy()
    # things only ring accounts use (popular benign referral codes are no campaign link)
    ring_only = things["sub"].notna().groupby(things.thing).transform("all")
    things = things[ring_only.astype(bool)].drop_duplicates(["thing", "sub"])
    firsts = things.groupby("thing").sub.transform("first")
    g = nx.Graph()
    g.add_nodes_from(ring.group.unique())
    g.add_edges_from(zip(firsts, things["sub"]))
    sim = s.behaviour_similarity
    both = sim[sim.account_a.isin(ring.index) & sim.account_b.isin(ring.index)]
    g.add_edges_from(zip(ring.group[both.account_a], ring.group[both.account_b]))
    g.remove_edges_from(nx.selfloop_edges(g))
    camp = ring.groupby("group").campaign.first()
    assert camp.value_counts().max() >= 2, "some campaign has several sub-rings"
    for comp in nx.connected_components(g):
        assert camp[list(comp)].nunique() == 1, "no card/identifier/pair joins two campaigns"
    for c, subs in camp.groupby(camp):
        assert nx.is_connected(g.subgraph(subs.index)), f"{c}: sub-rings joined"
        if len(subs) > 1:  # weakly: one link between neighbouring sub-rings, not a mesh
            assert g.subgraph(subs.index).number_of_edges() <= 2 * (len(subs) - 1)


@pytest.mark.parametrize(("benign", "ring"), [(0, 0), (1, 0), (0, 1), (3, 2), (0, 25)])
def test_tiny_populations(benign: int, ring: int, tmp_path: Path) -> None:
    s = generate(benign, ring_accounts=ring, seed=1)
    assert len(s.accounts) == benign + ring
    assert (s.truth.segment == "ring").sum() == ring
    for fmt in FORMATS:
        write_snapshot(s, tmp_path / fmt, fmt=fmt)  # type: ignore[arg-type]
    assert len(pd.read_csv(write_truth(s, tmp_path / "t.csv"))) == benign + ring
