"""timing_sync: accounts active in the same fine time buckets far more often than chance.

SynchroTrap-style: each account is the set of fine time buckets (default one
minute) it sent requests in; accounts are compared only through the buckets
they share.  Comparing every pair inside every bucket is quadratic in a crowded
bucket, so each account's bucket set is hashed (MinHash) and only accounts whose
sets collide in the LSH index are compared (:mod:`graphlink.similarity.minhash`).

Score, for a candidate pair: co-active buckets *beyond what a shared schedule
explains*, over the union of their buckets::

    expected = sum over hours h of  n_a(h) * n_b(h) / buckets_per_hour
    score    = (overlap - expected) / (n_a + n_b - overlap)

``n_a(h)`` is how many buckets of hour ``h`` account ``a`` is active in.  Two
students of a class that meets at 10:00 are both active between 10:00 and
11:00 on class days, but in minutes of their own: their overlap is about what
``expected`` predicts and the score stays near 0.  Accounts driven by one
script fire in the same minutes: overlap far above ``expected``.  The
normalisation by the union makes a heavy user, active in thousands of buckets,
no more similar to everyone than a light one.  A pair also needs
``min_co_buckets`` co-active buckets on ``min_co_days`` distinct days: one
shared launch minute, or one class hour, is not synchrony.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphlink.similarity.accumulate import Aggregates, unique
from graphlink.similarity.config import SimilarityConfig
from graphlink.similarity.minhash import (
    compact_rows,
    csr,
    lsh_candidates,
    row_dot,
    signatures,
)
from graphlink.similarity.templates import _empty

_DAY = 86_400
_HOUR = 3_600


def _per_account_distinct(acct: np.ndarray, value: np.ndarray, n: int) -> np.ndarray:
    key = unique(acct.astype(np.int64) * (int(value.max(initial=0)) + 1) + value)[0]
    return np.bincount(key // (int(value.max(initial=0)) + 1), minlength=n)


def _bucket_elements(bucket: np.ndarray) -> np.ndarray:
    return ((bucket.astype(np.uint64) * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)).astype(
        np.uint32)


def _signed_accounts(agg: Aggregates, cfg: SimilarityConfig
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(eligible accounts ascending, their MinHash signatures, buckets per account, the
    smallest bucket of an eligible account), one part of the facts at a time: a part
    holds whole accounts, and a signature needs only its account's buckets."""
    bs = agg.bucket_seconds
    n_b = np.zeros(agg.n_accounts, dtype=np.int64)
    accs: list[np.ndarray] = []
    sigs: list[np.ndarray] = []
    b0 = -1
    for acct, bucket in agg.bucket_parts():
        if not len(acct):
            continue
        day = bucket * bs // _DAY
        nb = np.bincount(acct, minlength=agg.n_accounts)
        n_b += nb
        n_days = _per_account_distinct(acct, day - day.min(), agg.n_accounts)
        eligible = (nb >= cfg.min_co_buckets) & (n_days >= cfg.min_co_days)
        accounts, local, (bk,) = compact_rows(eligible, acct, bucket)
        if not len(accounts):
            continue
        b0 = int(bk.min()) if b0 < 0 else min(b0, int(bk.min()))
        indptr = np.r_[0, np.cumsum(np.bincount(local, minlength=len(accounts)))]
        accs.append(accounts)
        sigs.append(signatures(indptr, _bucket_elements(bk), num_perm=cfg.num_perm,
                               seed=cfg.seed))
    if not accs:
        return np.zeros(0, dtype=np.int64), np.zeros((0, cfg.num_perm), np.uint32), n_b, 0
    accounts = np.concatenate(accs)
    order = np.argsort(accounts, kind="stable")
    return accounts[order], np.concatenate(sigs)[order], n_b, b0


def _buckets_of(agg: Aggregates, accounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row in ``accounts``, bucket) of the buckets of ``accounts`` (ascending codes)."""
    want = np.zeros(agg.n_accounts, dtype=bool)
    want[accounts] = True
    rows: list[np.ndarray] = []
    buckets: list[np.ndarray] = []
    for acct, bucket in agg.bucket_parts():
        keep = want[acct]
        rows.append(np.searchsorted(accounts, acct[keep]))
        buckets.append(bucket[keep])
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()
    return np.concatenate(rows), np.concatenate(buckets)


def timing_sync_pairs(agg: Aggregates, cfg: SimilarityConfig) -> tuple[pd.DataFrame, dict]:
    """``(pairs a, b, score over account codes, stats)``.

    Two passes over the (account, bucket) facts, part by part: signatures of the
    eligible accounts, then the buckets of the candidates only (memory follows
    the accounts compared, not the log).
    """
    stats: dict = {"accounts_compared": 0, "candidates": 0}
    bs = agg.bucket_seconds
    accounts, sig, n_b, b0 = _signed_accounts(agg, cfg)
    stats["accounts_compared"] = len(accounts)
    if len(accounts) < 2:
        return _empty(), stats
    i, j = lsh_candidates(sig, bands=cfg.lsh_bands, rows=cfg.lsh_rows, seed=cfg.seed,
                          max_bucket=cfg.max_bucket, degree=cfg.bucket_degree)
    del sig
    stats["candidates"] = len(i)
    if not len(i):
        return _empty(), stats

    # the candidates' buckets; pairs renumbered into them
    cand = np.unique(np.r_[i, j])
    i, j = np.searchsorted(cand, i), np.searchsorted(cand, j)
    accounts = accounts[cand]
    local, bucket = _buckets_of(agg, accounts)
    col = bucket - b0
    m = csr(local, col, len(accounts), int(col.max()) + 1)
    overlap = row_dot(m, m, i, j)
    # distinct days with at least one co-active bucket
    per_day = max(_DAY // bs, 1)
    co_days = np.zeros(len(i), dtype=np.int64)
    chunk = 200_000
    for lo in range(0, len(i), chunk):
        hi = min(lo + chunk, len(i))
        prod = m[i[lo:hi]].multiply(m[j[lo:hi]]).tocsr()
        prod.eliminate_zeros()
        prow = np.repeat(np.arange(hi - lo), np.diff(prod.indptr))
        pday = (prod.indices + b0) // per_day
        key = unique(prow * (int(pday.max(initial=0)) + 1) + pday)[0] if len(prow) else prow
        co_days[lo:hi] = np.bincount(key // (int(pday.max(initial=0)) + 1), minlength=hi - lo)
    # what a shared schedule (same hours) predicts at random minutes within them
    per_hour = _HOUR // bs
    if per_hour > 1:
        hour = bucket * bs // _HOUR
        hcol = hour - hour.min()
        h = csr(local, hcol, len(accounts), int(hcol.max()) + 1)  # buckets per (account, hour)
        expected = row_dot(h, h, i, j) / per_hour
    else:
        expected = np.zeros(len(i))
    n_loc = n_b[accounts].astype(np.float64)
    union = n_loc[i] + n_loc[j] - overlap
    score = np.divide(overlap - expected, union, out=np.zeros_like(overlap), where=union > 0)
    ok = (overlap >= cfg.min_co_buckets) & (co_days >= cfg.min_co_days)
    ok &= score >= cfg.min_timing_score
    stats["rejected_schedule"] = int(((overlap >= cfg.min_co_buckets) & (co_days >= cfg.min_co_days)
                                      & (score < cfg.min_timing_score)).sum())
    return pd.DataFrame({"a": accounts[i[ok]], "b": accounts[j[ok]],
                         "score": np.minimum(score[ok], 1.0)}), stats
