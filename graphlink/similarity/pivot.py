"""model_pivot: accounts that move most of their traffic to a new model within a day of
its first appearance in the log, in cohorts.

A model is *new* when the log first sees it ``min_model_age_s`` after the log
starts (nothing says which model is new: the log does).  An account *pivots*
to it when

* its first request to the model is at most ``pivot_horizon_s`` after the
  model's first appearance (a move a week later is ordinary adoption),
* it had at least ``min_requests_before`` requests on other models before that
  appearance (a pivot is a move, not a sign-up), and
* at least ``min_pivot_share`` of its requests in the ``share_window_s`` after
  its first use go to the new model ("most of its traffic").

Early adopters pivot too, at times of their own; an orchestrated fleet pivots
together.  So pivots are clustered by time: each pivoting account is paired
with its next ``pivot_neighbours`` pivots within ``pivot_window_s``, and the pair
scores ``min(share_a, share_b) x min(density_a, density_b)`` where an account's
density is ``1 - expected / observed`` pivots in its ±window, ``expected`` being
the *median* hourly pivot rate of the model's first day (a robust background:
the cohorts themselves do not raise it).  Lone adopters score 0 and drop out.

Co-location in time is not enough on its own at scale: on a busy release day
(tens of thousands of pivots, cohorts every few minutes) a benign early
adopter - typically a heavy user - switches inside some fleet's window by
chance.  So a pivot pair is emitted only when the two accounts' prompt
traffic corroborates it: they share more non-popular fingerprints than a null
model of independent accounts predicts *given their set sizes*.  Under that
model account ``b`` holds each fingerprint ``f`` with probability
``n_b x df_f / T`` (``n_b`` its distinct fingerprints, ``df_f`` the accounts
using ``f``, ``T`` all (account, fingerprint) incidences of the log), so the
expected overlap is ``E = n_b x sum_{f in a} (df_f - 1) / T`` (the larger of
the two directions), and the shared count ``S`` must be improbable under
Poisson(E): ``P(X >= S) <= pivot_max_chance``.  A heavy user with thousands of
fingerprints has a large ``E`` and needs a large ``S``; fleet mates sharing a
campaign's templates pass by orders of magnitude.  The corroboration is much
weaker than the prompt_template signal's own bar (a few shared templates, no
minimum weighted Jaccard), which is what the pivot adds: fleet mates whose
scripted share of traffic is too small for prompt_template alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import poisson

from graphlink.similarity.accumulate import Aggregates
from graphlink.similarity.config import SimilarityConfig
from graphlink.similarity.minhash import csr, row_dot
from graphlink.similarity.templates import _empty, popular_cut

_HOUR_MS = 3_600_000


def new_models(agg: Aggregates, cfg: SimilarityConfig) -> dict[int, int]:
    """Model code -> first appearance (epoch ms) of the models the log sees appear."""
    out: dict[int, int] = {}
    for m in np.unique(agg.first_model):
        if m == 0:  # no model given
            continue
        first = int(agg.first_ms[agg.first_model == m].min())
        if first - agg.log_start_ms >= cfg.min_model_age_s * 1000:
            out[int(m)] = first
    return out


Hourly = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def early_users(agg: Aggregates, cfg: SimilarityConfig, model: int, release_ms: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """(accounts, first use ms) of the accounts using ``model`` within the horizon."""
    sel = agg.first_model == model
    acc, t = agg.first_account[sel], agg.first_ms[sel]
    early = t - release_ms <= cfg.pivot_horizon_s * 1000
    return acc[early], t[early]


def pivoters(agg: Aggregates, cfg: SimilarityConfig, model: int, release_ms: int,
             hourly: Hourly | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(accounts, pivot time ms, share of traffic on the model) of the accounts that pivot.

    ``hourly``: :meth:`Aggregates.hourly` of (at least) the early users; read here if
    not given.
    """
    acc, t = early_users(agg, cfg, model, release_ms)
    if not len(acc):
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), np.zeros(0)
    t_of = np.full(agg.n_accounts, -1, dtype=np.int64)
    t_of[acc] = t
    if hourly is None:
        hourly = agg.hourly(t_of >= 0)
    rows = t_of[hourly[0]] >= 0
    ra, rm, rh, rc = (x[rows] for x in hourly)
    release_h = release_ms // _HOUR_MS
    before = np.bincount(ra, weights=rc * ((rh < release_h) & (rm != model)),
                         minlength=agg.n_accounts)
    start_h = t_of[ra] // _HOUR_MS
    in_win = (rh >= start_h) & (rh < start_h + max(cfg.share_window_s // 3600, 1))
    total = np.bincount(ra, weights=rc * in_win, minlength=agg.n_accounts)
    on_m = np.bincount(ra, weights=rc * (in_win & (rm == model)), minlength=agg.n_accounts)
    share = np.divide(on_m[acc], total[acc], out=np.zeros(len(acc)), where=total[acc] > 0)
    ok = (before[acc] >= cfg.min_requests_before) & (share >= cfg.min_pivot_share)
    return acc[ok], t[ok], share[ok]


def chance_of_overlap(agg: Aggregates, cfg: SimilarityConfig, a: np.ndarray, b: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shared non-popular fingerprints S, expected by chance E, Poisson ``P(X >= S | E)``)
    of account pairs ``a[i], b[i]``: the null model of the module docstring."""
    if not len(a):
        z = np.zeros(0)
        return z, z.copy(), z.copy()
    pr = agg.prompts
    fcode, df = pr.fcode, pr.df
    ok = df <= popular_cut(pr.n_users, cfg)
    rows = ok[fcode]
    acct, fc = pr.fp_account[rows], fcode[rows]
    # a one-off (df = 1, never popular) counts in T and in its account's size, and adds
    # df - 1 = 0 to ``others``
    total = float(df[ok].sum() + pr.oneoff_fps.sum())
    size = (np.bincount(acct, minlength=agg.n_accounts) + pr.oneoff_fps).astype(np.float64)
    others = np.bincount(acct, weights=(df[fc] - 1).astype(np.float64), minlength=agg.n_accounts)
    # only the accounts of the pairs go into the matrix (a few thousand, not all)
    members = np.unique(np.r_[a, b])
    local = np.full(agg.n_accounts, -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    mine = local[acct] >= 0
    m = csr(local[acct[mine]], fc[mine], len(members), len(df))
    m.data[:] = 1.0
    shared = row_dot(m, m, local[a], local[b])
    expected = np.maximum(size[b] * others[a], size[a] * others[b]) / max(total, 1.0)
    chance = poisson.sf(shared - 1, np.maximum(expected, 1e-12))
    return shared, expected, chance


def model_pivot_pairs(agg: Aggregates, cfg: SimilarityConfig) -> tuple[pd.DataFrame, dict]:
    stats: dict = {"new_models": 0, "pivoting_accounts": 0, "cohort_pairs": 0,
                   "uncorroborated": 0}
    frames = []
    models = new_models(agg, cfg)
    stats["new_models"] = len(models)
    # the hourly counts of every new model's early users, in one pass over the facts
    early = np.zeros(agg.n_accounts, dtype=bool)
    for model, release in models.items():
        early[early_users(agg, cfg, model, release)[0]] = True
    hourly = agg.hourly(early) if models else None
    for model, release in sorted(models.items()):
        acc, t, share = pivoters(agg, cfg, model, release, hourly)
        stats["pivoting_accounts"] += len(acc)
        if len(acc) < 2:
            continue
        order = np.argsort(t, kind="stable")
        acc, t, share = acc[order], t[order], share[order]
        w = cfg.pivot_window_s * 1000
        observed = np.searchsorted(t, t + w, side="right") - np.searchsorted(t, t - w, side="left")
        hours = (t - release) // _HOUR_MS
        n_hours = max(int(np.ceil(cfg.pivot_horizon_s / 3600)), 1)
        per_hour = np.bincount(np.clip(hours, 0, n_hours - 1), minlength=n_hours)
        rate_ms = float(np.median(per_hour)) / _HOUR_MS
        density = 1.0 - rate_ms * 2 * w / observed
        k = len(acc)
        steps = np.arange(1, min(cfg.pivot_neighbours, k - 1) + 1)
        i = np.repeat(np.arange(k), len(steps))
        j = i + np.tile(steps, k)
        inside = j < k
        i, j = i[inside], j[inside]
        near = t[j] - t[i] <= w
        i, j = i[near], j[near]
        score = np.minimum(share[i], share[j]) * np.minimum(density[i], density[j])
        ok = score >= cfg.min_pivot_score
        a, b, score = acc[i[ok]], acc[j[ok]], score[ok]
        _, _, chance = chance_of_overlap(agg, cfg, a, b)
        corroborated = chance <= cfg.pivot_max_chance
        stats["cohort_pairs"] += len(a)
        stats["uncorroborated"] += int((~corroborated).sum())
        frames.append(pd.DataFrame({"a": a[corroborated], "b": b[corroborated],
                                    "score": score[corroborated]}))
    if not frames:
        return _empty(), stats
    return pd.concat(frames, ignore_index=True), stats
