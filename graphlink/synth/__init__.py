"""Synthetic snapshots with planted "hydra" rings and hard benign negatives.

:func:`generate` builds a :class:`Scenario`: one table per input table of the
spec (``accounts``, ``payment_instruments``, ``ip_observations``,
``identifiers``, ``behaviour_similarity``; columns exactly as
``shared/spec/input-format.md``) plus the ground truth.  :func:`write_snapshot`
writes the tables as a snapshot directory that ``graphlink ingest`` loads;
:func:`write_truth` writes the truth CSV that evaluation compares clusters
and ban waves with.

Truth CSV columns
    ``account_id``
    ``campaign``  ring campaign id (``hydra-03``) for ring accounts, empty for benign ones
    ``segment``   ``ring`` for ring accounts, else one of ``ordinary``, ``campus``,
                  ``cgnat``, ``company``, ``family``, ``vpn_user``, ``heavy_user``
    ``group``     the account's campus (``campus-0012``), carrier (``carrier-0003``),
                  company (``company-0042``, = one verified ``org_id``), family
                  (``family-0047``), VPN provider of a ``vpn_user`` (its name, e.g.
                  ``surfguard-vpn``), or sub-ring of a ring account (``hydra-03/r2``);
                  empty for ``ordinary`` and ``heavy_user``.  Research labs are
                  part of their campus's group.

What is planted (see :mod:`graphlink.synth.rings` and
:mod:`graphlink.synth.benign` for the why): ring campaigns of sub-rings
(20 to 2,000 accounts) rotating over proxy-provider exits, sharing prepaid
cards, devices, phone numbers and referral codes, signing up in bursts on
edu/startup/free plans and alike in behaviour (``prompt_template``,
``timing_sync``, ``model_pivot`` pairs with high scores), each account light
and mixed with ordinary traces and camouflage links to benign accounts;
against campuses behind NAT, mobile CGNAT, companies sharing a corporate card,
families, benign users of the same VPN/proxy providers and heavy users.

``n_accounts`` counts *benign* accounts; ring accounts come on top (24,000 at
a million, scaled down with a floor of 60).  Everything is vectorised: a
million benign accounts generate in tens of seconds.  The same arguments
always give identical tables and identical files.

Example::

    from graphlink.synth import generate, write_snapshot, write_truth
    sc = generate(5_000, seed=7)
    write_snapshot(sc, "/tmp/snap", fmt="csv")
    write_truth(sc, "/tmp/snap-truth.csv")

In the :class:`Scenario` DataFrames, timestamps are tz-aware UTC
(``datetime64[ms, UTC]``, whole seconds); the CSV files hold them as ``2026-02-01T12:00:00Z``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from graphlink.model import Links
from graphlink.synth.archetypes import ARCHETYPES, archetype_codes
from graphlink.synth.benign import generate_benign
from graphlink.synth.layout import CAMPUS, COHORT, COMPANY, RING, SEGMENTS, STARTUP, build_layout
from graphlink.synth.names import Names, draw_names
from graphlink.synth.params import (
    COUNTRIES,
    MODEL_RELEASE,
    PROVIDER_SPECS,
    WINDOW_START,
    SynthParams,
    default_ring_accounts,
    jittered,
)
from graphlink.synth.rings import generate_rings
from graphlink.synth.world import World, assemble
from graphlink.synth.write import FORMATS, Format, write_table

__all__ = [
    "ARCHETYPES",
    "FORMATS",
    "MODEL_RELEASE",
    "SEGMENTS",
    "TABLES",
    "Names",
    "Scenario",
    "SynthParams",
    "archetype_codes",
    "default_ring_accounts",
    "generate",
    "write_snapshot",
    "write_truth",
]

#: Spec tables in the order they are written (accounts first: links refer to it).
TABLES = (
    "accounts",
    "payment_instruments",
    "ip_observations",
    "identifiers",
    "behaviour_similarity",
)
TRUTH_COLUMNS = ("account_id", "campaign", "segment", "group", "archetype", "behaviour_pairs")


@dataclass
class Scenario:
    """A generated snapshot: Arrow tables (the canonical form) viewed as pandas DataFrames.

    ``tables`` maps each spec table name to an Arrow table; the DataFrame
    properties convert on first use and cache.
    """

    tables: dict[str, pa.Table]
    truth_table: pa.Table
    seed: int
    n_benign: int
    n_ring: int
    params: SynthParams
    names: Names
    archetypes: tuple[str, ...] = ARCHETYPES
    seconds: float = 0.0
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            src = self.truth_table if name == "truth" else self.tables[name]
            self._frames[name] = src.to_pandas()
        return self._frames[name]

    @property
    def accounts(self) -> pd.DataFrame:
        return self.frame("accounts")

    @property
    def payment_instruments(self) -> pd.DataFrame:
        return self.frame("payment_instruments")

    @property
    def ip_observations(self) -> pd.DataFrame:
        return self.frame("ip_observations")

    @property
    def identifiers(self) -> pd.DataFrame:
        return self.frame("identifiers")

    @property
    def behaviour_similarity(self) -> pd.DataFrame:
        return self.frame("behaviour_similarity")

    @property
    def truth(self) -> pd.DataFrame:
        """``account_id, campaign, segment, group, archetype`` (empty strings where not
        applicable)."""
        return self.frame("truth")

    @cached_property
    def campaigns(self) -> list[str]:
        return sorted(c for c in set(self.truth_table.column("campaign").to_pylist()) if c)

    def sizes(self) -> dict[str, int]:
        """Rows per table."""
        return {name: t.num_rows for name, t in self.tables.items()}

    def links(self) -> Links:
        """The scenario as the stage-to-stage :class:`~graphlink.model.Links` (no Neo4j round
        trip)."""
        return Links(
            accounts=self.accounts,
            payments=self.payment_instruments,
            ips=self.ip_observations,
            identifiers=self.identifiers,
            similarity=self.behaviour_similarity,
        )


def generate(
    n_accounts: int = 1_000_000,
    *,
    ring_accounts: int | None = None,
    seed: int = 7,
    params: SynthParams | None = None,
    archetypes: tuple[str, ...] | list[str] | str | None = None,
    with_similarity: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Scenario:
    """Generate a scenario of ``n_accounts`` benign accounts plus ``ring_accounts`` ring accounts.

    ``archetypes`` (names from :data:`ARCHETYPES`, default all) are the campaign
    archetypes drawn from; ``with_similarity=False`` leaves the
    ``behaviour_similarity`` table empty (a platform without a behavioural job).
    The benign shares and rates in ``params`` are varied per seed
    (``params.vary``).  ``progress`` (optional) is called with the name of each
    stage as it starts.

    >>> sc = generate(2_000, seed=1)
    >>> sorted(set(sc.truth.segment))[:3]
    ['campus', 'cgnat', 'company']
    """
    if n_accounts < 0:
        raise ValueError("n_accounts must be >= 0")
    base = params or SynthParams()
    codes = archetype_codes(archetypes)
    p = jittered(base, np.random.default_rng([seed, 2]))
    n_ring = default_ring_accounts(n_accounts) if ring_accounts is None else int(ring_accounts)
    if n_ring < 0:
        raise ValueError("ring_accounts must be >= 0")
    if n_accounts + n_ring >= 10**8:
        raise ValueError("at most 99,999,999 accounts")
    say = progress or (lambda _stage: None)
    t0 = time.perf_counter()
    say("layout")
    layout = build_layout(np.random.default_rng([seed, 0]), n_accounts, n_ring, p, codes)
    n_vanity = max(50, n_accounts // 200)
    n_ring_groups = int((layout.g_segment == RING).sum())
    n_domains = max(
        sum(int((layout.g_segment == s).sum()) for s in (CAMPUS, COHORT)) + n_ring_groups,
        sum(int((layout.g_segment == s).sum()) for s in (COMPANY, STARTUP))
        + 3 * n_ring_groups
        + len(layout.campaigns),
        n_vanity,
    )
    names = draw_names(seed, n_domains + 1, len(PROVIDER_SPECS), COUNTRIES, WINDOW_START)
    w = World(seed=seed, params=p, layout=layout, names=names)
    w.n_vanity = n_vanity
    w.build_provider_pools()
    say("benign accounts")
    generate_benign(w)
    say("rings")
    generate_rings(w)
    say("assemble")
    tables, truth = assemble(w, with_similarity=with_similarity)
    return Scenario(
        tables=tables,
        truth_table=truth,
        seed=seed,
        n_benign=n_accounts,
        n_ring=n_ring,
        params=p,
        names=names,
        archetypes=tuple(ARCHETYPES[c] for c in codes),
        seconds=time.perf_counter() - t0,
    )


def write_snapshot(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    fmt: Format = "csv",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write one file per table into ``out_dir`` (``accounts.csv`` …); returns table -> path.

    Files of the same table in another format are removed first, since the
    spec refuses a snapshot that holds a table twice.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in TABLES:
        for other in FORMATS:
            stale = out / f"{name}.{other}"
            if other != fmt and stale.exists():
                stale.unlink()
        if progress:
            progress(name)
        written[name] = write_table(scenario.tables[name], out / f"{name}.{fmt}", fmt)
    return written


def write_truth(scenario: Scenario, path: str | Path) -> Path:
    """Write the ground truth CSV (``account_id, campaign, segment, group, archetype``)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    pcsv.write_csv(scenario.truth_table, p, write_options=pcsv.WriteOptions(quoting_style="none"))
    return p
