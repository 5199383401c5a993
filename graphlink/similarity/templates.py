"""prompt_template: accounts whose prompt-fingerprint sets overlap far more than chance.

Score: the weighted Jaccard (Ruzicka) of the two accounts' prompt traffic,
each account described by the share of its requests on each fingerprint,
weighted by rarity ``w_f = ln(N / max(df_f, 2))`` (``N`` accounts in the log,
``df_f`` accounts using ``f``) and renormalised::

    x_a(f) = count_a(f) * w_f / sum_g count_a(g) * w_g
    score  = sum_f min(x_a, x_b) / sum_f max(x_a, x_b)

So the score says how much of the two accounts' traffic is the same prompts,
rare templates counting more than common ones.  A script account whose traffic
*is* the campaign's templates scores high with its fleet mates; a student who
sent this week's homework prompts like the rest of the class, among a lot of
personal ones, scores low with them.  A one-off prompt (``df = 1``) can never
be shared; it weighs like the rarest shared fingerprint, as part of the traffic
that is not in common.  Fingerprints used by more than ``popular_share`` of the
accounts are generic ("summarise this") and get no weight at all: they are
dropped before MinHash.

Only accounts with at least ``min_shared_fingerprints`` non-popular
fingerprints that someone else also uses can pair; their sets of such shared
fingerprints go through MinHash + LSH (:mod:`graphlink.similarity.minhash`) and
the candidates are scored exactly, one-off prompts included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graphlink.similarity.accumulate import Aggregates
from graphlink.similarity.config import SimilarityConfig
from graphlink.similarity.minhash import (
    compact_rows,
    csr,
    lsh_candidates,
    row_dot,
    signatures,
)

PAIR_COLUMNS = ["a", "b", "score"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"a": np.zeros(0, np.int64), "b": np.zeros(0, np.int64),
                         "score": np.zeros(0, np.float64)})


def popular_cut(n_users: int, cfg: SimilarityConfig) -> float:
    """Accounts above which a fingerprint is generic (a share of the log's accounts, a floor)."""
    return max(cfg.popular_share * n_users, cfg.popular_min_accounts)


def prompt_template_pairs(agg: Aggregates, cfg: SimilarityConfig) -> tuple[pd.DataFrame, dict]:
    """``(pairs a, b, score over account codes, stats)``."""
    pr = agg.prompts
    stats: dict = {"fingerprints": 0, "popular_fingerprints": 0, "accounts_compared": 0,
                   "candidates": 0}
    if pr.n_users == 0:
        return _empty(), stats
    # only shared fingerprints are facts here (df >= 2); one-offs are per-account counts
    acct, fph, uniq, fcode, df = pr.fp_account, pr.fp_hash, pr.uniq, pr.fcode, pr.df
    n_users = pr.n_users
    popular = df > popular_cut(n_users, cfg)
    stats["fingerprints"] = pr.n_fingerprints
    stats["popular_fingerprints"] = int(popular.sum())
    keep = ~popular[fcode]
    acct, fcode, fph = acct[keep], fcode[keep], fph[keep]
    n_shared = np.bincount(acct, minlength=agg.n_accounts)
    eligible = n_shared >= cfg.min_shared_fingerprints
    accounts, local, (fcode, fph, fp_count) = compact_rows(eligible, acct, fcode, fph,
                                                          pr.fp_count[keep])
    stats["accounts_compared"] = len(accounts)
    if len(accounts) < 2:
        return _empty(), stats
    # MinHash sees the shared fingerprints only: a one-off prompt can never be in
    # common, it would only lower every Jaccard the LSH bands have to catch.
    # (It still counts in the exact score below.)
    indptr = np.r_[0, np.cumsum(np.bincount(local, minlength=len(accounts)))]
    sig = signatures(indptr, (fph & np.uint64(0xFFFFFFFF)).astype(np.uint32),
                     num_perm=cfg.num_perm, seed=cfg.seed)
    i, j = lsh_candidates(sig, bands=cfg.lsh_bands, rows=cfg.lsh_rows, seed=cfg.seed,
                          max_bucket=cfg.max_bucket, degree=cfg.bucket_degree)
    stats["candidates"] = len(i)
    if not len(i):
        return _empty(), stats
    # a fingerprint nobody else uses says nothing about who is alike, but it is part
    # of the account's behaviour: it weighs like the rarest shared one (df = 2).  An
    # account's one-offs are in no other account's row, so they are one column of its
    # own (their summed mass): the same |x_a - x_b| as one column each.
    idf = np.log(max(n_users, 2) / np.maximum(df, 2).astype(np.float64))
    mass = fp_count * idf[fcode]
    own = pr.oneoff_requests[accounts] * np.log(max(n_users, 2) / 2.0)
    norm = np.bincount(local, weights=mass, minlength=len(accounts)) + own
    has_own = np.flatnonzero(own > 0)
    x = csr(np.r_[local, has_own], np.r_[fcode, len(uniq) + has_own],
            len(accounts), len(uniq) + len(accounts),
            np.r_[mass / norm[local], own[has_own] / norm[has_own]])
    binary = csr(local, fcode, len(accounts), len(uniq))
    common = row_dot(binary, binary, i, j)
    score = ruzicka(x, i, j)
    ok = (common >= cfg.min_shared_fingerprints) & (score >= cfg.min_template_score)
    return pd.DataFrame({"a": accounts[i[ok]], "b": accounts[j[ok]], "score": score[ok]}), stats


def ruzicka(x: sp.csr_matrix, i: np.ndarray, j: np.ndarray, *, chunk: int = 200_000) -> np.ndarray:
    """Weighted Jaccard of rows ``i`` and ``j`` of ``x`` (rows are distributions: sum 1).

    ``sum min = 1 - |x_i - x_j|_1 / 2`` for two distributions, and
    ``sum max = 2 - sum min``: one sparse subtraction per chunk of pairs.
    """
    out = np.zeros(len(i))
    for lo in range(0, len(i), chunk):
        hi = min(lo + chunk, len(i))
        l1 = np.asarray(abs(x[i[lo:hi]] - x[j[lo:hi]]).sum(axis=1)).ravel()
        m = np.clip(1.0 - l1 / 2.0, 0.0, 1.0)
        out[lo:hi] = m / (2.0 - m)
    return out
