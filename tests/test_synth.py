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
    assert list(sc.truth.columns) == ["account_id", "campaign", "segment", "group", "archetype",
                                      "behaviour_pairs"]
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
        "device",
        "phone_hash",
        "oauth_subject",
        "referral_code",
        "api_key_prefix",
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
    grouped = t.segment.isin(
        ["campus", "cgnat", "company", "family", "vpn_user", "cohort", "startup"]
    )
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
            assert pa_[name].read_bytes() == pb[name].read_bytes(), (
                f"{name}.{fmt} differs between runs"
            )


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
    assert list(back.columns) == ["account_id", "campaign", "segment", "group", "archetype",
                                  "behaviour_pairs"]
    pd.testing.assert_frame_equal(back, sc.truth.astype(str).astype(object), check_dtype=False)


# --- the scenario is hard in the ways the brief asks -----------------------------------------


def _with_truth(sc: Scenario, name: str) -> pd.DataFrame:
    return sc.frame(name).merge(sc.truth, on="account_id")


def _arch(df: pd.DataFrame, archetype: str) -> pd.DataFrame:
    return df[(df.segment == "ring") & (df.archetype == archetype)]


def test_reseller_rings_share_infrastructure(sc: Scenario) -> None:
    pay = _arch(_with_truth(sc, "payment_instruments"), "reseller_pool")
    per_card = pay.groupby("instrument_id").account_id.nunique()
    assert per_card.max() >= 8, "a prepaid card shared by many ring accounts (tens at scale)"
    shared = per_card[per_card >= 8].index
    bins = pay[pay.instrument_id.isin(shared)].drop_duplicates("instrument_id").bin
    assert bins.isin(sc.names.prepaid_bins).any(), "bought prepaid cards (the world's BINs)"
    ips = _arch(_with_truth(sc, "ip_observations"), "reseller_pool")
    named = ips.proxy_provider.dropna()
    assert len(named) > 0.15 * len(ips), "one reseller's pool, partly named by the intel feed"
    assert set(named) <= set(sc.names.providers)
    acc = _arch(sc.accounts.merge(sc.truth, on="account_id"), "reseller_pool")
    entry = {sc.names.plan(r) for r in ("edu", "startup", "free", "lite")}
    assert acc.plan.isin(entry).mean() > 0.6
    sim = sc.behaviour_similarity
    sim = sim[sim.account_a.isin(acc.account_id) & sim.account_b.isin(acc.account_id)]
    assert sim.score.median() > 0.6, "alike: templates, timing, pivot"
    assert sim.score.min() < 0.4, "rings mix in mundane behaviour"


def test_hard_negatives(sc: Scenario) -> None:
    ips = _with_truth(sc, "ip_observations")
    seg_of_ip = ips.groupby("ip").segment.agg(set)
    assert seg_of_ip.map(lambda s: {"ring", "vpn_user"} <= s).any(), (
        "VPN users share exits with rings"
    )
    assert seg_of_ip.map(lambda s: "ring" in s and len(s) > 1).sum() >= 3, (
        "ring IPs are not ring-only"
    )
    campus = ips[ips.segment == "campus"].groupby("ip").account_id.nunique()
    assert campus.max() >= 10, "a campus NAT address carries many students"
    cgnat = ips[ips.segment == "cgnat"].groupby("ip").account_id.nunique()
    assert cgnat.max() >= 10
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
    assert (sim.segment != "ring").sum() > 200, "a solid number of benign pairs"
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
        2_000,
        ring_accounts=400,
        seed=8,
        params=SynthParams(proxy_intel_coverage=0.0, resi_proxy_intel_coverage=0.0),
    )
    assert blind.ip_observations.proxy_provider.isna().all()
    full = generate(
        2_000,
        ring_accounts=400,
        seed=8,
        params=SynthParams(proxy_intel_coverage=1.0, resi_proxy_intel_coverage=1.0),
    )
    named = full.ip_observations.merge(full.truth, on="account_id")
    ring = named[named.segment == "ring"]
    assert ring.proxy_provider.notna().mean() > blind.ip_observations.proxy_provider.notna().mean()
    default = generate(2_000, ring_accounts=400, seed=8).ip_observations
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


# --- archetypes: each campaign plants its tactic ----------------------------------------------


@pytest.fixture(scope="module", params=[11, 12])
def arch_sc(request: pytest.FixtureRequest) -> Scenario:
    """One campaign of every archetype (at least), on two seeds."""
    return generate(N, ring_accounts=N_RING, seed=request.param)


def _members_of(sc: Scenario, archetype: str) -> pd.DataFrame:
    t = sc.truth
    return t[(t.segment == "ring") & (t.archetype == archetype)]


def _shared(sc: Scenario, table: str, key: str, members: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``table`` for ``members`` whose ``key`` another member of the same group also has."""
    df = sc.frame(table).merge(members[["account_id", "campaign", "group"]], on="account_id")
    n = df.groupby(["group", key]).account_id.transform("nunique")
    return df[n >= 2]


def test_dc_sync_groups(arch_sc: Scenario) -> None:
    sc = arch_sc
    m = _members_of(sc, "dc_sync_groups")
    assert m.groupby("campaign").group.nunique().between(3, 5).all()
    assert m.group.value_counts().between(30, 45).all()
    ips = _shared(sc, "ip_observations", "ip", m)
    assert len(ips) and ips.is_datacenter.all(), "datacenter machines"
    assert ips.proxy_provider.isna().all(), "no proxy provider named"
    pay = _shared(sc, "payment_instruments", "instrument_id", m)
    big = pay.groupby(["group", "instrument_id"]).account_id.nunique()
    big = big[big >= 3]
    assert big.groupby(level=0).size().le(2).all(), "two instruments per group"
    assert big.groupby(level=0).sum().ge(0.7 * m.group.value_counts()).all()
    ids = _shared(sc, "identifiers", "value", m)
    keys = ids[ids.kind == "api_key_prefix"].groupby("group").account_id.nunique()
    assert (keys / m.group.value_counts()).ge(0.75).all(), "a shared API-key prefix"
    acc = sc.accounts.set_index("account_id").plan.reindex(m.account_id)
    assert (acc == sc.names.plan("api")).mean() >= 0.7
    sim = sc.behaviour_similarity
    grp = m.set_index("account_id").group
    ts = sim[(sim.signal == "timing_sync") & sim.account_a.isin(grp.index)]
    ts = ts[ts.account_b.isin(grp.index)]
    same = grp[ts.account_a].to_numpy() == grp[ts.account_b].to_numpy()
    per_group = pd.Series(grp[ts.account_a].to_numpy()[same]).value_counts()
    size = m.group.value_counts()
    density = per_group / (size * (size - 1) / 2)
    assert density.reindex(size.index).ge(0.85).all(), "a near-complete timing_sync clique"


def test_no_shared_card(arch_sc: Scenario) -> None:
    m = _members_of(arch_sc, "no_shared_card")
    assert len(m) >= 30
    pay = arch_sc.payment_instruments
    mine = pay[pay.account_id.isin(m.account_id)]
    assert mine.account_id.nunique() > 0.7 * len(m), "they do pay, each with its own card"
    holders = pay[pay.instrument_id.isin(mine.instrument_id)].groupby("instrument_id").size()
    assert holders.max() == 1, "no instrument shared with anybody"
    ids = _shared(arch_sc, "identifiers", "value", m)
    assert len(ids) > 0, "tied by devices / phones / codes instead"


def test_no_behaviour(arch_sc: Scenario) -> None:
    m = _members_of(arch_sc, "no_behaviour")
    assert len(m) >= 30
    sim = arch_sc.behaviour_similarity
    assert not (sim.account_a.isin(m.account_id) | sim.account_b.isin(m.account_id)).any()
    assert len(_shared(arch_sc, "ip_observations", "ip", m)) > 0, "infrastructure only"


def test_many_heads(arch_sc: Scenario) -> None:
    import ipaddress

    sc = arch_sc
    m = _members_of(sc, "many_heads")
    assert m.groupby("campaign").group.nunique().between(8, 15).all()
    ips = _shared(sc, "ip_observations", "ip", m)
    ips = ips[ips.account_id.isin(m.account_id)]
    own = ips.groupby("ip").group.nunique() == 1  # a head's own subnet, nobody else's
    sub = ips[ips.ip.isin(own[own].index) & ips.proxy_provider.isna()]

    def net(ip: str) -> str:
        a = ipaddress.ip_address(ip)
        return str(ipaddress.ip_network(f"{ip}/{64 if a.version == 6 else 24}", strict=False))

    nets = sub.assign(net=sub.ip.map(net)).groupby("group").net.nunique()
    assert len(nets) >= 8 and nets.le(2).mean() > 0.8, "each head on its own small subnet"
    assert sub.ip.str.contains(":").any(), "some heads on an IPv6 /64"
    assert ips.proxy_provider.isna().mean() > 0.9, "no provider names on the heads' subnets"
    created = sc.accounts.set_index("account_id").created_at.reindex(m.account_id)
    assert (created < pd.Timestamp("2025-10-01", tz="UTC")).any(), "some accounts aged"
    entry = {sc.names.plan(r) for r in ("edu", "startup", "lite")}
    plans = sc.accounts.set_index("account_id").plan.reindex(m.account_id)
    assert plans.isin(entry).mean() > 0.5


def test_aged_accounts(arch_sc: Scenario) -> None:
    sc = arch_sc
    m = _members_of(sc, "aged_accounts")
    created = sc.accounts.set_index("account_id").created_at.reindex(m.account_id)
    for _, t in created.groupby(m.campaign.to_numpy()):
        days = np.sort(t.astype("int64").to_numpy()) / 86_400_000  # ms -> days
        assert days.max() - days.min() > 180, "created months or years apart"
        near = np.searchsorted(days, days + 0.25) - np.searchsorted(days, days - 0.25)
        assert (near >= 5).mean() < 0.1, "no sign-up burst"
    assert len(_shared(sc, "payment_instruments", "instrument_id", m)) > 0, "ring-like sharing"


def test_fake_verified_org(arch_sc: Scenario) -> None:
    sc = arch_sc
    m = _members_of(sc, "fake_verified_org")
    acc = sc.accounts.merge(sc.truth[["account_id", "segment"]], on="account_id")
    mine = acc[acc.account_id.isin(m.account_id)].merge(m[["account_id", "campaign"]])
    assert mine.org_id.notna().mean() > 0.7
    top = mine.groupby("campaign").org_id.agg(lambda s: s.value_counts(normalize=True).iloc[0])
    assert top.ge(0.8).all(), "one org per campaign"
    orgs = set(mine.org_id.dropna())
    assert not acc[(acc.segment != "ring") & acc.org_id.isin(orgs)].shape[0]
    assert mine.plan.isin(["team", sc.names.plan("startup")]).mean() > 0.5
    assert len(_shared(sc, "ip_observations", "ip", m)) > 0, "shared proxy exits"


def _links_per_member(sc: Scenario, m: pd.DataFrame) -> pd.Series:
    """Per member: shared things (IP, instrument, identifier) + pairs tying it to a
    campaign-mate."""
    camp = m.set_index("account_id").campaign
    n = pd.Series(0, index=camp.index)
    for table, key in (
        ("ip_observations", "ip"),
        ("payment_instruments", "instrument_id"),
        ("identifiers", "value"),
    ):
        df = sc.frame(table)
        df = df[df.account_id.isin(camp.index)].assign(c=lambda d: camp[d.account_id].to_numpy())
        mates = df.groupby(["c", key]).account_id.transform("nunique")
        n = n.add(df[mates >= 2].groupby("account_id").size(), fill_value=0)
    sim = sc.behaviour_similarity
    s = sim[sim.account_a.isin(camp.index) & sim.account_b.isin(camp.index)]
    s = s[camp[s.account_a].to_numpy() == camp[s.account_b].to_numpy()]
    n = n.add(pd.concat([s.account_a, s.account_b]).value_counts(), fill_value=0)
    return n


def test_weak_single_link(arch_sc: Scenario) -> None:
    m = _members_of(arch_sc, "weak_single_link")
    links = _links_per_member(arch_sc, m)
    assert (links == 1).mean() > 0.6, "most members hang on one weak link"
    assert links.max() >= 5, "a small core holds the ring together"
    assert (links == 0).mean() < 0.1


def test_residential_proxy(arch_sc: Scenario) -> None:
    from graphlink.synth.params import RESI_ASNS

    m = _members_of(arch_sc, "residential_proxy")
    ips = _shared(arch_sc, "ip_observations", "ip", m)
    ips = ips[ips.ip.isin(ips.groupby("ip").group.nunique().pipe(lambda s: s[s == 1]).index)]
    assert len(ips) > 0
    assert ips.proxy_provider.isna().all() and not ips.is_datacenter.any()
    assert ips.asn.isin(RESI_ASNS).all(), "home addresses"
    # shared over time: some exit serves two members in turns (windows that do not overlap)
    turns = 0
    for _, g in ips.groupby("ip"):
        g = g.sort_values("first_seen")
        turns += int((g.first_seen.to_numpy()[1:] > g.last_seen.cummax().to_numpy()[:-1]).sum())
    assert turns > 0


# --- no fixed tables: names are drawn per seed ------------------------------------------------


def test_names_differ_between_seeds() -> None:
    a, b = generate(3_000, seed=21), generate(3_000, seed=22)
    assert set(a.names.prepaid_bins).isdisjoint(b.names.prepaid_bins)
    assert set(a.names.providers).isdisjoint(b.names.providers)
    for role in ("edu", "startup", "api", "lite"):
        assert a.names.plan(role) != b.names.plan(role)
        assert a.names.plan(role) not in ("edu", "startup", "api")
    assert a.names.plan("free") == b.names.plan("free") == "free"
    named = a.ip_observations.proxy_provider.dropna()
    assert set(named) <= set(a.names.providers) and set(named).isdisjoint(b.names.providers)
    a_bins = set(a.payment_instruments.bin.dropna())
    assert a_bins & set(a.names.prepaid_bins), "this world's prepaid cards are in use"
    assert not a_bins & set(b.names.prepaid_bins), "another world's BIN table finds nothing"
    assert a.names.ring_bursts != b.names.ring_bursts, "campaigns sign up in other months"
    ap, bp = (set(s.accounts.plan) for s in (a, b))
    assert (ap - {"free", "pro", "team", "enterprise"}).isdisjoint(bp)

    def org_domains(sc: Scenario) -> set[str]:
        from graphlink.synth.params import WEBMAIL

        d = sc.accounts.email_domain
        return set(d[~d.isin(WEBMAIL)])

    assert org_domains(a).isdisjoint(org_domains(b)), "campus, company and ring domains"
    assert not any(d.startswith(("univ", "company-", "mail")) for d in org_domains(a))


def test_benign_mix_varies_per_seed() -> None:
    counts = [generate(5_000, seed=s, ring_accounts=0).truth.segment.value_counts() for s in (1, 2)]
    assert not counts[0].equals(counts[1])
    exact = generate(5_000, seed=1, ring_accounts=0, params=SynthParams(vary=0.0))
    seg = exact.truth.segment.value_counts()
    assert seg["campus"] == round(5_000 * SynthParams().campus_share)
    with pytest.raises(ValueError):
        SynthParams(vary=1.5)


def test_cohorts_and_startups_look_ring_like(sc: Scenario) -> None:
    acc = sc.accounts.merge(sc.truth, on="account_id")
    cohort = acc[acc.segment == "cohort"]
    for _, t in cohort.created_at.groupby(cohort.group):
        if len(t) >= 10:
            assert (t.max() - t.min()) < pd.Timedelta(days=1), "one sign-up burst"
    assert cohort.plan.eq(sc.names.plan("edu")).mean() > 0.5
    ids = _with_truth(sc, "identifiers")
    codes = ids[(ids.segment == "cohort") & (ids.kind == "referral_code")]
    assert codes.groupby("value").account_id.nunique().max() >= 3, "the event's code"
    startup = acc[acc.segment == "startup"]
    assert startup.org_id.isna().all(), "no verified org"
    assert startup.plan.eq(sc.names.plan("api")).mean() > 0.5
    ips = _with_truth(sc, "ip_observations")
    dc = ips[(ips.segment == "startup") & ips.is_datacenter].groupby("ip").account_id.nunique()
    assert dc.max() >= 2
    ci = ips[(ips.segment == "startup") & ips.is_datacenter]
    assert ci.proxy_provider.isna().mean() > 0.8, "their own cloud machines, no provider"
    keys = ids[(ids.segment == "startup") & (ids.kind == "api_key_prefix")]
    assert keys.groupby("value").account_id.nunique().max() >= 2
    pay = _with_truth(sc, "payment_instruments")
    card = pay[pay.segment == "startup"].groupby("instrument_id").account_id.nunique()
    assert card.max() >= 2, "a shared company card"


# --- options ------------------------------------------------------------------------------------


def test_archetypes_option() -> None:
    s = generate(3_000, seed=4, ring_accounts=300, archetypes=("dc_sync_groups", "no_behaviour"))
    ring = s.truth[s.truth.segment == "ring"]
    assert set(ring.archetype) == {"dc_sync_groups", "no_behaviour"}
    assert s.archetypes == ("dc_sync_groups", "no_behaviour")
    only = generate(3_000, seed=4, ring_accounts=1_000, archetypes=["dc_sync_groups"])
    r = only.truth[only.truth.segment == "ring"]
    assert len(r) == 1_000 and set(r.archetype) == {"dc_sync_groups"}
    assert r.group.value_counts().between(29, 46).all()
    with pytest.raises(ValueError, match="unknown archetype"):
        generate(1_000, archetypes=("botnet",))


def test_without_similarity() -> None:
    a = generate(2_000, seed=9, ring_accounts=400)
    b = generate(2_000, seed=9, ring_accounts=400, with_similarity=False)
    assert b.behaviour_similarity.empty
    assert list(b.behaviour_similarity.columns) == ["account_a", "account_b", "score", "signal"]
    for name in TABLES:
        if name != "behaviour_similarity":
            assert a.tables[name].equals(b.tables[name]), name
    assert a.truth_table.equals(b.truth_table)


def test_cli_archetypes_and_no_similarity(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from graphlink.cli import app

    res = CliRunner().invoke(
        app,
        ["synth", "--out", str(tmp_path / "s"), "--truth", str(tmp_path / "t.csv"),
         "--accounts", "1000", "--ring-accounts", "300", "--seed", "3",
         "--archetypes", "many_heads,weak_single_link", "--no-similarity"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    truth = pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False)
    assert set(truth.archetype[truth.segment == "ring"]) == {"many_heads", "weak_single_link"}
    assert len(pd.read_csv(tmp_path / "s" / "behaviour_similarity.csv")) == 0
    assert "many_heads" in res.output
    bad = CliRunner().invoke(
        app, ["synth", "--out", str(tmp_path / "x"), "--truth", str(tmp_path / "x.csv"),
              "--accounts", "100", "--archetypes", "nope"],
    )  # fmt: skip
    assert bad.exit_code != 0 and "unknown archetype" in str(bad.exception)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_ingest_validators_accept_every_row(arch_sc: Scenario, fmt: str, tmp_path: Path) -> None:
    """Every row of every archetype passes ingest's per-row rules (the spec, as ingest reads it)."""
    from graphlink.ingest.read import check_columns, find_table_file, iter_batches
    from graphlink.ingest.tables import TABLES as SPECS
    from graphlink.ingest.validate import validate

    write_snapshot(arch_sc, tmp_path, fmt=fmt)  # type: ignore[arg-type]
    for spec in SPECS:
        tf = find_table_file(tmp_path, spec.name)
        assert tf is not None, spec.name
        assert set(check_columns(tf, spec)) >= set(spec.required), spec.name
        n = 0
        for raw in iter_batches(tf, spec, batch_size=50_000):
            checked = validate(spec, raw)
            assert checked.rejects().empty, (spec.name, checked.rejects().head())
            n += len(checked.valid)
        assert n == arch_sc.tables[spec.name].num_rows, spec.name


def test_evaluate_reports_recall_per_archetype(sc: Scenario, tmp_path: Path) -> None:
    """Truth files with ``archetype`` give recall per archetype; older ones still load."""
    from rich.console import Console

    from graphlink.evaluate import evaluate_flags, metrics_frame, read_truth, render_table

    truth = read_truth(write_truth(sc, tmp_path / "t.csv"))
    t = sc.truth
    ring = t[t.segment == "ring"]
    # flag every reseller account, half the sync-group accounts, and one campus
    sync = ring[ring.archetype == "dc_sync_groups"].account_id
    flagged = pd.concat(
        [
            ring[ring.archetype == "reseller_pool"].account_id,
            sync.iloc[: len(sync) // 2],
            t[t.segment == "campus"].account_id.iloc[:1],
        ]
    )
    m = evaluate_flags(pd.DataFrame({"account_id": flagged, "cluster_id": "c"}), truth)
    assert set(m.recall_per_archetype) == set(ARCHETYPES)
    assert m.recall_per_archetype["reseller_pool"] == 1.0
    assert m.recall_per_archetype["dc_sync_groups"] == pytest.approx((len(sync) // 2) / len(sync))
    assert m.recall_per_archetype["no_behaviour"] == 0.0 and m.min_archetype_recall == 0.0
    assert m.false_bans_per_segment["campus"] == 1
    assert {"cohort", "startup"} <= set(m.false_bans_per_segment) and "cohort" in (
        m.whole_groups_banned
    )
    df = metrics_frame([m])
    assert df.loc[0, "recall_reseller_pool"] == 1.0 and "fp_cohort" in df.columns
    out = Console(width=250, record=True)
    out.print(render_table([m]))
    text = out.export_text()
    assert "recall per archetype" in text and "dc_sync_groups" in text

    old = tmp_path / "old.csv"
    sc.truth.drop(columns="archetype").to_csv(old, index=False)
    m_old = evaluate_flags(
        pd.DataFrame({"account_id": flagged, "cluster_id": "c"}), read_truth(old)
    )
    assert m_old.recall_per_archetype == {} and m_old.recall == m.recall
    assert "recall_reseller_pool" not in metrics_frame([m_old]).columns


def test_small_worlds_keep_a_reseller_campaign() -> None:
    for seed in (1, 2, 3):
        t = generate(2_000, seed=seed).truth
        ring = t[t.segment == "ring"]
        assert len(ring) == 60 and set(ring.archetype) == {"reseller_pool"}
    t = generate(2_000, seed=1, archetypes=("no_behaviour",)).truth
    assert set(t.archetype[t.segment == "ring"]) == {"no_behaviour"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "OUT"], "Missing option '--truth'"),
        (["--out", "OUT", "--truth", "T.csv", "--accounts", "many"],
         "Invalid value for '--accounts'"),
    ],
)
def test_cli_usage_errors_are_one_clear_message_not_a_traceback(
    tmp_path: Path, args: list[str], message: str
):
    """A missing or malformed option ends with click's usage message and exit code 2.

    Regression: typer 0.2x vendors click, so its usage errors escaped the entry point's
    ``isinstance(e, click.ClickException)`` and printed a traceback.
    """
    import subprocess
    import sys

    argv = [a.replace("OUT", str(tmp_path / "snap")).replace("T.csv", str(tmp_path / "t.csv"))
            for a in args]
    proc = subprocess.run([sys.executable, "-m", "graphlink", "synth", *argv],
                          capture_output=True, text=True, check=False, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert message in out and "Traceback" not in out, out
    assert not (tmp_path / "snap").exists()


def test_truth_counts_each_ring_accounts_upstream_pairs_even_without_the_table() -> None:
    """``behaviour_pairs``: a ring account's upstream pairs with a campaign mate, the same
    whether or not the snapshot keeps the table; none for a no_behaviour ring."""
    a = generate(2_000, seed=9, ring_accounts=400)
    b = generate(2_000, seed=9, ring_accounts=400, with_similarity=False)
    assert a.truth.equals(b.truth)
    t = a.truth.set_index("account_id")
    p = a.behaviour_similarity
    ca, cb = t.campaign.reindex(p.account_a).to_numpy(), t.campaign.reindex(p.account_b).to_numpy()
    same = p[(ca == cb) & (ca != "")]
    counted = pd.concat([same.account_a, same.account_b]).value_counts()
    has = t.behaviour_pairs > 0
    assert set(t.index[has]) == set(counted.index)
    assert (t.loc[t.segment != "ring", "behaviour_pairs"] == 0).all()
    assert (t.loc[t.archetype == "no_behaviour", "behaviour_pairs"] == 0).all()
