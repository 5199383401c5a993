"""Behavioural similarity pairs derived from a raw request log.

The input spec's optional ``requests`` table (``account_id, ts, ip, model,
prompt_fingerprint, output_tokens``) is reduced in one streamed pass
(:mod:`~graphlink.similarity.accumulate`) to distinct facts, from which three
signals derive account pairs in the ``behaviour_similarity`` format:

* ``prompt_template`` (:mod:`~graphlink.similarity.templates`): IDF-weighted
  Jaccard of prompt-fingerprint sets, candidates from MinHash + LSH;
* ``timing_sync`` (:mod:`~graphlink.similarity.timing`): co-activity in fine
  time buckets beyond what a shared schedule explains;
* ``model_pivot`` (:mod:`~graphlink.similarity.pivot`): cohorts moving most of
  their traffic to a model within a day of its first appearance.

Scores are in (0, 1]; detection weighs a pair ``w_similarity x score`` (see
``docs/similarity.md`` for the calibration).  Example::

    from graphlink.similarity import RequestAccumulator, SimilarityConfig, derive
    acc = RequestAccumulator(bucket_seconds=60)
    for batch in batches:                      # account_id, ts (ms), model, prompt_fingerprint
        acc.add(batch.account_id, batch.ts, batch.model, batch.prompt_fingerprint)
    result = derive(acc.finish(), SimilarityConfig())
    result.pairs                               # account_a, account_b, score, signal, source,
    derivation
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from graphlink.similarity.accumulate import Aggregates, RequestAccumulator
from graphlink.similarity.config import DERIVATION_VERSION, SIGNALS, SimilarityConfig
from graphlink.similarity.pairs import OUTPUT_COLUMNS, cap_per_account, finalise, write_pairs
from graphlink.similarity.pivot import model_pivot_pairs
from graphlink.similarity.templates import prompt_template_pairs
from graphlink.similarity.timing import timing_sync_pairs

__all__ = [
    "DERIVATION_VERSION",
    "OUTPUT_COLUMNS",
    "SIGNALS",
    "Aggregates",
    "Derived",
    "RequestAccumulator",
    "SimilarityConfig",
    "cap_per_account",
    "derive",
    "write_pairs",
]


@dataclass
class Derived:
    """The derived pairs and what it took (per signal: pairs, candidates, seconds)."""

    pairs: pd.DataFrame
    config: SimilarityConfig
    n_requests: int
    n_accounts: int
    stats: dict[str, dict] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        vc = self.pairs["signal"].value_counts()
        return {s: int(vc.get(s, 0)) for s in SIGNALS}


def derive(agg: Aggregates, config: SimilarityConfig | None = None) -> Derived:
    """All three signals over ``agg``; pairs capped per account and in the output format."""
    cfg = config or SimilarityConfig()
    if agg.bucket_seconds != cfg.bucket_seconds:
        raise ValueError(
            f"aggregates were bucketed by {agg.bucket_seconds}s, config says {cfg.bucket_seconds}s"
        )
    per_signal: dict[str, pd.DataFrame] = {}
    stats: dict[str, dict] = {}
    for name, fn in (
        ("prompt_template", prompt_template_pairs),
        ("timing_sync", timing_sync_pairs),
        ("model_pivot", model_pivot_pairs),
    ):
        t = time.perf_counter()
        per_signal[name], st = fn(agg, cfg)
        st["seconds"] = round(time.perf_counter() - t, 2)
        st["pairs_before_cap"] = len(per_signal[name])
        stats[name] = st
    pairs = finalise(agg.account_ids, per_signal, max_pairs_per_account=cfg.max_pairs_per_account)
    return Derived(
        pairs=pairs, config=cfg, n_requests=agg.n_requests, n_accounts=agg.n_accounts, stats=stats
    )
