"""Behavioural similarity from request logs: small logs with known answers (no database).

Each test builds a log whose right answer is known by construction (who shares
templates, who fires in the same minutes, who pivots when) and checks the
derived pairs against it.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from datasketch import MinHash

from graphlink.similarity import (
    DERIVATION_VERSION,
    OUTPUT_COLUMNS,
    RequestAccumulator,
    SimilarityConfig,
    cap_per_account,
    derive,
)
from graphlink.similarity.minhash import SCHEME, lsh_candidates, signatures

DAY_MS = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class Log:
    """A request log built row by row in a test: ``add(account, ts_ms, fingerprint, model)``."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, str, str | None]] = []

    def add(self, account: str, ts: int, fp: str, model: str | None = "old-1") -> None:
        self.rows.append((account, int(ts), fp, model))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["account_id", "ts", "prompt_fingerprint", "model"])

    def derive(self, cfg: SimilarityConfig | None = None, *, batch: int = 7_000):
        cfg = cfg or SimilarityConfig()
        f = self.frame()
        # a small budget: the known-answer logs go through spills to disk too
        acc = RequestAccumulator(bucket_seconds=cfg.bucket_seconds, memory_mb=0.5)
        for lo in range(0, len(f), batch):  # several batches: the streamed path
            b = f.iloc[lo:lo + batch]
            acc.add(
                b["account_id"].to_numpy(object),
                b["ts"].to_numpy(),
                b["model"].to_numpy(object),
                b["prompt_fingerprint"].to_numpy(object),
            )
        return derive(acc.finish(), cfg)


def pair_score(pairs: pd.DataFrame, a: str, b: str, signal: str) -> float | None:
    lo, hi = min(a, b), max(a, b)
    hit = pairs[(pairs.account_a == lo) & (pairs.account_b == hi) & (pairs.signal == signal)]
    return float(hit.score.iloc[0]) if len(hit) else None


def background(log: Log, rng: np.random.Generator, n: int = 300, per: int = 40) -> None:
    """Ordinary accounts: personal prompts, a few popular ones, at times of their own."""
    for k in range(n):
        for r in range(per):
            fp = f"pop{rng.integers(0, 5)}" if rng.random() < 0.1 else f"bg{k}-{r}"
            log.add(
                f"bg{k:04d}",
                T0 + rng.integers(0, 40 * DAY_MS),
                fp,
                "old-2" if rng.random() < 0.3 else "old-1",
            )


# -- building blocks ------------------------------------------------------------------------


def test_signatures_are_datasketch_minhash() -> None:
    """The vectorised signatures equal datasketch's own MinHash.update_batch, value for value."""
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 60, 25)
    elements = rng.integers(0, 2**32, int(sizes.sum()), dtype=np.uint64).astype(np.uint32)
    indptr = np.r_[0, np.cumsum(sizes)]
    sig = signatures(indptr, elements, num_perm=48, seed=5)
    for i in range(len(sizes)):
        m = MinHash(num_perm=48, seed=5, scheme=SCHEME, hashfunc=lambda x: x)
        m.update_batch(elements[indptr[i] : indptr[i + 1]].tolist())
        assert np.array_equal(sig[i], m.hashvalues)


def test_lsh_candidates_are_those_of_the_full_datasketch_index() -> None:
    """Inserting only rows with a colliding band loses no candidate."""
    from datasketch import LeanMinHash, MinHashLSH

    rng = np.random.default_rng(9)
    base = [rng.integers(0, 2**32, 30, dtype=np.uint64) for _ in range(40)]
    sets = []
    for k in range(400):  # variants of 40 base sets, and strangers
        own = rng.integers(0, 2**32, 30, dtype=np.uint64)
        b = base[k % 40]
        sets.append(np.r_[b[rng.random(30) < 0.8], own[:5]] if k < 300 else own)
    indptr = np.r_[0, np.cumsum([len(x) for x in sets])]
    sig = signatures(indptr, np.concatenate(sets).astype(np.uint32), num_perm=48, seed=1)
    i, j = lsh_candidates(sig, bands=16, rows=3, seed=1, max_bucket=10_000, degree=4)
    lsh = MinHashLSH(num_perm=48, params=(16, 3))
    for k in range(len(sets)):
        lsh.insert(k, LeanMinHash(seed=1, hashvalues=sig[k], scheme=SCHEME))
    want = set()
    for table in lsh.hashtables:
        for key in table.keys():  # noqa: SIM118 - a datasketch storage, not a dict
            members = sorted(table.get(key))
            want |= {(a, b) for x, a in enumerate(members) for b in members[x + 1 :]}
    assert set(zip(i.tolist(), j.tolist())) == want and len(want) > 100


def test_cap_keeps_the_best_pairs_of_every_account() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 50, 5000), rng.integers(0, 50, 5000)
    score = rng.random(5000)
    keep = cap_per_account(a, b, score, 7)
    per_account = np.bincount(np.r_[a[keep], b[keep]], minlength=50)
    assert per_account.max() <= 7 and keep.sum() > 0
    # a dropped pair is outside the best 7 of one of its accounts
    i = np.flatnonzero(~keep)[0]
    worse_than = [(score[(a == x) | (b == x)] > score[i]).sum() for x in (a[i], b[i])]
    assert max(worse_than) >= 7


# -- prompt_template ----------------------------------------------------------------------


def ring_and_campus(log: Log, rng: np.random.Generator) -> None:
    """Two ring accounts driven by one script; two students of one class."""
    templates = [f"tpl{k}" for k in range(12)]
    for acct in ("ring1", "ring2"):
        mine = rng.choice(templates, 10, replace=False)
        for r in range(120):
            fp = rng.choice(mine) if rng.random() < 0.85 else f"{acct}-own{r}"
            log.add(acct, T0 + rng.integers(0, 30 * DAY_MS), fp)
    homework = [f"hw{k}" for k in range(6)]
    for acct in ("student1", "student2"):
        for r in range(80):
            fp = rng.choice(homework) if rng.random() < 0.25 else f"{acct}-own{r}"
            log.add(acct, T0 + rng.integers(0, 30 * DAY_MS), fp)


def test_ring_accounts_sharing_templates_are_paired() -> None:
    rng = np.random.default_rng(1)
    log = Log()
    background(log, rng)
    ring_and_campus(log, rng)
    d = log.derive()
    pairs = d.pairs
    s = pair_score(pairs, "ring1", "ring2", "prompt_template")
    assert s is not None and 0.3 < s <= 1.0
    pt = pairs[pairs.signal == "prompt_template"]
    assert set(pt.account_a) | set(pt.account_b) == {"ring1", "ring2"}  # nobody else
    assert list(pairs.columns) == OUTPUT_COLUMNS
    assert (pairs.source == "derived").all() and (pairs.derivation == DERIVATION_VERSION).all()
    assert ((pairs.score > 0) & (pairs.score <= 1)).all()
    assert (pairs.account_a < pairs.account_b).all()


def test_campus_pair_scores_lower_than_ring_pair() -> None:
    rng = np.random.default_rng(2)
    log = Log()
    background(log, rng)
    ring_and_campus(log, rng)
    # with the bar at ~0 the campus pair is scored too, and lower
    everything = log.derive(SimilarityConfig(min_template_score=1e-6))
    ring = pair_score(everything.pairs, "ring1", "ring2", "prompt_template")
    campus = pair_score(everything.pairs, "student1", "student2", "prompt_template")
    assert ring is not None and campus is not None
    assert campus < ring / 2
    # with the defaults the class is not paired at all: alike, not a ring
    assert pair_score(log.derive().pairs, "student1", "student2", "prompt_template") is None


def test_popular_templates_carry_no_weight() -> None:
    """A template used by most of the log (a course's homework across a platform) pairs nobody."""
    rng = np.random.default_rng(4)
    log = Log()
    for k in range(400):
        for r in range(10):
            fp = f"popular{r % 5}" if r < 8 else f"own{k}-{r}"
            log.add(f"u{k:04d}", T0 + rng.integers(0, 20 * DAY_MS), fp)
    d = log.derive()
    assert d.stats["prompt_template"]["popular_fingerprints"] == 5
    assert (d.pairs.signal != "prompt_template").all()


# -- timing_sync ----------------------------------------------------------------------------


def test_script_synchrony_beats_a_shared_class_schedule() -> None:
    """Two script accounts fire in the same minutes; two students share only the class hour."""
    rng = np.random.default_rng(5)
    log = Log()
    background(log, rng, n=200)
    for day in range(12):
        base = T0 + day * DAY_MS + 10 * 3_600_000  # 10:00 every day
        minutes = rng.choice(60, 8, replace=False)
        for acct in ("bot1", "bot2"):
            for m in minutes:
                log.add(acct, base + m * 60_000 + rng.integers(0, 60_000), f"{acct}-{day}-{m}")
        for acct in ("student1", "student2"):  # same hour, minutes of their own
            for m in rng.choice(60, 8, replace=False):
                log.add(acct, base + m * 60_000 + rng.integers(0, 60_000), f"{acct}-{day}-{m}")
    d = log.derive(SimilarityConfig(min_timing_score=-1.0))
    bots = pair_score(d.pairs, "bot1", "bot2", "timing_sync")
    students = pair_score(d.pairs, "student1", "student2", "timing_sync")
    assert bots is not None and bots > 0.8
    assert students is None or students < 0.1
    default = log.derive().pairs
    assert pair_score(default, "bot1", "bot2", "timing_sync") is not None
    assert pair_score(default, "student1", "student2", "timing_sync") is None


def test_a_bucket_with_50000_accounts_does_not_blow_up() -> None:
    """A launch minute with 50,000 accounts: linear work, no pairs out of it, the cap holds."""
    rng = np.random.default_rng(6)
    n = 50_000
    ids = np.array([f"a{k:05d}" for k in range(n)], dtype=object)
    spike = T0 + 5 * DAY_MS + 12 * 3_600_000
    # everybody in the spike minute, plus 8 requests at times of their own on 8 days
    acc_ids = np.concatenate([ids, np.repeat(ids, 8)])
    ts = np.concatenate(
        [
            spike + rng.integers(0, 60_000, n),
            T0 + np.tile(np.arange(8), n) * DAY_MS + rng.integers(0, DAY_MS, 8 * n),
        ]
    )
    fps = np.concatenate(
        [
            np.full(n, "launch-demo", dtype=object),
            np.char.add("own", np.arange(8 * n).astype(str)).astype(object),
        ]
    )
    cfg = SimilarityConfig()
    acc = RequestAccumulator(bucket_seconds=cfg.bucket_seconds)
    t = time.process_time()
    for lo in range(0, len(ts), 100_000):
        sl = slice(lo, lo + 100_000)
        acc.add(acc_ids[sl], ts[sl], None, fps[sl])
    d = derive(acc.finish(), cfg)
    assert time.process_time() - t < 60  # CPU seconds: the machine is shared
    assert d.stats["timing_sync"]["accounts_compared"] == n
    assert d.stats["timing_sync"]["candidates"] <= n * cfg.lsh_bands * cfg.bucket_degree
    assert len(d.pairs) == 0  # sharing one crowded minute is not synchrony

    # the same 50,000 accounts with *identical* activity: one LSH bucket, capped
    same = RequestAccumulator(bucket_seconds=cfg.bucket_seconds)
    days = T0 + np.arange(8) * DAY_MS + 9 * 3_600_000
    same.add(np.repeat(ids, 8), np.tile(days, n), None, np.repeat(ids, 8))
    t = time.process_time()
    d = derive(same.finish(), cfg)
    assert time.process_time() - t < 60  # CPU seconds: the machine is shared
    ts_pairs = d.pairs[d.pairs.signal == "timing_sync"]
    per = pd.concat([ts_pairs.account_a, ts_pairs.account_b]).value_counts()
    assert 0 < len(ts_pairs) <= n * cfg.bucket_degree
    assert per.max() <= cfg.max_pairs_per_account


# -- model_pivot ----------------------------------------------------------------------------


def _pivot_log(rng: np.random.Generator) -> tuple[Log, int]:
    """Background, a new model's first appearance, and one fleet moved at once on day one
    and another a week later; each fleet sends some of its script's templates."""
    log = Log()
    background(log, rng, n=150)
    release = T0 + 10 * DAY_MS + 15 * 3_600_000
    log.add("first-user", release, "x", "new-1")  # the model's first appearance in the log
    cohorts = {"fast": release + 3 * 3_600_000, "late": release + 7 * DAY_MS + 3 * 3_600_000}
    for name, pivot in cohorts.items():
        for k in range(6):
            acct = f"{name}{k}"
            switch = pivot + rng.integers(0, 60_000)  # a script moves the fleet at once
            for r in range(60):
                ts = T0 + rng.integers(0, 20 * DAY_MS)
                model = "new-1" if ts >= switch and rng.random() < 0.9 else "old-1"
                # a quarter of the fleet's traffic is its script's 12 templates
                fp = f"{name}-tpl{rng.integers(0, 12)}" if r % 4 == 0 else f"{acct}-{r}"
                log.add(acct, ts, fp, model)
            log.add(acct, switch, f"{acct}-switch", "new-1")
    return log, release


def _adopter(log: Log, name: str, switch: int, rng: np.random.Generator, n: int = 60) -> None:
    """A benign account moving to the new model at ``switch``, with prompts of its own."""
    for r in range(n):
        ts = T0 + rng.integers(0, 20 * DAY_MS)
        log.add(name, ts, f"{name}-{r}", "new-1" if ts >= switch else "old-1")
    log.add(name, switch, f"{name}-switch", "new-1")


def test_pivot_within_a_day_is_caught_a_week_later_is_not() -> None:
    rng = np.random.default_rng(7)
    log, release = _pivot_log(rng)
    _adopter(log, "adopter", release + 14 * 3_600_000, rng)  # early, alone, hours away
    pairs = log.derive().pairs
    mp = pairs[pairs.signal == "model_pivot"]
    involved = set(mp.account_a) | set(mp.account_b)
    assert {f"fast{k}" for k in range(6)} <= involved
    assert not any(a.startswith("late") for a in involved)
    assert "adopter" not in involved and "first-user" not in involved
    assert (mp.score > 0.5).all()


def test_a_benign_pivot_inside_a_fleets_minute_is_not_paired() -> None:
    """On a busy release day a benign early adopter switches inside some fleet's window by
    chance: the same pivot time, but nothing else in common, so no pair."""
    rng = np.random.default_rng(11)
    log, release = _pivot_log(rng)
    fleet_minute = release + 3 * 3_600_000
    _adopter(log, "coincident", fleet_minute + 20_000, rng)
    # a heavy user too: many prompts, a few of them popular ones everybody sends
    for r in range(600):
        ts = T0 + rng.integers(0, 20 * DAY_MS)
        fp = f"pop{rng.integers(0, 5)}" if r % 10 == 0 else f"heavy-{r}"
        log.add("heavy", ts, fp, "new-1" if ts >= fleet_minute + 30_000 else "old-1")
    log.add("heavy", fleet_minute + 30_000, "heavy-switch", "new-1")
    d = log.derive()
    mp = d.pairs[d.pairs.signal == "model_pivot"]
    involved = set(mp.account_a) | set(mp.account_b)
    assert {f"fast{k}" for k in range(6)} <= involved
    assert "coincident" not in involved and "heavy" not in involved
    # they were in the cohort's window: refused for want of corroboration, not for timing
    assert d.stats["model_pivot"]["uncorroborated"] > 0


def test_no_model_column_no_pivots() -> None:
    rng = np.random.default_rng(8)
    log = Log()
    for k in range(20):
        for r in range(20):
            log.add(f"u{k}", T0 + rng.integers(0, 20 * DAY_MS), f"{k}-{r}", None)
    d = log.derive()
    assert d.stats["model_pivot"]["new_models"] == 0 and len(d.pairs) == 0


@pytest.mark.parametrize("bad", [0, -5])
def test_bucket_seconds_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError):
        RequestAccumulator(bucket_seconds=bad)


def _facts(agg) -> dict[str, np.ndarray]:
    """Every fact of the aggregates, read through the part-by-part interface."""
    pr = agg.prompts
    buckets = list(agg.bucket_parts())
    out = {f: getattr(pr, f) for f in ("fp_account", "fp_hash", "fp_count", "uniq", "fcode",
                                       "df", "oneoff_fps", "oneoff_requests")}
    out["bucket_account"] = np.concatenate([b[0] for b in buckets])
    out["bucket"] = np.concatenate([b[1] for b in buckets])
    for name, v in zip(("mh_account", "mh_model", "mh_hour", "mh_count"), agg.hourly(),
                       strict=True):
        out[name] = v
    for f in ("first_account", "first_model", "first_ms"):
        out[f] = getattr(agg, f)
    return out


def test_accumulator_gives_the_same_facts_whatever_the_batching_and_is_spent_after() -> None:
    """Batching and spilling (a budget so small that every batch is spilled to disk, each
    part deduplicated again on reading) change nothing: one batch in memory and 40 small
    spilled ones give identical facts; finish() hands them over once."""
    rng = np.random.default_rng(5)
    n = 20_000
    ids = np.array([f"u{k}" for k in rng.integers(0, 700, n)], dtype=object)
    ts = T0 + rng.integers(0, 30 * DAY_MS, n)
    models = np.array(["m1", "m2", None], dtype=object)[rng.integers(0, 3, n)]
    fps = np.array([f"f{k}" for k in rng.integers(0, 3_000, n)], dtype=object)
    fps[rng.random(n) < 0.2] = "one-off"  # a fingerprint of many accounts
    fps[:500] = [f"solo{k}" for k in range(500)]  # and 500 used once
    whole = RequestAccumulator(bucket_seconds=60, memory_mb=None)
    whole.add(ids, ts, models, fps)
    a = whole.finish()
    small = RequestAccumulator(bucket_seconds=60, memory_mb=0.001)
    for lo in range(0, n, 500):
        small.add(ids[lo:lo + 500], ts[lo:lo + 500], models[lo:lo + 500], fps[lo:lo + 500])
    assert small.facts.spills == n // 500 and whole.facts.spills == 0
    b = small.finish()
    # account codes follow first appearance, identical for the same row order
    fa, fb = _facts(a), _facts(b)
    for f in fa:
        assert np.array_equal(fa[f], fb[f]), f
    pr = a.prompts
    assert pr.fp_count.sum() + pr.oneoff_requests.sum() == n and fa["mh_count"].sum() == n
    assert pr.oneoff_fps.sum() == pr.oneoff_requests[pr.oneoff_fps > 0].sum() >= 500
    assert (pr.df >= 2).all() and pr.n_fingerprints == len(set(fps))
    with pytest.raises(RuntimeError):
        small.add(ids[:5], ts[:5], models[:5], fps[:5])
    with pytest.raises(RuntimeError):
        small.finish()
