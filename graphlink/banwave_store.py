"""Ban waves in Neo4j: read the current run, plan a wave, commit it, read it back.

The I/O edge of :mod:`graphlink.banwave`.  Every statement is a file under
``cypher/internal/banwave/``; selection itself is the pure
:func:`graphlink.banwave.select_wave`, so the dry run, the commit, the API and
the benchmark all select exactly the same accounts.

A dry run (:func:`plan_wave`) only reads.  :func:`commit_wave` writes in three
steps: an uncommitted ``(:BanWave {committed: false})`` linked ``PREVIOUS``
to the latest committed wave, its ``INCLUDES`` in batches, then one
transaction that flips ``committed`` to true only if every account was
recorded.  Readers (:func:`list_waves`, :func:`latest_wave_id`,
:func:`read_wave`) see committed waves only, so a crash half-way leaves no
half wave behind for them.

>>> with open_store(get_settings()) as store:                   # doctest: +SKIP
...     plan = plan_wave(store, WaveParams(min_risk=0.85))
...     wave_id = commit_wave(store, plan)
...     diff = wave_diff(store, wave_id)        # against the previous wave

:func:`run_wave` is the one way to plan a wave and (optionally) commit it;
``graphlink banwave``, ``graphlink demo`` and ``POST /v1/banwaves`` all call it
and only present its :class:`WaveOutcome`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from graphlink.banwave import (
    PROTECTED_SKIPS,
    WaveDiff,
    WaveParams,
    WavePlan,
    diff_waves,
    select_wave,
)
from graphlink.detect.writeback import current_run
from graphlink.errors import InputError, NotFound, StoreError
from graphlink.store import GraphStore

__all__ = [
    "Wave",
    "WaveOutcome",
    "commit_wave",
    "current_run_id",
    "diff_with_latest",
    "latest_wave_id",
    "list_waves",
    "plan_wave",
    "read_wave",
    "read_wave_inputs",
    "run_wave",
    "unsupported_entries",
    "wave_diff",
]

#: Accounts per INCLUDES transaction.
COMMIT_BATCH = 5_000


@dataclass(frozen=True)
class Wave:
    """A committed wave as recorded in Neo4j.

    ``entries``: ``account_id, cluster_id, cluster_risk, reasons`` (from
    ``INCLUDES``); ``params`` and ``evidence`` are the decoded
    ``params_json``/``evidence_json`` (evidence: ``clusters`` and ``skipped``).
    """

    wave_id: str
    created_at: datetime
    run_id: str | None
    min_risk: float
    params: dict[str, Any]
    evidence: dict[str, Any]
    entries: pd.DataFrame
    n_accounts: int
    n_clusters: int
    protected_skipped: int
    previous_wave_id: str | None


# -- reading the detection run ---------------------------------------------
def current_run_id(store: GraphStore) -> str:
    """The current detection run (complete, newest); :class:`NotFound` if none."""
    run = current_run(store)
    if run is None:
        raise NotFound("no complete detection run in the store: run `graphlink detect` first")
    return str(run["run_id"])


def _check_run(store: GraphStore, run_id: str) -> None:
    rows = store.read("banwave/run", run_id=run_id)
    if not rows:
        raise NotFound(f"no detection run {run_id!r}")
    if rows[0]["status"] != "complete":
        raise InputError(f"detection run {run_id!r} is not complete (status {rows[0]['status']!r})")


@dataclass(frozen=True)
class WaveInputs:
    """What :func:`select_wave` needs, read from one run."""

    run_id: str
    clusters: pd.DataFrame
    members: pd.DataFrame
    evidence: pd.DataFrame | None


def read_wave_inputs(
    store: GraphStore, run_id: str, params: WaveParams, *, with_evidence: bool = True
) -> WaveInputs:
    """Clusters of ``run_id`` at or above the wave's risk floor, their members and evidence.

    Members come with ``org_id`` (the account's property, or its ``IN_ORG``
    organisation), so :func:`select_wave` needs no separate accounts frame.
    """
    clusters = pd.DataFrame(store.read("banwave/clusters", run_id=run_id,
                                       min_risk=float(params.read_floor)),
                            columns=["cluster_id", "cluster_key", "size", "risk", "reasons",
                                     "features_json"])
    keys = clusters["cluster_key"].tolist()
    members = pd.DataFrame(
        store.read("banwave/members", cluster_keys=keys) if keys else [],
        columns=["account_id", "cluster_id", "account_risk", "reasons", "org_id"],
    )
    evidence = None
    if with_evidence and keys:
        evidence = pd.DataFrame(store.read("banwave/cluster_evidence", cluster_keys=keys))
    return WaveInputs(run_id=run_id, clusters=clusters, members=members, evidence=evidence)


def plan_wave(
    store: GraphStore,
    params: WaveParams,
    *,
    run_id: str | None = None,
    with_evidence: bool = True,
) -> WavePlan:
    """Dry run: select a wave from the current (or given) detection run.  Writes nothing."""
    if run_id is None:
        run_id = current_run_id(store)
    else:
        _check_run(store, run_id)
    inputs = read_wave_inputs(store, run_id, params, with_evidence=with_evidence)
    return select_wave(
        inputs.clusters, inputs.members, None, params, run_id=run_id, evidence=inputs.evidence
    )


# -- committing ------------------------------------------------------------
def _is_constraint_clash(e: StoreError) -> bool:
    return "ConstraintValidationFailed" in str(e) or "already exists" in str(e)


def commit_wave(store: GraphStore, plan: WavePlan, *, batch_size: int = COMMIT_BATCH) -> str:
    """Record a planned wave in Neo4j and return its new ``wave_id`` (``wave-0001``, …).

    The wave is linked ``PREVIOUS`` to the latest committed wave at the time
    of the commit.  Raises :class:`InputError` for an empty or already
    committed plan, and :class:`StoreError` if some account could not be
    recorded (the wave then stays uncommitted and invisible to readers).
    """
    if plan.committed:
        raise InputError(f"this plan was already committed as {plan.wave_id}")
    if plan.n_accounts == 0:
        raise InputError("the wave selects no account: nothing to commit")
    protected = int(plan.skipped["why"].isin(PROTECTED_SKIPS).sum())
    sidecar = plan.sidecar()
    evidence = {
        "clusters": sidecar["clusters"],
        "skipped": sidecar["skipped"],
        "accounts_per_reason": sidecar["accounts_per_reason"],
        "verified_org_included": sidecar["verified_org_included"],
    }
    create_params = dict(
        run_id=plan.run_id,
        min_risk=float(plan.params.min_risk),
        params_json=json.dumps(plan.params.to_record()),
        evidence_json=json.dumps(evidence, default=str),
        n_accounts=plan.n_accounts,
        n_clusters=plan.n_clusters,
        protected_skipped=protected,
    )
    for attempt in range(5):
        try:
            created = store.write("banwave/create_wave", **create_params)
            break
        except StoreError as e:  # two commits raced for the same id: take the next one
            if not _is_constraint_clash(e) or attempt == 4:
                raise
    wave_id = str(created[0]["wave_id"])

    rows = [
        {
            "account_id": r.account_id,
            "reasons": list(r.reasons),
            "cluster_id": r.cluster_id,
            "cluster_risk": float(r.cluster_risk),
        }
        for r in plan.entries.itertuples(index=False)
    ]
    written = 0
    for i in range(0, len(rows), batch_size):
        out = store.write("banwave/add_entries", wave_id=wave_id, rows=rows[i : i + batch_size])
        written += int(out[0]["written"]) if out else 0
    done = store.write("banwave/finish_wave", wave_id=wave_id, n_accounts=plan.n_accounts)
    if not done:
        raise StoreError(
            f"wave {wave_id}: {plan.n_accounts - written} of {plan.n_accounts} accounts are not "
            "in the store; the wave was left uncommitted",
            query="banwave/finish_wave",
        )
    return wave_id


# -- reading waves ---------------------------------------------------------
#: Why a commit asked for wrote nothing (an empty wave is never recorded).
NOTHING_TO_COMMIT = "the wave selects no account: nothing committed"


@dataclass(frozen=True)
class WaveOutcome:
    """A planned (and maybe committed) wave with its diff.

    ``diff`` is against the previous committed wave for a committed wave, and
    against the latest committed wave for a dry run; ``note`` says why a commit
    that was asked for did not happen (``None`` otherwise).
    """

    plan: WavePlan
    diff: WaveDiff
    note: str | None = None


def run_wave(
    store: GraphStore,
    params: WaveParams,
    *,
    run_id: str | None = None,
    commit: bool = False,
) -> WaveOutcome:
    """Plan a wave on ``run_id`` (default: the current run) and commit it when asked.

    A dry run only reads.  An empty wave is never committed (``note`` says so),
    so a commit asked for on a run that flags nobody leaves the store unchanged.
    """
    plan = plan_wave(store, params, run_id=run_id)
    note = None
    if commit and plan.n_accounts == 0:
        note = NOTHING_TO_COMMIT
    elif commit:
        plan = plan.with_wave_id(commit_wave(store, plan))
    diff = (
        wave_diff(store, plan.wave_id)
        if plan.wave_id is not None and plan.committed
        else diff_with_latest(store, plan)
    )
    return WaveOutcome(plan=plan, diff=diff, note=note)


def list_waves(store: GraphStore) -> pd.DataFrame:
    """Committed waves, newest first: ``wave_id, created_at, run_id, min_risk, n_accounts,
    n_clusters, protected_skipped, previous_wave_id``."""
    cols = [
        "wave_id",
        "created_at",
        "run_id",
        "min_risk",
        "n_accounts",
        "n_clusters",
        "protected_skipped",
        "previous_wave_id",
    ]
    rows = store.read("banwave/list_waves")
    return pd.DataFrame(rows, columns=cols)


def latest_wave_id(store: GraphStore) -> str | None:
    """The newest committed wave, or ``None``."""
    waves = list_waves(store)
    return None if waves.empty else str(waves["wave_id"].iloc[0])


def _entries(store: GraphStore, wave_id: str) -> pd.DataFrame:
    rows = store.read("banwave/wave_entries", wave_id=wave_id)
    df = pd.DataFrame(rows, columns=["account_id", "cluster_id", "cluster_risk", "reasons"])
    df["reasons"] = [list(r or []) for r in df["reasons"]]
    return df


def read_wave(store: GraphStore, wave_id: str) -> Wave:
    """A committed wave with its accounts; :class:`NotFound` if there is none by that id."""
    rows = store.read("banwave/wave", wave_id=wave_id)
    if not rows:
        raise NotFound(f"no committed ban wave {wave_id!r}")
    r = rows[0]
    return Wave(
        wave_id=r["wave_id"],
        created_at=r["created_at"],
        run_id=r["run_id"],
        min_risk=float(r["min_risk"]),
        params=json.loads(r["params_json"] or "{}"),
        evidence=json.loads(r["evidence_json"] or "{}"),
        entries=_entries(store, wave_id),
        n_accounts=int(r["n_accounts"] or 0),
        n_clusters=int(r["n_clusters"] or 0),
        protected_skipped=int(r["protected_skipped"] or 0),
        previous_wave_id=r["previous_wave_id"],
    )


def wave_diff(store: GraphStore, wave_id: str) -> WaveDiff:
    """New / dropped / kept accounts of a committed wave against its ``PREVIOUS`` wave."""
    wave = read_wave(store, wave_id)
    prev = _entries(store, wave.previous_wave_id) if wave.previous_wave_id else None
    return diff_waves(prev, wave.entries, previous_wave_id=wave.previous_wave_id)


def diff_with_latest(store: GraphStore, plan: WavePlan) -> WaveDiff:
    """What a (dry-run) plan would change against the latest committed wave."""
    latest = latest_wave_id(store)
    if plan.wave_id is not None and latest == plan.wave_id:
        return wave_diff(store, plan.wave_id)
    prev = _entries(store, latest) if latest else None
    return diff_waves(prev, plan.entries, previous_wave_id=latest)


def unsupported_entries(store: GraphStore, wave_id: str) -> pd.DataFrame:
    """Accounts of a wave with no evidence link to their cluster in the graph (should be none)."""
    rows = store.read("banwave/unsupported_entries", wave_id=wave_id)
    return pd.DataFrame(rows, columns=["account_id", "cluster_id", "reasons"])
