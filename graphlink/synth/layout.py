"""Who is who: segments, groups and campaigns of the account population.

Everything downstream works on integer account indexes ``0..n-1`` (benign
accounts first, ring accounts last, each group contiguous) and group
indexes; the public ``account_id`` strings are assigned at the very end from
a random permutation, so neither ids nor file order reveal the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphlink.synth.archetypes import ARCHETYPES, plan_campaigns
from graphlink.synth.params import SynthParams

SEGMENTS = (
    "ring", "ordinary", "campus", "cgnat", "company", "family", "vpn_user", "heavy_user",
    "cohort", "startup",
)  # fmt: skip
RING, ORDINARY, CAMPUS, CGNAT, COMPANY, FAMILY, VPN, HEAVY, COHORT, STARTUP = range(len(SEGMENTS))

# (segment, smallest group, largest group, log-uniform sizes?) of the grouped benign segments
_GROUPED = {
    CAMPUS: (80, 800, True),
    CGNAT: (1500, 15000, True),
    COMPANY: (3, 300, True),
    FAMILY: (2, 6, False),
    COHORT: (15, 150, True),
    STARTUP: (3, 30, True),
}
_GROUP_PREFIX = {
    CAMPUS: "campus", CGNAT: "carrier", COMPANY: "company", FAMILY: "family",
    COHORT: "cohort", STARTUP: "startup",
}  # fmt: skip


@dataclass
class Layout:
    """Account and group arrays.

    Per account: ``segment`` (index into :data:`SEGMENTS`), ``group`` (index
    into the group arrays, -1 for none).  Per group: ``g_segment``,
    ``g_start``, ``g_size``, ``g_name``, ``g_campaign`` (campaign index for
    ring groups, else -1).  ``campaigns`` names the ring campaigns, ``c_archetype``
    gives each one's archetype.
    """

    n_benign: int
    n_ring: int
    segment: np.ndarray
    group: np.ndarray
    g_segment: np.ndarray
    g_start: np.ndarray
    g_size: np.ndarray
    g_name: np.ndarray
    g_campaign: np.ndarray
    campaigns: list[str]
    #: archetype code (index into :data:`~graphlink.synth.archetypes.ARCHETYPES`) per campaign
    c_archetype: np.ndarray

    @property
    def n(self) -> int:
        return self.n_benign + self.n_ring

    def groups_of(self, segment: int) -> np.ndarray:
        return np.flatnonzero(self.g_segment == segment)

    def members(self, segment: int) -> np.ndarray:
        return np.flatnonzero(self.segment == segment)


def partition(
    rng: np.random.Generator, total: int, lo: int, hi: int, *, log: bool = True
) -> np.ndarray:
    """Group sizes in ``[lo, hi]`` summing to ``total`` (a remainder below ``lo`` joins the last
    group).

    >>> int(partition(np.random.default_rng(0), 1000, 20, 200).sum())
    1000
    """
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    hi = max(lo, min(hi, total))
    k = total // lo + 2
    if log:
        sizes = np.exp(rng.uniform(np.log(lo), np.log(hi + 1), k)).astype(np.int64)
    else:
        sizes = rng.integers(lo, hi + 1, k)
    sizes = np.clip(sizes, lo, hi)
    cs = np.cumsum(sizes)
    cut = int(np.searchsorted(cs, total))
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= cs[cut] - total
    if len(sizes) > 1 and sizes[-1] < lo:
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


def build_layout(
    rng: np.random.Generator,
    n_benign: int,
    n_ring: int,
    p: SynthParams,
    archetypes: tuple[int, ...] | None = None,
) -> Layout:
    """Assign every account a segment and group; cut the rings into campaigns of groups.

    ``archetypes`` (codes, default all) are the campaign archetypes to draw from.
    """
    counts = {
        CAMPUS: round(n_benign * p.campus_share),
        CGNAT: round(n_benign * p.cgnat_share),
        COMPANY: round(n_benign * p.company_share),
        FAMILY: round(n_benign * p.family_share),
        VPN: round(n_benign * p.vpn_share),
        HEAVY: round(n_benign * p.heavy_share),
        COHORT: round(n_benign * p.cohort_share),
        STARTUP: round(n_benign * p.startup_share),
    }
    counts[ORDINARY] = n_benign - sum(counts.values())

    seg_parts, g_seg, g_size, g_name, g_campaign = [], [], [], [], []
    for seg in (ORDINARY, CAMPUS, CGNAT, COMPANY, FAMILY, VPN, HEAVY, COHORT, STARTUP):
        seg_parts.append(np.full(counts[seg], seg, dtype=np.int8))
        if seg in _GROUPED:
            lo, hi, log = _GROUPED[seg]
            sizes = partition(rng, counts[seg], lo, hi, log=log)
            g_seg.append(np.full(len(sizes), seg))
            g_size.append(sizes)
            g_name.append(
                np.array(
                    [f"{_GROUP_PREFIX[seg]}-{i + 1:04d}" for i in range(len(sizes))], dtype=object
                )
            )
            g_campaign.append(np.full(len(sizes), -1))

    # rings: campaigns of the chosen archetypes, each cut into groups (sub-rings, heads, ...)
    codes = tuple(range(len(ARCHETYPES))) if archetypes is None else archetypes
    c_arch, camp_groups = plan_campaigns(rng, n_ring, codes, p)
    ring_sizes = (
        np.concatenate(camp_groups).astype(np.int64) if camp_groups else np.zeros(0, np.int64)
    )
    campaign_of = np.repeat(np.arange(len(camp_groups)), [len(g) for g in camp_groups])
    campaigns = [f"hydra-{i + 1:02d}" for i in range(len(camp_groups))]
    sub_no = np.arange(len(ring_sizes)) - np.searchsorted(campaign_of, campaign_of)
    seg_parts.append(np.full(n_ring, RING, dtype=np.int8))
    g_seg.append(np.full(len(ring_sizes), RING))
    g_size.append(ring_sizes)
    g_name.append(
        np.array([f"{campaigns[c]}/r{s + 1}" for c, s in zip(campaign_of, sub_no)], dtype=object)
    )
    g_campaign.append(campaign_of)

    segment = np.concatenate(seg_parts)
    g_segment = np.concatenate(g_seg).astype(np.int8)
    sizes = np.concatenate(g_size).astype(np.int64)
    # groups are contiguous and in segment order, matching `segment`'s layout
    seg_start = _segment_starts(segment)
    g_start = np.empty(len(sizes), dtype=np.int64)
    for s in np.unique(g_segment):
        idx = np.flatnonzero(g_segment == s)
        g_start[idx] = seg_start[int(s)] + np.concatenate([[0], np.cumsum(sizes[idx])[:-1]])
    group = np.full(len(segment), -1, dtype=np.int64)
    group[expand(g_start, sizes)] = np.repeat(np.arange(len(sizes)), sizes)
    return Layout(
        n_benign=n_benign,
        n_ring=n_ring,
        segment=segment,
        group=group,
        g_segment=g_segment,
        g_start=g_start,
        g_size=sizes,
        g_name=np.concatenate(g_name),
        g_campaign=np.concatenate(g_campaign),
        campaigns=campaigns,
        c_archetype=c_arch,
    )


def expand(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated ranges ``starts[i] .. starts[i] + sizes[i] - 1``, vectorised.

    >>> expand(np.array([10, 20]), np.array([2, 3])).tolist()
    [10, 11, 20, 21, 22]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(np.asarray(starts, dtype=np.int64), sizes) + offsets


def _segment_starts(segment: np.ndarray) -> dict[int, int]:
    """First index of each segment's contiguous run."""
    if not len(segment):
        return {}
    change = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
    return {int(segment[i]): int(i) for i in change}
