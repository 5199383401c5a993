"""Every weight and threshold detection uses, in one frozen, documented object.

Why one object: a detection run records it (``DetectionRun.params_json``), so
any cluster can be traced to the exact numbers that produced it, and the
benchmarks can sweep one field at a time.  Defaults are measured, not guessed:
``bench/bench_detect.py`` prints the figures they were chosen from.

Weight scale.  One account pair's edge weight is the sum, over everything the
two accounts share, of ``kind weight x rarity(k) x boosts``; a rare payment
instrument shared by two accounts is worth 1.0.  Leiden's CPM objective keeps a
group together when its internal edge density (summed weight per possible pair)
exceeds ``resolution``, so ``resolution`` lives on this scale.

Measured (generated scenario, seed 7; account-level precision / recall of
clusters at risk >= 0.8 against the generator's truth; ``bench/bench_detect.py``
and the sweeps quoted here):

* ``resolution``: at 1M benign + 24k ring accounts, 0.02 -> P 0.997 R 0.785,
  0.01 -> R 0.96, 0.005 -> P 0.9997 R 0.980, **0.003 -> P 0.9992 R 0.990**,
  0.002 -> P 0.9995 R 0.991 (at 100k: 0.003 P 1.000 R 0.993).  The CPM bar
  grows with cluster size (``resolution x |C|`` per member), so sub-rings of
  up to 2,000 accounts shed their weakly tied members above ~0.005.
* modularity instead of CPM (100k): P 0.81 R 0.87 - rings merge with families,
  heavy users and VPN users around them (resolution limit).  leidenalg CPM
  gives the same clusters as igraph at 13x the Leiden time.
* ``w_ip`` 0.3 and ``w_similarity`` 2.0 (100k, CPM 0.02): ``w_ip`` 0.4 pulled
  benign VPN users into rings (P 0.97); ``w_similarity`` 1.2 / 1.5 / 2.0 gave
  R 0.968 / 0.978 / 0.987 at P 1.0.
* pruning: without it P 0.96 (100k); ``require_personal_tie`` took the last
  benign VPN users out (at 1M no ring member of a risky cluster was IP-only,
  98% of the benign accounts in them were); ``prune_rel`` 0.2 -> 0.1 raised R
  0.979 -> 0.993 at 100k with P unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Objective = Literal["cpm", "modularity"]
Engine = Literal["igraph", "leidenalg"]


@dataclass(frozen=True)
class DetectionConfig:
    """Weights, caps and thresholds of linking, Leiden, scoring and lineage.

    >>> DetectionConfig().resolution
    0.003
    >>> DetectionConfig().with_(resolution=0.1).resolution
    0.1
    """

    # -- linking: base weight per kind of shared thing --------------------------------
    #: A payment instrument is the hardest thing to share by accident.
    w_payment: float = 1.0
    #: An IP is shared by households, offices, campuses and carriers (NAT), so it
    #: says less per link; rarity (below) does most of the work.
    w_ip: float = 0.3
    #: Identifier kinds by how personal they are; kinds not listed get
    #: ``w_identifier_default``.
    w_identifier: tuple[tuple[str, float], ...] = (
        ("device", 1.0),
        ("phone_hash", 1.0),
        ("oauth_subject", 1.0),
        ("api_key_prefix", 0.8),
        ("referral_code", 0.5),
    )
    w_identifier_default: float = 0.6
    #: Behavioural similarity pairs: weight = w_similarity x score, summed over signals.
    w_similarity: float = 2.0

    # -- linking: rarity (IDF-like) ---------------------------------------------------
    #: A thing shared by k accounts weighs ``(2 / k) ** exponent`` of its base weight:
    #: 1 for a pair, falling with k.  Instruments fall slowly (a prepaid card on 40
    #: accounts is still strong: 0.4), IPs fast (an IP on 3 accounts: 0.78, on
    #: 30,000: 0.003), identifiers in between.
    rarity_exp_payment: float = 0.25
    rarity_exp_ip: float = 0.6
    rarity_exp_identifier: float = 0.4

    # -- linking: boosts and discounts --------------------------------------------------
    #: An IP of a known commercial proxy / reseller is evidence in itself: strangers
    #: rarely share one by chance at the same time, rings rent them.
    proxy_boost: float = 2.0
    #: Datacenter IPs (not residential) behind API traffic: weaker than a named proxy.
    datacenter_boost: float = 1.5
    #: Instruments of these kinds, or whose BIN starts with one of ``prepaid_bins``,
    #: count as prepaid (shared prepaid cards are a ring's favourite).  The input
    #: spec's kinds are card/bank/wallet/crypto/other, so in practice prepaid is
    #: known from the BIN: an issuer table the operator supplies
    #: (``graphlink detect --bin-table FILE``).  Empty by default, and detection
    #: reaches its targets without it: a card shared by tens of accounts is
    #: already rare (``rarity_exp_payment``), whoever issued it.
    prepaid_kinds: tuple[str, ...] = ("prepaid", "gift_card", "virtual_card")
    prepaid_bins: tuple[str, ...] = ()
    prepaid_boost: float = 1.5
    #: A thing whose sharers all belong to the same verified org (a corporate card,
    #: the office IP) is explained by the org: its weight is multiplied by this.
    same_org_discount: float = 0.1

    # -- linking: no quadratic blow-up --------------------------------------------------
    #: Things with at most ``max_clique`` sharers link every pair (k(k-1)/2 edges).
    #: Above it (a CGNAT IP with 30,000 users) the sharers are put in a seeded
    #: pseudo-random order and each is linked to its next ``sparse_degree``
    #: neighbours (a circulant: k x sparse_degree edges), which keeps them
    #: connected with the same per-edge weight at linear cost.
    max_clique: int = 64
    sparse_degree: int = 3
    #: Things with more sharers than this carry no usable evidence: dropped.
    max_sharers: int = 20_000
    #: Account pairs whose summed weight stays below this are not linked at all
    #: (two strangers on a CGNAT exit): far below ``resolution`` they cannot
    #: hold a cluster together, and dropping them halves the graph Leiden sees.
    min_edge_weight: float = 0.02
    #: Pairs that share nothing but IPs need this much summed weight to be linked:
    #: three quarters of all pairs are strangers on one VPN exit, campus NAT or
    #: carrier IP (weight 0.05-0.2), and pruning would detach such co-located-only
    #: members anyway; rings are held by personal links plus their proxy ties.
    min_ip_only_weight: float = 0.0

    # -- Leiden -------------------------------------------------------------------------
    engine: Engine = "igraph"
    objective: Objective = "cpm"
    #: CPM density threshold on the weight scale above.
    resolution: float = 0.003
    n_iterations: int = 2
    beta: float = 0.01
    #: Run Leiden only on accounts with at least one link (the rest stay alone).
    #: An account without an edge is alone in every CPM optimum (joining a
    #: cluster adds no weight, only the resolution penalty), yet at 1M accounts
    #: 62% have none and igraph still visits them every pass: skipping them
    #: cut Leiden from 24 to 13 s at 1M and brought ``graphlink detect`` under
    #: a minute (docs/scale.md).  It is another random run than Leiden over all
    #: accounts (ARI 0.977 against it at 1M; the full run against itself with
    #: another seed: 0.965); over ten Leiden seeds on two 20k generated
    #: scenarios the two paths' precision and recall agree within that noise
    #: (docs/scale.md).  ``graphlink detect --leiden-all-accounts`` turns it off.
    leiden_linked_only: bool = True
    #: Leiden on linked accounts runs per bucket of whole connected components
    #: (component number modulo this), one igraph call a bucket, on both engines:
    #: the Spark engine runs the buckets as executor tasks, the in-process engine
    #: one after another, both through :func:`communities.leiden_bucket`, so the
    #: two engines give the same clusters, not two random runs (ARI 0.975 between
    #: them at 1M when Spark bucketed and in-process did not).  A community never
    #: spans two components (Leiden's are connected), so bucketing changes no
    #: optimum, only the random draw.  Default 1: on generated scenarios one
    #: component holds 97% of the kept edges (200k accounts, docs/scale.md), so
    #: more buckets buy no parallelism, and one bucket is exactly the run every
    #: default was measured on.  Raise it where a graph falls into many
    #: components of similar size.
    leiden_buckets: int = 1
    #: Periphery pruning after Leiden (``communities.prune_periphery``): a member
    #: whose summed link weight inside its cluster is below ``prune_rel`` x the
    #: cluster's median member is detached; with ``require_personal_tie`` so is a
    #: member tied only by shared IPs to a cluster held by personal evidence.
    prune_rel: float = 0.1
    require_personal_tie: bool = True
    prune_rounds: int = 2
    #: Second, coarser CPM pass over the written clusters (campaign grouping):
    #: clusters joined by links of summed density above this share a parent.
    parent_resolution: float = 0.001

    # -- scoring ------------------------------------------------------------------------
    min_cluster_size: int = 2
    #: An account in no cluster whose links into one cluster weigh this x the cluster's
    #: median member (and at least one card link's weight) joins it as a member after
    #: scoring, so the cluster's features and risk stay those the model was fitted on;
    #: clusters raised by ``campaign_link`` take nobody (``scoring.strongly_tied_outsiders``).
    #: Off (0) by default: at 0.5, without behaviour pairs, recall rose 0.022 / 0.016 /
    #: 0.028 on tuning / held-out / fresh seeds (200k) for 1 / 6 / 24 more false bans per
    #: 1.6M benign, and the 1M leave-one-archetype-out check was not run with it
    #: (``docs/banwaves.md``, "Accounts Leiden leaves alone").
    attach_rel: float = 0.0
    #: Risk itself is not set here: a fitted :class:`graphlink.detect.riskmodel.RiskModel`
    #: scores the cluster features (the shipped default, or one ``graphlink
    #: calibrate`` fitted on investigators' decisions).
    #: Sign-up burst window (hours).
    burst_hours: float = 48.0
    #: Plans the operator knows abuse enters by (settings; empty by default).  Without
    #: them ``entry_point_plan`` fires on a plan over-represented in a cluster
    #: relative to the whole population.
    entry_plans: tuple[str, ...] = ()
    #: Share of members a feature must reach to become a cluster reason code.
    reason_share: float = 0.3
    #: Internal density (weight per possible pair) that makes ``dense_cluster``.
    dense_threshold: float = 0.5
    #: Median requests per member this many times the population's -> ``high_volume``.
    high_volume_ratio: float = 5.0
    #: The default bar for "flagged": the ban-wave bar the risk model is fitted to
    #: (``graphlink.detect.training.BAN_BAR``).
    risk_threshold: float = 0.9
    #: Campaign lift (``scoring.campaign_lift``): a cluster whose model risk is at least
    #: ``campaign_floor`` and that shares at least ``campaign_link_weight`` of link weight
    #: with one flagged cluster is raised to ``risk_threshold`` (reason ``campaign_link``).
    #: Floor 0.8: the lowest that kept precision >= 0.995 and banned no further group whole
    #: everywhere it was measured (200k seeds 21-115, the 1M leave-one-archetype-out run;
    #: ``docs/risk-model.md``); lower floors also raise mixed clusters, ring and benign
    #: accounts tied by shared templates, with whole families inside them.  A floor >=
    #: ``risk_threshold`` turns the lift off.
    campaign_floor: float = 0.8
    campaign_link_weight: float = 1.0
    #: Infrastructure floor (``pipeline.detect_links``): when a snapshot has behaviour
    #: pairs and detection scores with the shipped default, every cluster is also scored
    #: by the shipped model fitted without similarity features; where that score alone
    #: reaches ``risk_threshold``, the cluster keeps it (if higher).  Behaviour pairs can
    #: add evidence but their absence acquits no one: an upstream job that saw none of a
    #: ring's traffic is "not observed", the same as a snapshot with no pairs at all,
    #: which that model scores (``docs/risk-model.md``, "Infrastructure floor").  Below the
    #: bar the fuller model's estimate stands (the sign-up check reads it).  Off by
    #: default: in the 1M leave-one-archetype-out run with dc-sync groups held out it
    #: banned one benign group whole (6 false bans), where the floor-less default banned
    #: none; on 24 seeds at 200k it added recall (+0.002 to +0.012) and no false ban.
    infrastructure_floor: bool = False
    #: Attached households (``scoring.attached_households``): a group inside a cluster
    #: held together by its own personal links (card, device, identifier), smaller than
    #: half the cluster, whose links to the rest of the cluster weigh less than this
    #: share of its links inside the group, is attached to the cluster by a bridge (one
    #: shared template, a reused exit address), not part of it: its members' tie is 0,
    #: so a wave skips them as ``weak_tie``.  0 turns it off.  0.3: chosen on seeds
    #: 23-30 (200k) where it removed 51 of 133 false bans at the bar (41 family, 10
    #: startup accounts) for 45 of 52,480 ring accounts; 0.5 cost 416 ring accounts
    #: for 8 more (``docs/banwaves.md``).
    household_bridge: float = 0.3
    #: A household is also attached when its links to the rest of the cluster are
    #: addresses only (no card, device, identifier or behaviour pair) and its links
    #: leaving the cluster weigh at least this multiple of them: it sits behind a
    #: public exit (a VPN or proxy address strangers use too) that some ring members
    #: also used, which is how Leiden's coarse resolution put it there.  0 turns it off.
    #: 2: chosen on seeds 23-30 (200k, shipped model, own-domain rule on) where, without
    #: behaviour pairs, it removed the one family banned whole and 2 of 11 false bans
    #: for 9 of 38,400 ring accounts; 1 removed 5 for 82, 0.5 removed 7 for 412;
    #: with behaviour pairs no setting changed the wave (``docs/banwaves.md``).
    household_exit_ratio: float = 2.0
    #: Most members a group may have and still count as a household for the two rules
    #: above (0: any size).  A family sharing one card is a handful of people; twenty
    #: accounts on one card are a card-sharing team, which is what a ring's aged
    #: (bought) accounts look like: weakly bridged to the rest of their cluster
    #: because they did not sign up in its burst.  Seed 111 (200k): the bridge rule
    #: skipped 104 of a campaign's 281 aged ring accounts in teams of 20+, while every
    #: benign household it attached in four worlds was a family of <= 6 or a company
    #: team.  8 is a household's size, not a fitted value.  Measured at 200k on seeds
    #: 23-30, 21/22/105-115 odd and 117-131 odd: no false ban added on any, +4 to +346
    #: ring accounts banned per 38,400 (``docs/banwaves.md``, "Households are small").
    household_max_size: int = 8
    #: Clusters below this risk are not written to Neo4j (benign households, ...).
    min_write_risk: float = 0.2

    # -- lineage ------------------------------------------------------------------------
    #: A new cluster keeps a previous cluster's id when their Jaccard reaches this
    #: (greedy, best overlap first).
    match_jaccard: float = 0.3
    #: CONTINUES is recorded to every previous cluster sharing at least this share
    #: of either side's members (splits and merges).
    continues_overlap: float = 0.2

    def with_(self, **changes: Any) -> DetectionConfig:
        """A copy with some fields changed (the dataclass is frozen)."""
        return replace(self, **changes)

    def identifier_weight(self, kind: str) -> float:
        return dict(self.w_identifier).get(kind, self.w_identifier_default)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)
